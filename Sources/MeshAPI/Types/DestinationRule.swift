import KubernetesAPI

/// networking.istio.io DestinationRule (v1, v1beta1 and v1alpha3 share this shape).
public struct DestinationRule: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: DestinationRuleSpec
    public var status: IstioStatus?

    public init(apiVersion: String = "networking.istio.io/v1", metadata: ObjectMeta, spec: DestinationRuleSpec = .init(), status: IstioStatus? = nil) {
        self.apiVersion = apiVersion
        self.kind = "DestinationRule"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct DestinationRuleSpec: Codable, Sendable, Hashable {
    public var host: String?
    public var trafficPolicy: TrafficPolicy?
    public var subsets: [Subset]?
    public var exportTo: [String]?
    public var workloadSelector: WorkloadSelector?
    public init(host: String? = nil) { self.host = host }
}

public struct TrafficPolicy: Codable, Sendable, Hashable {
    public var loadBalancer: LoadBalancerSettings?
    public var connectionPool: ConnectionPoolSettings?
    public var outlierDetection: OutlierDetection?
    public var tls: ClientTLSSettings?
    public var portLevelSettings: [PortTrafficPolicy]?
    public var tunnel: TunnelSettings?
    public var proxyProtocol: ProxyProtocol?
    public init() {}

    /// Per-port overrides; same fields as the traffic policy minus nesting.
    public struct PortTrafficPolicy: Codable, Sendable, Hashable {
        public var port: PortSelector?
        public var loadBalancer: LoadBalancerSettings?
        public var connectionPool: ConnectionPoolSettings?
        public var outlierDetection: OutlierDetection?
        public var tls: ClientTLSSettings?
        public init() {}
    }

    public struct TunnelSettings: Codable, Sendable, Hashable {
        /// "CONNECT" (default) or "POST".
        public var `protocol`: String?
        public var targetHost: String?
        public var targetPort: UInt32?
        public init() {}
    }

    public struct ProxyProtocol: Codable, Sendable, Hashable {
        public var version: Version?
        public init(version: Version? = nil) { self.version = version }

        public enum Version: String, IstioEnum {
            case v1 = "V1"
            case v2 = "V2"
        }
    }
}

public struct Subset: Codable, Sendable, Hashable {
    public var name: String?
    public var labels: [String: String]?
    public var trafficPolicy: TrafficPolicy?
    public init(name: String? = nil, labels: [String: String]? = nil, trafficPolicy: TrafficPolicy? = nil) {
        self.name = name
        self.labels = labels
        self.trafficPolicy = trafficPolicy
    }
}

public struct LoadBalancerSettings: Codable, Sendable, Hashable {
    /// One of `simple` and `consistentHash` (the `lb_policy` oneof).
    public var simple: SimpleLB?
    public var consistentHash: ConsistentHashLB?
    public var localityLbSetting: LocalityLoadBalancerSetting?
    /// Deprecated: use `warmup`.
    public var warmupDurationSecs: IstioDuration?
    public var warmup: WarmupConfiguration?
    public init() {}

    public enum SimpleLB: String, IstioEnum {
        case unspecified = "UNSPECIFIED"
        case leastConn = "LEAST_CONN"
        case random = "RANDOM"
        case passthrough = "PASSTHROUGH"
        case roundRobin = "ROUND_ROBIN"
        case leastRequest = "LEAST_REQUEST"
    }

    public struct ConsistentHashLB: Codable, Sendable, Hashable {
        /// The hash key: exactly one of these four.
        public var httpHeaderName: String?
        public var httpCookie: HTTPCookie?
        public var useSourceIp: Bool?
        public var httpQueryParameterName: String?
        /// The hash algorithm: at most one of these two.
        public var ringHash: RingHash?
        public var maglev: MagLev?
        /// Deprecated: use `ringHash.minimumRingSize`.
        public var minimumRingSize: UInt64?
        public init() {}

        public struct RingHash: Codable, Sendable, Hashable {
            public var minimumRingSize: UInt64?
            public init(minimumRingSize: UInt64? = nil) { self.minimumRingSize = minimumRingSize }
        }

        public struct MagLev: Codable, Sendable, Hashable {
            public var tableSize: UInt64?
            public init(tableSize: UInt64? = nil) { self.tableSize = tableSize }
        }

        public struct HTTPCookie: Codable, Sendable, Hashable {
            public var name: String?
            public var path: String?
            public var ttl: IstioDuration?
            public var attributes: [Attribute]?
            public init(name: String? = nil, path: String? = nil, ttl: IstioDuration? = nil) {
                self.name = name
                self.path = path
                self.ttl = ttl
            }

            public struct Attribute: Codable, Sendable, Hashable {
                public var name: String?
                public var value: String?
                public init(name: String? = nil, value: String? = nil) {
                    self.name = name
                    self.value = value
                }
            }
        }
    }
}

public struct WarmupConfiguration: Codable, Sendable, Hashable {
    public var duration: IstioDuration?
    public var minimumPercent: Double?
    public var aggression: Double?
    public init() {}
}

public struct LocalityLoadBalancerSetting: Codable, Sendable, Hashable {
    public var distribute: [Distribute]?
    public var failover: [Failover]?
    public var failoverPriority: [String]?
    public var enabled: Bool?
    public init() {}

    public struct Distribute: Codable, Sendable, Hashable {
        public var from: String?
        public var to: [String: UInt32]?
        public init(from: String? = nil, to: [String: UInt32]? = nil) {
            self.from = from
            self.to = to
        }
    }

    public struct Failover: Codable, Sendable, Hashable {
        public var from: String?
        public var to: String?
        public init(from: String? = nil, to: String? = nil) {
            self.from = from
            self.to = to
        }
    }
}

public struct ConnectionPoolSettings: Codable, Sendable, Hashable {
    public var tcp: TCPSettings?
    public var http: HTTPSettings?
    public init() {}

    public struct TCPSettings: Codable, Sendable, Hashable {
        public var maxConnections: Int32?
        public var connectTimeout: IstioDuration?
        public var tcpKeepalive: TcpKeepalive?
        public var maxConnectionDuration: IstioDuration?
        public var idleTimeout: IstioDuration?
        public init() {}

        public struct TcpKeepalive: Codable, Sendable, Hashable {
            public var probes: UInt32?
            public var time: IstioDuration?
            public var interval: IstioDuration?
            public init() {}
        }
    }

    public struct HTTPSettings: Codable, Sendable, Hashable {
        public var http1MaxPendingRequests: Int32?
        public var http2MaxRequests: Int32?
        public var maxRequestsPerConnection: Int32?
        public var maxRetries: Int32?
        public var idleTimeout: IstioDuration?
        public var h2UpgradePolicy: H2UpgradePolicy?
        public var useClientProtocol: Bool?
        public var maxConcurrentStreams: Int32?
        public init() {}

        public enum H2UpgradePolicy: String, IstioEnum {
            case `default` = "DEFAULT"
            case doNotUpgrade = "DO_NOT_UPGRADE"
            case upgrade = "UPGRADE"
        }
    }
}

public struct OutlierDetection: Codable, Sendable, Hashable {
    /// Deprecated: use `consecutive5xxErrors` / `consecutiveGatewayErrors`.
    public var consecutiveErrors: Int32?
    public var splitExternalLocalOriginErrors: Bool?
    public var consecutiveLocalOriginFailures: UInt32?
    public var consecutiveGatewayErrors: UInt32?
    public var consecutive5xxErrors: UInt32?
    public var interval: IstioDuration?
    public var baseEjectionTime: IstioDuration?
    public var maxEjectionPercent: Int32?
    public var minHealthPercent: Int32?
    public init() {}
}

public struct ClientTLSSettings: Codable, Sendable, Hashable {
    public var mode: Mode?
    public var clientCertificate: String?
    public var privateKey: String?
    public var caCertificates: String?
    public var credentialName: String?
    public var subjectAltNames: [String]?
    public var sni: String?
    public var insecureSkipVerify: Bool?
    public var caCrl: String?
    public init(mode: Mode? = nil) { self.mode = mode }

    public enum Mode: String, IstioEnum {
        case disable = "DISABLE"
        case simple = "SIMPLE"
        case mutual = "MUTUAL"
        case istioMutual = "ISTIO_MUTUAL"
    }
}
