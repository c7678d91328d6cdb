import Foundation
import GRPCCore
import Synchronization

/// A state-of-the-world response: `envoy.service.discovery.v3.DiscoveryResponse` with its
/// resources as Coxswain holds them, serialized bytes shared by every proxy that gets them.
public struct EncodedDiscoveryResponse: Sendable {
    public var versionInfo: String
    public var typeURL: String
    public var nonce: String
    public var resources: [XDSResource]
    /// `resources` as written, shared by every response that sends them.
    let encoding: ResourcesEncoding

    public init(versionInfo: String, typeURL: String, nonce: String, resources: [XDSResource]) {
        self.init(versionInfo: versionInfo, typeURL: typeURL, nonce: nonce, resources: resources, encoding: ResourcesEncoding(resources))
    }

    init(versionInfo: String, typeURL: String, nonce: String, resources: [XDSResource], encoding: ResourcesEncoding) {
        self.versionInfo = versionInfo
        self.typeURL = typeURL
        self.nonce = nonce
        self.resources = resources
        self.encoding = encoding
    }
}

/// Resources as the repeated `resources` field of a `DiscoveryResponse` (field 2, each an
/// `Any`), written the first time a response needs them and then copied as they are: a list
/// is sent to every proxy that has it, and writing thousands of resources costs per resource.
final class ResourcesEncoding: Sendable {
    private let resources: [XDSResource]
    private let written = Mutex<Data?>(nil)

    init(_ resources: [XDSResource]) {
        self.resources = resources
    }

    var bytes: Data {
        written.withLock { written in
            if let written { return written }
            var size = 0
            for resource in resources {
                size += ProtobufWire.messageSize(ProtobufWire.anySize(of: resource))
            }
            let bytes: [UInt8] = ProtobufWire.write(size: size) { writer in
                for resource in resources {
                    writer.any(resource, field: 2)
                }
            }
            let data = Data(bytes)
            written = data
            return data
        }
    }
}

/// An incremental response: `envoy.service.discovery.v3.DeltaDiscoveryResponse`, each resource
/// wrapped in a `Resource` with its name and version.
public struct EncodedDeltaDiscoveryResponse: Sendable {
    public var systemVersionInfo: String
    public var typeURL: String
    public var nonce: String
    public var resources: [XDSResource]
    public var removedResources: [String]

    public init(systemVersionInfo: String, typeURL: String, nonce: String, resources: [XDSResource], removedResources: [String]) {
        self.systemVersionInfo = systemVersionInfo
        self.typeURL = typeURL
        self.nonce = nonce
        self.resources = resources
        self.removedResources = removedResources
    }
}

/// Writes an ``EncodedDiscoveryResponse`` in protobuf's binary format, byte for byte what
/// SwiftProtobuf writes for the equivalent `DiscoveryResponse`, but straight from each
/// resource's bytes: building the message would copy every resource into an `Any` and walk
/// them all again to serialize, per proxy and push (a sidecar's clusters are thousands).
struct DiscoveryResponseSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ response: EncodedDiscoveryResponse) throws -> Bytes {
        let resources = response.encoding.bytes
        let size = ProtobufWire.fieldSize(response.versionInfo) + resources.count + ProtobufWire.fieldSize(response.typeURL) + ProtobufWire.fieldSize(response.nonce)
        return ProtobufWire.write(size: size) { writer in
            writer.string(response.versionInfo, field: 1)
            writer.raw(resources)
            writer.string(response.typeURL, field: 4)
            writer.string(response.nonce, field: 5)
        }
    }
}

/// Writes an ``EncodedDeltaDiscoveryResponse`` the same way: byte for byte what SwiftProtobuf
/// writes for the equivalent `DeltaDiscoveryResponse`.
struct DeltaDiscoveryResponseSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ response: EncodedDeltaDiscoveryResponse) throws -> Bytes {
        var size = ProtobufWire.fieldSize(response.systemVersionInfo) + ProtobufWire.fieldSize(response.typeURL) + ProtobufWire.fieldSize(response.nonce)
        for resource in response.resources {
            size += ProtobufWire.messageSize(Self.wrapperSize(of: resource))
        }
        for name in response.removedResources {
            size += ProtobufWire.messageSize(name.utf8.count)  // repeated strings are written even when empty
        }
        return ProtobufWire.write(size: size) { writer in
            writer.string(response.systemVersionInfo, field: 1)
            for resource in response.resources {
                // `Resource`: version = 1, resource = 2, name = 3.
                writer.tag(2)
                writer.varint(Self.wrapperSize(of: resource))
                writer.string(resource.version, field: 1)
                writer.any(resource, field: 2)
                writer.string(resource.name, field: 3)
            }
            writer.string(response.typeURL, field: 4)
            writer.string(response.nonce, field: 5)
            for name in response.removedResources {
                writer.string(name, field: 6, evenIfEmpty: true)
            }
        }
    }

    static func wrapperSize(of resource: XDSResource) -> Int {
        ProtobufWire.fieldSize(resource.version) + ProtobufWire.messageSize(ProtobufWire.anySize(of: resource)) + ProtobufWire.fieldSize(resource.name)
    }
}

/// Protobuf's binary format for the few shapes these responses have: length-delimited fields of
/// numbers below 16 (one-byte tags), which protobuf writes in number order, leaving out empty
/// strings and bytes except in repeated fields; `google.protobuf.Any` is type URL = 1, value = 2.
enum ProtobufWire {
    static func write<Bytes: GRPCContiguousBytes>(size: Int, _ body: (inout Writer) -> Void) -> Bytes {
        var bytes = Bytes(repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { buffer in
            var writer = Writer(buffer: buffer)
            body(&writer)
            precondition(writer.offset == buffer.count, "the size computed is the size written")
        }
        return bytes
    }

    static func anySize(of resource: XDSResource) -> Int {
        fieldSize(resource.typeURL) + fieldSize(length: resource.value.count)
    }

    /// A set message field or an element of a repeated one: written even when empty.
    static func messageSize(_ length: Int) -> Int {
        1 + varintSize(length) + length
    }

    static func fieldSize(_ string: String) -> Int {
        fieldSize(length: string.utf8.count)
    }

    static func fieldSize(length: Int) -> Int {
        length == 0 ? 0 : messageSize(length)
    }

    static func varintSize(_ value: Int) -> Int {
        var value = UInt64(value)
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }

    struct Writer {
        let buffer: UnsafeMutableRawBufferPointer
        var offset = 0

        mutating func tag(_ field: Int) {
            byte(UInt8(field << 3 | 2))
        }

        mutating func varint(_ value: Int) {
            var value = UInt64(value)
            while value >= 0x80 {
                byte(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            byte(UInt8(value))
        }

        mutating func any(_ resource: XDSResource, field: Int) {
            tag(field)
            varint(ProtobufWire.anySize(of: resource))
            string(resource.typeURL, field: 1)
            bytes(resource.value, field: 2)
        }

        mutating func string(_ string: String, field: Int, evenIfEmpty: Bool = false) {
            guard evenIfEmpty || !string.isEmpty else { return }
            var string = string
            string.withUTF8 { raw(UnsafeRawBufferPointer($0), field: field) }
        }

        mutating func bytes(_ data: Data, field: Int) {
            guard !data.isEmpty else { return }
            data.withUnsafeBytes { raw($0, field: field) }
        }

        /// Bytes written already in this format, as they are.
        mutating func raw(_ data: Data) {
            data.withUnsafeBytes { copy($0) }
        }

        private mutating func raw(_ bytes: UnsafeRawBufferPointer, field: Int) {
            tag(field)
            varint(bytes.count)
            copy(bytes)
        }

        private mutating func copy(_ bytes: UnsafeRawBufferPointer) {
            if bytes.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).copyMemory(from: bytes)
            }
            offset += bytes.count
        }

        private mutating func byte(_ value: UInt8) {
            buffer[offset] = value
            offset += 1
        }
    }
}
