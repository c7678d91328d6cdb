import KubernetesAPI

/// Validates Istio objects the way Istio's admission webhook does, as pure functions.
///
/// Each finding names the object, the field path and a message; an object is valid iff
/// no finding has level `.error`. Services, EndpointSlices, Pods and Secrets are checked as
/// kube-apiserver checks them, for the values that reach Envoy: objects read from files never
/// met an API server, and one bad port must not trap the translator.
public enum MeshValidator {
    public static func validate(_ object: MeshObject) -> [ValidationFinding] {
        switch object {
        case .virtualService(let value): validate(value)
        case .destinationRule(let value): validate(value)
        case .gateway(let value): validate(value)
        case .service(let value): validate(kubernetes: .service, value.metadata) { KubernetesRules.validate(value, into: &$0) }
        case .endpointSlice(let value): validate(kubernetes: .endpointSlice, value.metadata) { KubernetesRules.validate(value, into: &$0) }
        case .pod(let value): validate(kubernetes: .pod, value.metadata) { KubernetesRules.validate(value, into: &$0) }
        case .secret(let value): validate(kubernetes: .secret, value.metadata) { KubernetesRules.validate(value, into: &$0) }
        case .namespace, .node: []
        }
    }

    private static func validate(kubernetes kind: MeshKind, _ metadata: ObjectMeta, _ rules: (inout FindingCollector) -> Void) -> [ValidationFinding] {
        var collector = FindingCollector(kind: kind, namespace: metadata.namespace, name: metadata.name)
        rules(&collector)
        return collector.findings
    }

    public static func validate(_ objects: [MeshObject]) -> [ValidationFinding] {
        objects.flatMap { validate($0) }
    }

    public static func validate(_ virtualService: VirtualService) -> [ValidationFinding] {
        var collector = FindingCollector(kind: .virtualService, namespace: virtualService.metadata.namespace, name: virtualService.metadata.name)
        VirtualServiceRules.validate(virtualService, into: &collector)
        return collector.findings
    }

    public static func validate(_ destinationRule: DestinationRule) -> [ValidationFinding] {
        var collector = FindingCollector(kind: .destinationRule, namespace: destinationRule.metadata.namespace, name: destinationRule.metadata.name)
        DestinationRuleRules.validate(destinationRule, into: &collector)
        return collector.findings
    }

    public static func validate(_ gateway: Gateway) -> [ValidationFinding] {
        var collector = FindingCollector(kind: .gateway, namespace: gateway.metadata.namespace, name: gateway.metadata.name)
        GatewayRules.validate(gateway, into: &collector)
        return collector.findings
    }

    /// Whether the object has no error-level finding.
    public static func isValid(_ object: MeshObject) -> Bool { validate(object).isValid }
}
