import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// Outbound clusters: one per service port (`outbound|9080||reviews…`) and one per
/// DestinationRule subset (`outbound|9080|v1|reviews…`), endpoints over EDS on ADS,
/// with the DestinationRule's merged traffic policy applied.
public enum ClusterTranslator {
    /// Istio's default connect timeout.
    static let defaultConnectTimeout = Google_Protobuf_Duration(seconds: 10)

    /// Every outbound cluster a proxy in `clientNamespace` may route to.
    public static func outboundClusters(_ index: MeshIndex, clientNamespace: String, proxyKind: ProxyIdentity.Kind) -> [Envoy_Config_Cluster_V3_Cluster] {
        var clusters: [Envoy_Config_Cluster_V3_Cluster] = []
        for fqdn in index.serviceOrder {
            guard let service = index.services[fqdn] else { continue }
            let rule = index.destinationRule(host: fqdn, clientNamespace: clientNamespace)
            for port in service.ports where port.protocolKind != .udp {
                clusters.append(cluster(service: service, port: port, subset: nil, rule: rule, proxyKind: proxyKind))
                for subset in rule?.spec.subsets ?? [] {
                    guard let name = subset.name else { continue }
                    clusters.append(cluster(service: service, port: port, subset: name, rule: rule, proxyKind: proxyKind))
                }
            }
        }
        return clusters
    }

    public static func cluster(service: MeshIndex.ServiceEntry, port: MeshIndex.ServicePort, subset: String?, rule: DestinationRule?, proxyKind: ProxyIdentity.Kind) -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = edsCluster(named: ClusterName.outbound(port: port.port, subset: subset, host: service.fqdn))
        let policy = TrafficPolicyMerge.effective(rule, subset: subset, port: port.port)
        LoadBalancerPolicy.apply(policy.loadBalancer, to: &cluster, proxyKind: proxyKind)
        ConnectionPoolPolicy.apply(policy.connectionPool, retryBudget: policy.retryBudget, http2: port.protocolKind.isHTTP2, to: &cluster)
        OutlierDetectionPolicy.apply(policy.outlierDetection, to: &cluster)
        UpstreamTLS.apply(policy.tls, host: service.fqdn, to: &cluster)
        return cluster
    }

    /// A cluster whose endpoints come over EDS on the ADS stream, named for Istio.
    public static func edsCluster(named name: String) -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = name
        cluster.type = .eds
        cluster.edsClusterConfig.edsConfig = Self.adsConfigSource
        cluster.edsClusterConfig.serviceName = name
        cluster.connectTimeout = defaultConnectTimeout
        return cluster
    }

    /// Resources fetched over the same ADS stream, xDS v3.
    static var adsConfigSource: Envoy_Config_Core_V3_ConfigSource {
        var source = Envoy_Config_Core_V3_ConfigSource()
        source.ads = Envoy_Config_Core_V3_AggregatedConfigSource()
        source.resourceApiVersion = .v3
        return source
    }
}

/// DestinationRule `loadBalancer` → lb_policy and its configs.
enum LoadBalancerPolicy {
    static func apply(_ settings: LoadBalancerSettings?, to cluster: inout Envoy_Config_Cluster_V3_Cluster, proxyKind: ProxyIdentity.Kind) {
        // Istio's default is LEAST_REQUEST; proxyless gRPC clients get ROUND_ROBIN, which every gRPC release supports.
        cluster.lbPolicy = proxyKind == .grpc ? .roundRobin : .leastRequest
        guard let settings else { return }
        if let hash = settings.consistentHash {
            if let maglev = hash.maglev {
                cluster.lbPolicy = .maglev
                if let size = maglev.tableSize { cluster.maglevLbConfig.tableSize = Google_Protobuf_UInt64Value(size) }
            } else {
                cluster.lbPolicy = .ringHash
                if let size = hash.ringHash?.minimumRingSize ?? hash.minimumRingSize {
                    cluster.ringHashLbConfig.minimumRingSize = Google_Protobuf_UInt64Value(size)
                }
            }
        } else {
            switch settings.simple {
            case .roundRobin?: cluster.lbPolicy = .roundRobin
            case .random?: cluster.lbPolicy = .random
            case .leastConn?, .leastRequest?: cluster.lbPolicy = .leastRequest
            case .passthrough?, .unspecified?, nil: break
            }
        }
        if let locality = settings.localityLbSetting, locality.enabled != false, locality.distribute != nil || locality.failover != nil || locality.failoverPriority != nil {
            cluster.commonLbConfig.localityWeightedLbConfig = Envoy_Config_Cluster_V3_Cluster.CommonLbConfig.LocalityWeightedLbConfig()
        }
        if let window = settings.warmup?.duration ?? settings.warmupDurationSecs {
            var slowStart = Envoy_Config_Cluster_V3_Cluster.SlowStartConfig()
            slowStart.slowStartWindow = Google_Protobuf_Duration(window)
            if cluster.lbPolicy == .roundRobin {
                cluster.roundRobinLbConfig.slowStartConfig = slowStart
            } else if cluster.lbPolicy == .leastRequest {
                cluster.leastRequestLbConfig.slowStartConfig = slowStart
            }
        }
    }
}

/// DestinationRule `connectionPool` → circuit breakers and upstream HTTP options.
enum ConnectionPoolPolicy {
    /// Istio leaves Envoy's circuit breakers effectively open unless told otherwise.
    static let unlimited: UInt32 = 4_294_967_295

    /// Upstream HTTP/1.1 and HTTP/2 with nothing else set, packed once (most clusters carry one).
    static let defaultHTTP1 = explicitOptions(http2: false)
    static let defaultHTTP2 = explicitOptions(http2: true)

    static func explicitOptions(http2: Bool) -> Google_Protobuf_Any {
        var explicit = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.ExplicitHttpConfig()
        if http2 { explicit.http2ProtocolOptions = Envoy_Config_Core_V3_Http2ProtocolOptions() } else { explicit.httpProtocolOptions = Envoy_Config_Core_V3_Http1ProtocolOptions() }
        var options = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions()
        options.explicitHTTPConfig = explicit
        return (try? Google_Protobuf_Any(packing: options)) ?? Google_Protobuf_Any()
    }

    static func apply(_ pool: ConnectionPoolSettings?, retryBudget: TrafficPolicy.RetryBudget?, http2: Bool, to cluster: inout Envoy_Config_Cluster_V3_Cluster) {
        var thresholds = Envoy_Config_Cluster_V3_CircuitBreakers.Thresholds()
        thresholds.maxConnections = Google_Protobuf_UInt32Value(pool?.tcp?.maxConnections.map { UInt32(max(0, $0)) } ?? unlimited)
        thresholds.maxPendingRequests = Google_Protobuf_UInt32Value(pool?.http?.http1MaxPendingRequests.map { UInt32(max(0, $0)) } ?? unlimited)
        thresholds.maxRequests = Google_Protobuf_UInt32Value(pool?.http?.http2MaxRequests.map { UInt32(max(0, $0)) } ?? unlimited)
        thresholds.maxRetries = Google_Protobuf_UInt32Value(pool?.http?.maxRetries.map { UInt32(max(0, $0)) } ?? unlimited)
        if let budget = retryBudget {
            var retry = Envoy_Config_Cluster_V3_CircuitBreakers.Thresholds.RetryBudget()
            if let percent = budget.percent { retry.budgetPercent = Envoy_Type_V3_Percent.with { $0.value = percent } }
            if let minimum = budget.minRetryConcurrency { retry.minRetryConcurrency = Google_Protobuf_UInt32Value(minimum) }
            thresholds.retryBudget = retry
        }
        cluster.circuitBreakers.thresholds = [thresholds]
        if let timeout = pool?.tcp?.connectTimeout { cluster.connectTimeout = Google_Protobuf_Duration(timeout) }
        if let keepalive = pool?.tcp?.tcpKeepalive {
            var options = Envoy_Config_Core_V3_TcpKeepalive()
            if let probes = keepalive.probes { options.keepaliveProbes = Google_Protobuf_UInt32Value(probes) }
            if let time = keepalive.time { options.keepaliveTime = Google_Protobuf_UInt32Value(UInt32(clamping: time.nanoseconds / 1_000_000_000)) }
            if let interval = keepalive.interval { options.keepaliveInterval = Google_Protobuf_UInt32Value(UInt32(clamping: interval.nanoseconds / 1_000_000_000)) }
            cluster.upstreamConnectionOptions.tcpKeepalive = options
        }

        var common = Envoy_Config_Core_V3_HttpProtocolOptions()
        var hasCommon = false
        if let idle = pool?.http?.idleTimeout { common.idleTimeout = Google_Protobuf_Duration(idle); hasCommon = true }
        if let limit = pool?.http?.maxRequestsPerConnection, limit > 0 { common.maxRequestsPerConnection = Google_Protobuf_UInt32Value(UInt32(limit)); hasCommon = true }
        if let duration = pool?.tcp?.maxConnectionDuration { common.maxConnectionDuration = Google_Protobuf_Duration(duration); hasCommon = true }
        let upgrade = http2 || pool?.http?.h2UpgradePolicy == .upgrade
        let useClient = pool?.http?.useClientProtocol == true
        guard hasCommon || upgrade || useClient else { return }
        let plainStreams = (pool?.http?.maxConcurrentStreams ?? 0) <= 0
        if !hasCommon && !useClient && plainStreams {
            // The common case (no pool settings), packed once.
            cluster.typedExtensionProtocolOptions[EnvoyExtensionName.upstreamHTTPProtocolOptions] = upgrade ? defaultHTTP2 : defaultHTTP1
            return
        }
        var options = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions()
        if hasCommon { options.commonHTTPProtocolOptions = common }
        if useClient {
            options.useDownstreamProtocolConfig = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.UseDownstreamHttpConfig()
        } else if upgrade {
            var explicit = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.ExplicitHttpConfig()
            var h2 = Envoy_Config_Core_V3_Http2ProtocolOptions()
            if let streams = pool?.http?.maxConcurrentStreams, streams > 0 { h2.maxConcurrentStreams = Google_Protobuf_UInt32Value(UInt32(streams)) }
            explicit.http2ProtocolOptions = h2
            options.explicitHTTPConfig = explicit
        } else {
            var explicit = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.ExplicitHttpConfig()
            explicit.httpProtocolOptions = Envoy_Config_Core_V3_Http1ProtocolOptions()
            options.explicitHTTPConfig = explicit
        }
        if let packed = try? Google_Protobuf_Any(packing: options) {
            cluster.typedExtensionProtocolOptions[EnvoyExtensionName.upstreamHTTPProtocolOptions] = packed
        }
    }
}

/// DestinationRule `outlierDetection` → Envoy's outlier detection, Istio's way: only the
/// configured error kinds are enforced.
enum OutlierDetectionPolicy {
    static func apply(_ settings: MeshAPI.OutlierDetection?, to cluster: inout Envoy_Config_Cluster_V3_Cluster) {
        guard let settings else { return }
        var detection = Envoy_Config_Cluster_V3_OutlierDetection()
        if let count = settings.consecutive5xxErrors ?? settings.consecutiveErrors.map({ UInt32(max(0, $0)) }) {
            detection.consecutive5Xx = Google_Protobuf_UInt32Value(count)
            detection.enforcingConsecutive5Xx = Google_Protobuf_UInt32Value(UInt32(count > 0 ? 100 : 0))
        } else {
            detection.enforcingConsecutive5Xx = Google_Protobuf_UInt32Value(UInt32(0))
        }
        if let count = settings.consecutiveGatewayErrors {
            detection.consecutiveGatewayFailure = Google_Protobuf_UInt32Value(count)
            detection.enforcingConsecutiveGatewayFailure = Google_Protobuf_UInt32Value(UInt32(count > 0 ? 100 : 0))
        }
        if settings.splitExternalLocalOriginErrors == true {
            detection.splitExternalLocalOriginErrors = true
            if let count = settings.consecutiveLocalOriginFailures {
                detection.consecutiveLocalOriginFailure = Google_Protobuf_UInt32Value(count)
                detection.enforcingConsecutiveLocalOriginFailure = Google_Protobuf_UInt32Value(UInt32(100))
            }
        }
        if let interval = settings.interval { detection.interval = Google_Protobuf_Duration(interval) }
        if let base = settings.baseEjectionTime { detection.baseEjectionTime = Google_Protobuf_Duration(base) }
        if let percent = settings.maxEjectionPercent { detection.maxEjectionPercent = Google_Protobuf_UInt32Value(UInt32(max(0, percent))) }
        // Istio turns success-rate ejection off.
        detection.enforcingSuccessRate = Google_Protobuf_UInt32Value(UInt32(0))
        cluster.outlierDetection = detection
        if let minimum = settings.minHealthPercent, minimum >= 0 {
            cluster.commonLbConfig.healthyPanicThreshold = Envoy_Type_V3_Percent.with { $0.value = Double(minimum) }
        }
    }
}
