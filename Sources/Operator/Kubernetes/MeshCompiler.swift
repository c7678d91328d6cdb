import Foundation
import KubernetesAPI
import KubernetesClient
import Logging
import MeshAPI

/// Identifies one object of one kind.
public struct MeshObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: MeshKind
    public var namespace: String
    public var name: String

    public init(kind: MeshKind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.kind.rawValue, lhs.namespace, lhs.name) < (rhs.kind.rawValue, rhs.namespace, rhs.name)
    }

    /// `VirtualService/default/reviews`.
    public var description: String { "\(kind.rawValue)/\(namespace)/\(name)" }

    /// `kind`, `namespace` and `name`, on every log line about the object.
    public var logMetadata: Logger.Metadata {
        ["kind": "\(kind.rawValue)", "namespace": "\(namespace)", "name": "\(name)"]
    }
}

/// One analysis finding in the shape Istio's status carries.
public struct StatusFinding: Sendable, Hashable {
    public var code: String
    public var name: String
    /// `ERROR`, `WARNING` or `INFO`.
    public var level: String
    public var message: String
}

/// What one pass found about one VirtualService, DestinationRule or Gateway: everything its status says
/// except whether proxies have it.
public struct ObjectEvaluation: Sendable, Hashable {
    /// The `metadata.generation` the findings are for.
    public var generation: Int64
    /// Decoding and validation errors, each `field.path: message`. Non-empty: the object is left out.
    public var invalid: [String] = []
    /// References that do not resolve (hosts, subsets, gateways, credentials).
    public var unresolved: [String] = []
    /// Every analysis finding (errors, warnings, remarks) about the object.
    public var findings: [StatusFinding] = []
    /// When this generation is invalid: the earlier valid version proxies are still served instead
    /// ("generation 4"), nil when there is none and nothing of the object is served.
    public var servedInstead: String?

    public var isAccepted: Bool { invalid.isEmpty }
}

/// The result of one pass over the cluster cache.
public struct MeshCompilation: Sendable {
    public var snapshot: MeshSnapshot
    public var evaluations: [MeshObjectKey: ObjectEvaluation]
    /// Objects that are cached but could not be decoded or validated.
    public var invalidCount: Int { evaluations.values.filter { !$0.isAccepted }.count }
}

/// Turns the cluster cache's JSON objects into a `MeshSnapshot` and evaluates the Istio objects
/// (Contour's DAG builder: one pass, status computed with it). Decoding is cached per
/// `resourceVersion`, so a pass costs a decode only for what changed plus the linear
/// snapshot and analysis. A value type: the runner's loop owns it.
public struct MeshCompiler: Sendable {
    private struct Decoded: Sendable {
        var resourceVersion: String?
        var object: MeshObject?
        var errors: [String]
        /// The object's validation, computed once per resourceVersion and handed to the snapshot.
        var validation: [ValidationFinding] = []
    }

    public let domainSuffix: String
    private var decoded: [MeshObjectKey: Decoded] = [:]
    /// The last valid version of each Istio object, served while its newest one is invalid.
    private var lastValid = LastValidVersions()
    private let decoder = MeshDocumentDecoder()

    public init(domainSuffix: String = "cluster.local") {
        self.domainSuffix = domainSuffix
    }

    /// How many objects the last pass had to decode (not cached).
    public private(set) var lastDecodeCount = 0

    /// Builds the snapshot and the evaluations from the objects of each kind.
    public mutating func compile(_ objects: [WatchedKind: [UnstructuredObject]]) -> MeshCompilation {
        var fresh: [MeshObjectKey: Decoded] = [:]
        var meshObjects: [(object: MeshObject, findings: [ValidationFinding])] = []
        var keysAndGenerations: [(MeshObjectKey, Int64)] = []
        var servedInstead: [MeshObjectKey: String] = [:]
        lastDecodeCount = 0
        for (kind, list) in objects.sorted(by: { $0.key.mesh.rawValue < $1.key.mesh.rawValue }) {
            for object in list {
                let key = MeshObjectKey(kind: kind.mesh, namespace: object.metadata.namespace ?? "", name: object.metadata.name ?? "")
                var entry = decoded[key]
                if entry == nil || entry?.resourceVersion != object.metadata.resourceVersion || object.metadata.resourceVersion == nil {
                    entry = decode(object, kind: kind, key: key)
                    lastDecodeCount += 1
                }
                fresh[key] = entry
                guard kind.hasStatus, let entry else {
                    if let meshObject = entry?.object { meshObjects.append((meshObject, entry?.validation ?? [])) }
                    continue
                }
                let generation = object.metadata.generation ?? 0
                keysAndGenerations.append((key, generation))
                let current = entry.object.map { LastValidVersions.Version(object: $0, validation: entry.validation, generation: generation) }
                switch lastValid.resolve(key, current: current, isValid: entry.errors.isEmpty && entry.validation.isValid) {
                case .current:
                    meshObjects.append((entry.object!, entry.validation))
                case .lastValid(let version):
                    meshObjects.append((version.object, version.validation))
                    servedInstead[key] = version.label
                case .none:
                    // Never valid: kept for analysis (the index leaves it out of translation).
                    if let meshObject = entry.object { meshObjects.append((meshObject, entry.validation)) }
                }
            }
        }
        decoded = fresh
        lastValid.retain(only: Set(keysAndGenerations.map(\.0)))
        let named = Self.secretNamesInUse(meshObjects.map(\.object))
        let kept = meshObjects.filter { Self.isKept($0.object, secretNamesInUse: named) }
        let snapshot = MeshSnapshot(validated: kept, domainSuffix: domainSuffix)
        var evaluations = evaluate(keysAndGenerations, snapshot: snapshot)
        for (key, label) in servedInstead { evaluations[key]?.servedInstead = label }
        return MeshCompilation(snapshot: snapshot, evaluations: evaluations)
    }

    /// The TLS Secrets some Gateway names (`credentialName`, its `-cacert` companion, `credentialNames`):
    /// only these are kept, so key material nothing uses stays out of the mesh and out of memory.
    static func secretNamesInUse(_ objects: [MeshObject]) -> Set<String> {
        var named: Set<String> = []
        for case .gateway(let gateway) in objects {
            for server in gateway.spec.servers ?? [] {
                for name in [server.tls?.credentialName].compactMap({ $0 }) + (server.tls?.credentialNames ?? []) {
                    named.formUnion([name, "\(name)-cacert"])
                }
            }
        }
        return named
    }

    static func isKept(_ object: MeshObject, secretNamesInUse named: Set<String>) -> Bool {
        guard case .secret(let secret) = object else { return true }
        return named.contains(secret.metadata.name ?? "")
    }

    private func evaluate(_ keys: [(MeshObjectKey, Int64)], snapshot: MeshSnapshot) -> [MeshObjectKey: ObjectEvaluation] {
        var evaluations: [MeshObjectKey: ObjectEvaluation] = [:]
        evaluations.reserveCapacity(keys.count)
        for (key, generation) in keys {
            var evaluation = ObjectEvaluation(generation: generation)
            if let entry = decoded[key] {
                evaluation.invalid = entry.errors
                evaluation.invalid += entry.validation.filter { $0.level == .error }
                    .map { $0.fieldPath.isEmpty ? $0.message : "\($0.fieldPath): \($0.message)" }
            }
            evaluations[key] = evaluation
        }
        for finding in MeshAnalyzer.analyze(snapshot) {
            let key = MeshObjectKey(kind: finding.kind, namespace: finding.namespace ?? MeshSnapshot.defaultNamespace, name: finding.name ?? "")
            guard evaluations[key] != nil else { continue }
            let text = finding.fieldPath.isEmpty ? finding.message : "\(finding.fieldPath): \(finding.message)"
            evaluations[key]?.findings.append(StatusFinding(code: finding.type.code, name: finding.type.name,
                                                            level: finding.level.rawValue.uppercased(), message: text))
            if Self.isUnresolvedReference(finding) { evaluations[key]?.unresolved.append(text) }
        }
        return evaluations
    }

    /// Missing hosts, subsets, gateways and credentials; a Gateway whose selector matches no pod yet
    /// is a warning, not an unresolved reference (its pods may come later).
    static func isUnresolvedReference(_ finding: AnalysisFinding) -> Bool {
        switch finding.type {
        case .referencedResourceNotFound: finding.fieldPath != "spec.selector"
        case .invalidGatewayCredential: true
        default: false
        }
    }

    private func decode(_ object: UnstructuredObject, kind: WatchedKind, key: MeshObjectKey) -> Decoded {
        var json = ClusterCache.translationRelevant(object.object)
        json["apiVersion"] = .string(kind.resource.apiVersion)
        json["kind"] = .string(kind.resource.kind)
        if !kind.hasStatus, let status = object.object["status"] { json["status"] = status }
        if var metadata = json["metadata"]?.objectValue, let generation = object.metadata.generation {
            metadata["generation"] = .integer(generation)
            json["metadata"] = .object(metadata)
        }
        let result = decoder.decode(json: json, source: key.description)
        let errors = result.errors.map { $0.fieldPath.isEmpty ? $0.message : "\($0.fieldPath): \($0.message)" }
        let decodedObject = errors.isEmpty ? result.objects.first?.object : nil
        return Decoded(resourceVersion: object.metadata.resourceVersion, object: decodedObject, errors: errors,
                       validation: decodedObject.map(MeshValidator.validate) ?? [])
    }
}
