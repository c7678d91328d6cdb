import Foundation
import KubernetesAPI
import KubernetesClient
import XDSServer

/// What one replica's proxies have acknowledged, per Istio object, so the leader can count every
/// proxy of the mesh in `Programmed`, not only those connected to itself.
///
/// Cache generations are per replica (each compiles on its own), so progress is reported per
/// object generation: "my proxies have `reviews` at generation 3: 5 of the 7 connected to me".
/// Each replica keeps its report in a ConfigMap of the lease namespace (as istiod keeps its
/// distribution reports), labelled `coxswain.io/proxy-report`.
public struct ProxyReport: Codable, Sendable, Equatable {
    public static let label = "coxswain.io/proxy-report"
    public static let dataKey = "report.json"

    /// The replica's leader-election identity.
    public var replica: String
    /// Proxies connected to the replica.
    public var proxies: Int
    /// When the replica last wrote it; reports of replicas gone for longer than a TTL are ignored.
    public var renewed: Date
    /// `Kind/namespace/name` → "`<object generation> <proxies that have it>`".
    public var objects: [String: String]
    /// `Kind/namespace/name` → the first rejection among the replica's proxies that are behind.
    public var nacks: [String: String] = [:]

    /// One object's progress on the replica's proxies.
    public struct Progress: Sendable, Equatable {
        public var generation: Int64
        public var synced: Int
        public var nack: String?
    }

    public init(replica: String, proxies: Int, renewed: Date, objects: [String: String] = [:], nacks: [String: String] = [:]) {
        self.replica = replica
        self.proxies = proxies
        self.renewed = renewed
        self.objects = objects
        self.nacks = nacks
    }

    public static func key(_ key: MeshObjectKey) -> String { "\(key.kind.rawValue)/\(key.namespace)/\(key.name)" }

    public mutating func record(_ key: MeshObjectKey, generation: Int64, synced: Int, nack: String?) {
        let name = Self.key(key)
        objects[name] = "\(generation) \(synced)"
        if let nack { nacks[name] = nack }
    }

    public func progress(of key: MeshObjectKey) -> Progress? {
        let name = Self.key(key)
        guard let value = objects[name] else { return nil }
        let parts = value.split(separator: " ")
        guard parts.count == 2, let generation = Int64(parts[0]), let synced = Int(parts[1]) else { return nil }
        return Progress(generation: generation, synced: synced, nack: nacks[name])
    }

    /// `state` (this replica's own) with the other replicas' proxies added: a replica whose proxies do
    /// not have `generation` yet (it has not translated it, or they have not acknowledged it) counts
    /// them as not up to date, and its first rejection is reported when this replica has none.
    public static func merge(_ state: ProgrammedState, key: MeshObjectKey, generation: Int64, reports: [ProxyReport]) -> ProgrammedState {
        guard !reports.isEmpty else { return state }
        var synced = 0, total = 0
        var nack: String?
        for report in reports where report.proxies > 0 {
            total += report.proxies
            guard let progress = report.progress(of: key), progress.generation >= generation else { continue }
            synced += min(progress.synced, report.proxies)
            if nack == nil { nack = progress.nack }
        }
        switch state {
        case .waitingForPush:
            return state
        case .pushed(let localSynced, let localTotal):
            if let nack { return .rejected(synced: localSynced + synced, total: localTotal + total, error: nack) }
            return .pushed(synced: localSynced + synced, total: localTotal + total)
        case .rejected(let localSynced, let localTotal, let error):
            return .rejected(synced: localSynced + synced, total: localTotal + total, error: error)
        }
    }

    /// The ConfigMap name for a replica: identities may hold characters names may not.
    public static func configMapName(for identity: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
        let cleaned = String(identity.lowercased().map { allowed.contains($0) ? $0 : "-" }.prefix(200))
        return "coxswain-proxies-" + cleaned.trimmingCharacters(in: CharacterSet(charactersIn: "-."))
    }

    public func configMap(namespace: String) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let text = String(decoding: try encoder.encode(self), as: UTF8.self)
        return .object([
            "apiVersion": .string("v1"), "kind": .string("ConfigMap"),
            "metadata": .object([
                "name": .string(Self.configMapName(for: replica)), "namespace": .string(namespace),
                "labels": .object([Self.label: .string("true"), "app.kubernetes.io/name": .string("coxswain")]),
            ]),
            "data": .object([Self.dataKey: .string(text)]),
        ])
    }

    public init?(configMap object: UnstructuredObject) {
        guard case .string(let text)? = object.object[path: ["data", Self.dataKey]] else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let report = try? decoder.decode(ProxyReport.self, from: Data(text.utf8)) else { return nil }
        self = report
    }
}
