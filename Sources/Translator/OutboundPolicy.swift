import EnvoyAPI
import SwiftProtobuf

/// What a sidecar does with outbound traffic to a destination the mesh does not know, as istiod's
/// default outbound traffic policy `ALLOW_ANY` does: an HTTP request on a port some mesh service
/// uses (`http://<outside-ip>:9080/`) matches no service's virtual host, so the port's route
/// configuration ends with the catch-all `allow_any`, which forwards it as addressed through
/// `PassthroughCluster` (without it, Envoy answers 404). `BlackHoleCluster` is the cluster istiod
/// gives every sidecar for traffic that must go nowhere.
enum OutboundPolicy {
    static let allowAnyName = "allow_any"

    /// `allow_any`: every domain, every path, to `PassthroughCluster`, with no timeout (traffic
    /// outside the mesh has no VirtualService to set one).
    static func allowAnyVirtualHost() -> Envoy_Config_Route_V3_VirtualHost {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = allowAnyName
        host.domains = ["*"]
        host.includeRequestAttemptCount = true
        var route = Envoy_Config_Route_V3_Route()
        route.name = allowAnyName
        route.match.prefix = "/"
        route.route.cluster = PassthroughCluster.name
        route.route.timeout = Google_Protobuf_Duration(seconds: 0)
        host.routes = [route]
        return host
    }
}

/// istiod's cluster that drops what it is sent: STATIC with no endpoints.
enum BlackHoleCluster {
    static let name = "BlackHoleCluster"

    static func cluster() -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = name
        cluster.type = .static
        cluster.connectTimeout = ClusterTranslator.defaultConnectTimeout
        return cluster
    }
}
