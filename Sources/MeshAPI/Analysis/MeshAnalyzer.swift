/// Cross-object analysis like `istioctl analyze`: validation of each object plus
/// the checks that need the rest of the mesh (references, conflicts, pods a subset
/// selects). Pure and deterministic: same snapshot, same findings in the same order.
public enum MeshAnalyzer {
    /// Every analyzer, one per concern, in the order their findings are reported.
    static let analyzers: [any MeshAnalysis] = [
        ValidationAnalysis(),
        GatewayReferenceAnalysis(),
        DestinationHostAnalysis(),
        DestinationSubsetAnalysis(),
        MeshHostConflictAnalysis(),
        GatewayHostAnalysis(),
        RegexAnalysis(),
        WeightAnalysis(),
        DestinationRuleHostAnalysis(),
        DestinationRuleCAAnalysis(),
        GatewayWorkloadAnalysis(),
        GatewayConflictAnalysis(),
        GatewayCredentialAnalysis(),
    ]

    public static func analyze(_ snapshot: MeshSnapshot) -> [AnalysisFinding] {
        let context = AnalysisContext(snapshot: snapshot)
        var findings: [AnalysisFinding] = []
        for analyzer in analyzers {
            analyzer.analyze(context, into: &findings)
        }
        return findings
    }
}

/// One check over the whole mesh.
protocol MeshAnalysis: Sendable {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding])
}

/// The snapshot plus the indexes several analyzers share, built once.
struct AnalysisContext {
    let snapshot: MeshSnapshot
    /// DestinationRules by the FQDN of their host.
    let destinationRulesByHost: [String: [DestinationRule]]
    /// Pods by namespace, with their labels augmented by their Node's topology labels as Istio does.
    let podLabelsByNamespace: [String: [[String: String]]]

    init(snapshot: MeshSnapshot) {
        self.snapshot = snapshot
        var rules: [String: [DestinationRule]] = [:]
        for rule in snapshot.destinationRules {
            guard let host = rule.spec.host, !host.isEmpty else { continue }
            let namespace = MeshSnapshot.key(rule.metadata).namespace
            rules[snapshot.resolveHost(host, namespace: namespace), default: []].append(rule)
        }
        destinationRulesByHost = rules
        var pods: [String: [[String: String]]] = [:]
        for pod in snapshot.pods {
            let namespace = MeshSnapshot.key(pod.metadata).namespace
            pods[namespace, default: []].append(Self.augmentedLabels(of: pod, in: snapshot))
        }
        podLabelsByNamespace = pods
    }

    /// A pod's labels plus region, zone, subzone and hostname from its Node: Istio
    /// adds these to workload labels, so subsets may select on them.
    static func augmentedLabels(of pod: Pod, in snapshot: MeshSnapshot) -> [String: String] {
        var labels = pod.metadata.labels ?? [:]
        guard let nodeName = pod.spec?.nodeName, !nodeName.isEmpty else { return labels }
        if let nodeLabels = snapshot.node(named: nodeName)?.metadata.labels {
            for key in ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"] {
                if let value = nodeLabels[key] { labels[key] = value }
            }
        }
        labels["kubernetes.io/hostname"] = nodeName
        return labels
    }

    func podsMatching(_ selector: [String: String], namespace: String?) -> Bool {
        let candidates: [[String: String]] = namespace.map { podLabelsByNamespace[$0] ?? [] } ?? podLabelsByNamespace.values.flatMap { $0 }
        return candidates.contains { Selector.matches(selector, labels: $0) }
    }

    /// The Service a destination host names, with short names relative to `namespace`.
    func service(host: String, relativeTo namespace: String) -> Service? {
        snapshot.service(host: host, relativeTo: namespace)
    }
}

/// Equality-based label selectors, as Istio's `selector` and `labels` fields use them.
enum Selector {
    static func matches(_ selector: [String: String], labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// `app=reviews,version=v1`, keys sorted, as Istio prints selectors.
    static func describe(_ selector: [String: String]) -> String {
        selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// Host names with Istio's wildcard rules: `*` matches everything and `*.example.com`
/// matches any name ending in `.example.com`.
enum HostName {
    static func matches(pattern: String, host: String) -> Bool {
        if pattern == "*" || pattern == host { return true }
        if pattern.hasPrefix("*") {
            let suffix = pattern.dropFirst()
            if host.hasPrefix("*") { return host.dropFirst().hasSuffix(suffix) }
            return host.hasSuffix(suffix)
        }
        return false
    }

    static func overlap(_ a: String, _ b: String) -> Bool {
        matches(pattern: a, host: b) || matches(pattern: b, host: a)
    }

    /// Splits a Gateway server host `ns/host`; no prefix means any namespace.
    static func splitServerHost(_ host: String) -> (namespace: String, host: String) {
        guard let slash = host.firstIndex(of: "/") else { return ("*", host) }
        return (String(host[..<slash]), String(host[host.index(after: slash)...]))
    }

    /// Whether a server host's namespace part admits a VirtualService from `namespace`.
    static func serverNamespace(_ part: String, admits namespace: String, gatewayNamespace: String) -> Bool {
        switch part {
        case "*": true
        case ".": namespace == gatewayNamespace
        case "~": false
        default: part == namespace
        }
    }
}

/// A VirtualService's reference to a Gateway: `mesh`, `name`, `ns/name`, or the legacy `name.ns.svc.cluster.local`.
struct GatewayReference: Hashable {
    static let mesh = "mesh"
    var namespace: String
    var name: String

    init?(_ reference: String, relativeTo namespace: String) {
        if reference == Self.mesh { return nil }
        if let slash = reference.firstIndex(of: "/") {
            self.namespace = String(reference[..<slash])
            self.name = String(reference[reference.index(after: slash)...])
        } else if reference.contains("." as Character) {
            let labels = reference.split(separator: ".", omittingEmptySubsequences: false)
            self.name = String(labels[0])
            self.namespace = labels.count > 1 ? String(labels[1]) : namespace
        } else {
            self.namespace = namespace
            self.name = reference
        }
    }

    var description: String { "\(namespace)/\(name)" }
}

extension VirtualService {
    var namespacedName: NamespacedName { MeshSnapshot.key(metadata) }

    /// Whether sidecars apply this VirtualService: no gateways listed, or `mesh` among them.
    var bindsToMesh: Bool {
        let gateways = spec.gateways ?? []
        return gateways.isEmpty || gateways.contains(GatewayReference.mesh)
    }

    func finding(_ type: AnalysisMessageType, _ fieldPath: String = "", _ message: String) -> AnalysisFinding {
        AnalysisFinding(type, kind: .virtualService, namespace: namespacedName.namespace, name: namespacedName.name, fieldPath: fieldPath, message: message)
    }
}

extension DestinationRule {
    var namespacedName: NamespacedName { MeshSnapshot.key(metadata) }

    func finding(_ type: AnalysisMessageType, _ fieldPath: String = "", _ message: String) -> AnalysisFinding {
        AnalysisFinding(type, kind: .destinationRule, namespace: namespacedName.namespace, name: namespacedName.name, fieldPath: fieldPath, message: message)
    }
}

extension Gateway {
    var namespacedName: NamespacedName { MeshSnapshot.key(metadata) }

    func finding(_ type: AnalysisMessageType, _ fieldPath: String = "", _ message: String) -> AnalysisFinding {
        AnalysisFinding(type, kind: .gateway, namespace: namespacedName.namespace, name: namespacedName.name, fieldPath: fieldPath, message: message)
    }
}

/// Go's `%q` for the strings Istio's messages quote.
func quoted(_ text: String) -> String {
    var result = "\""
    for character in text {
        switch character {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        default: result.append(character)
        }
    }
    return result + "\""
}
