import EnvoyAPI
import MeshAPI

/// VirtualService `mirror`/`mirrors` → request mirror policies.
enum MirrorTranslator {
    static func policies(_ rule: HTTPRoute, namespace: String, context: RouteContext) -> [Envoy_Config_Route_V3_RouteAction.RequestMirrorPolicy] {
        var result: [Envoy_Config_Route_V3_RouteAction.RequestMirrorPolicy] = []
        if let mirror = rule.mirror {
            let percent = rule.mirrorPercentage?.value ?? (rule.mirrorPercent ?? rule.mirrorPercentAlias).map(Double.init) ?? 100
            result.append(policy(context.clusterName(for: mirror, in: namespace), percent: percent))
        }
        for mirror in rule.mirrors ?? [] {
            guard let destination = mirror.destination else { continue }
            result.append(policy(context.clusterName(for: destination, in: namespace), percent: mirror.percentage?.value ?? 100))
        }
        return result
    }

    static func policy(_ cluster: String, percent: Double) -> Envoy_Config_Route_V3_RouteAction.RequestMirrorPolicy {
        var policy = Envoy_Config_Route_V3_RouteAction.RequestMirrorPolicy()
        policy.cluster = cluster
        policy.runtimeFraction.defaultValue = FaultTranslator.fraction(percent)
        return policy
    }
}
