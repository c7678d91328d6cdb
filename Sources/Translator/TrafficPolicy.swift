import MeshAPI

/// Istio's merge of a DestinationRule's policies for one cluster: service level, then the
/// service level's settings for the port, then the subset's, then the subset's for the
/// port. Each later level replaces whole settings groups (load balancer, connection pool,
/// outlier detection, TLS), never single fields inside them.
public enum TrafficPolicyMerge {
    public static func effective(_ rule: DestinationRule?, subset: String?, port: Int) -> TrafficPolicy {
        var merged = TrafficPolicy()
        guard let rule else { return merged }
        if let service = rule.spec.trafficPolicy {
            apply(service, port: port, to: &merged)
        }
        if let subset, let subsetPolicy = rule.spec.subsets?.first(where: { $0.name == subset })?.trafficPolicy {
            apply(subsetPolicy, port: port, to: &merged)
        }
        return merged
    }

    private static func apply(_ policy: TrafficPolicy, port: Int, to merged: inout TrafficPolicy) {
        if let value = policy.loadBalancer { merged.loadBalancer = value }
        if let value = policy.connectionPool { merged.connectionPool = value }
        if let value = policy.outlierDetection { merged.outlierDetection = value }
        if let value = policy.tls { merged.tls = value }
        if let value = policy.tunnel { merged.tunnel = value }
        if let value = policy.proxyProtocol { merged.proxyProtocol = value }
        if let value = policy.retryBudget { merged.retryBudget = value }
        guard let portPolicy = policy.portLevelSettings?.first(where: { $0.port?.number.map(Int.init) == port }) else { return }
        if let value = portPolicy.loadBalancer { merged.loadBalancer = value }
        if let value = portPolicy.connectionPool { merged.connectionPool = value }
        if let value = portPolicy.outlierDetection { merged.outlierDetection = value }
        if let value = portPolicy.tls { merged.tls = value }
    }
}
