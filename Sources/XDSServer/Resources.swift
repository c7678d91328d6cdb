import EnvoyAPI
import Foundation
import SwiftProtobuf

/// One named Envoy resource, packed, with a version that changes exactly when its content does.
/// Immutable and shared: a copy is one reference, which matters as lists of thousands are
/// copied into every response.
public struct XDSResource: Sendable, Hashable {
    private final class Storage: Sendable {
        let name: String
        let version: String
        let typeURL: String
        let value: Data

        init(name: String, version: String, typeURL: String, value: Data) {
            self.name = name
            self.version = version
            self.typeURL = typeURL
            self.value = value
        }
    }

    private let storage: Storage

    public var name: String { storage.name }
    /// A hash of the resource's deterministic binary form: equal content, equal version,
    /// on every replica, so a proxy that reconnects elsewhere is not sent it again.
    public var version: String { storage.version }
    /// The `Any`'s type URL and serialized message, kept as bytes: an `Any` packed from a message
    /// serializes it again every time it is read or sent, and even one holding bytes costs a copy
    /// of its storage per read. Responses are written from these bytes (``DiscoveryResponseSerializer``).
    public var typeURL: String { storage.typeURL }
    public var value: Data { storage.value }

    public static func == (lhs: XDSResource, rhs: XDSResource) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.name == rhs.name && lhs.version == rhs.version && lhs.typeURL == rhs.typeURL && lhs.value == rhs.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(version)
    }

    /// The resource as a protobuf `Any` (for delta responses and config dumps).
    public var body: Google_Protobuf_Any {
        var packed = Google_Protobuf_Any()
        packed.typeURL = typeURL
        packed.value = value
        return packed
    }

    public init(name: String, body: Google_Protobuf_Any) {
        self.init(name: name, typeURL: body.typeURL, value: body.value)
    }

    public init(name: String, typeURL: String, value: Data) {
        storage = Storage(name: name, version: ResourceVersion.of(typeURL: typeURL, value: value), typeURL: typeURL, value: value)
    }

    /// Packs a message under Envoy's type URL, serialized once, deterministically (map fields in key
    /// order), so equal content has equal bytes and an equal version on every replica.
    public init(name: String, message: some Message) throws {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        self.init(name: name, typeURL: "type.googleapis.com/" + type(of: message).protoMessageName, value: try message.serializedBytes(options: options))
    }
}

/// One type's resources: by name, in name order, and the version of them all. Built once and
/// shared: snapshots of every proxy that gets the same list hold the same storage.
public struct ResourceList: Sendable, Hashable {
    public let byName: [String: XDSResource]
    /// Sorted by name (responses are deterministic).
    public let sorted: [XDSResource]
    public let version: String
    /// What `version` is written from (see ``ResourceVersion/of(_:)``).
    private let versionSum: UInt64
    /// The list as a state-of-the-world response's resources field, written once for every
    /// proxy that is sent it.
    let encoding: ResourcesEncoding

    /// The resources by name; a later one of a name replaces an earlier one. A list that is
    /// sorted by name already (translation's are) is kept as it is.
    public init(_ resources: [XDSResource]) {
        let names = resources.lazy.map(\.name)
        if zip(names, names.dropFirst()).allSatisfy({ $0 < $1 }) {
            self.init(sorted: resources)
        } else {
            self.init(byName: Dictionary(resources.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last }))
        }
    }

    public init(byName: [String: XDSResource]) {
        let sorted = byName.values.sorted { $0.name < $1.name }
        self.init(sorted: sorted, byName: byName, versionSum: ResourceVersion.sum(sorted))
    }

    private init(sorted: [XDSResource]) {
        self.init(sorted: sorted, byName: Dictionary(sorted.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last }),
                  versionSum: ResourceVersion.sum(sorted))
    }

    private init(sorted: [XDSResource], byName: [String: XDSResource], versionSum: UInt64) {
        self.sorted = sorted
        self.byName = byName
        self.versionSum = versionSum
        version = ResourceVersion.hex(versionSum)
        encoding = ResourcesEncoding(sorted)
    }

    /// This list with `resources` in place of those of their names, or added: a few of thousands
    /// changed (an endpoint change) costs no sort and no lookup of the others.
    public func replacing(_ resources: [XDSResource]) -> ResourceList {
        guard !resources.isEmpty else { return self }
        var sorted = self.sorted
        var byName = self.byName
        var versionSum = self.versionSum
        for resource in resources {
            // The first position whose name is not below this one's.
            var low = 0, high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle].name < resource.name { low = middle + 1 } else { high = middle }
            }
            versionSum &+= ResourceVersion.entry(resource)
            if let replaced = byName.updateValue(resource, forKey: resource.name) {
                versionSum &-= ResourceVersion.entry(replaced)
                sorted[low] = resource
            } else {
                sorted.insert(resource, at: low)
            }
        }
        return ResourceList(sorted: sorted, byName: byName, versionSum: versionSum)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.version == rhs.version && lhs.byName == rhs.byName }
    public func hash(into hasher: inout Hasher) { hasher.combine(version) }
}

/// Everything one proxy is served: per type URL, a list of resources.
///
/// A snapshot is shared by every proxy of its cache key, and its lists by every snapshot
/// that has the same ones, so what every push needs (each type's resources in name order,
/// that list's version) is worked out once. Proxies served a whole list share its storage,
/// in responses and in the registry alike.
public struct ResourceSnapshot: Sendable, Hashable {
    private var lists: [String: ResourceList]

    public init(_ resources: [String: [XDSResource]] = [:]) {
        lists = resources.mapValues(ResourceList.init)
    }

    public init(lists: [String: ResourceList]) {
        self.lists = lists
    }

    public subscript(typeURL: String) -> [String: XDSResource] {
        lists[typeURL]?.byName ?? [:]
    }

    /// Writes every list as a state-of-the-world response's resources now rather than on the
    /// first push that sends it (for benchmarks, to count them as shared rather than per proxy).
    public func prepareResponses() {
        for list in lists.values { _ = list.encoding.bytes }
    }

    /// One type's list, shared as it is.
    public func list(_ typeURL: String) -> ResourceList? {
        lists[typeURL]
    }

    /// Replaces one type's list with `other`'s (its storage is shared, nothing is re-sorted).
    public mutating func replace(_ typeURL: String, from other: ResourceSnapshot) {
        lists[typeURL] = other.lists[typeURL]
    }

    /// The version of every resource of a type: when it is unchanged, so is any selection from them.
    func version(of typeURL: String) -> String? {
        lists[typeURL]?.version
    }

    /// The resources of one type with these names, in name order, and their version; the
    /// shared list when the names cover it.
    /// The resources of a type that `subscription` names (all for a wildcard, nil), with
    /// `whole` set when that is the type's entire list, whose storage the caller may then share.
    func selection(_ typeURL: String, subscription: Subscription?) -> Subscription.Selection {
        guard let all = lists[typeURL] else { return Subscription.Selection(resources: [], version: ResourceVersion.of([]), whole: nil) }
        guard let subscription else { return Subscription.Selection(whole: all) }
        return subscription.select(from: all)
    }
}

/// Versions of resources and of sets of them.
public enum ResourceVersion {
    /// FNV-1a over the resource's type URL and serialized bytes, as 16 hex digits.
    static func of(typeURL: String, value: Data) -> String {
        let hash = fnv1a(typeURL.utf8, seed: fnvOffset)
        return value.withUnsafeBytes { hex(fnv1a($0, seed: hash)) }
    }

    /// The version of a set of resources: the sum of a hash of each one's name and version, so
    /// that a list with a few of its thousands replaced gets its version without visiting the rest.
    public static func of(_ resources: [XDSResource]) -> String {
        hex(sum(resources))
    }

    static func sum(_ resources: [XDSResource]) -> UInt64 {
        resources.reduce(0) { $0 &+ entry($1) }
    }

    /// One resource's part of its set's version.
    static func entry(_ resource: XDSResource) -> UInt64 {
        fnv1a(resource.version, seed: fnv1a(resource.name, seed: fnvOffset))
    }

    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325

    static func fnv1a(_ string: String, seed: UInt64) -> UInt64 {
        var string = string
        return string.withUTF8 { fnv1a($0, seed: seed) }
    }

    static func fnv1a(_ bytes: some Sequence<UInt8>, seed: UInt64) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
