import KubernetesAPI

/// networking.istio.io Gateway (v1, v1beta1 and v1alpha3 share this shape).
public struct Gateway: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: GatewaySpec
    public var status: IstioStatus?

    public init(apiVersion: String = "networking.istio.io/v1", metadata: ObjectMeta, spec: GatewaySpec = .init(), status: IstioStatus? = nil) {
        self.apiVersion = apiVersion
        self.kind = "Gateway"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct GatewaySpec: Codable, Sendable, Hashable {
    public var servers: [Server]?
    public var selector: [String: String]?
    public init(servers: [Server]? = nil, selector: [String: String]? = nil) {
        self.servers = servers
        self.selector = selector
    }
}

public struct Server: Codable, Sendable, Hashable {
    public var port: Port?
    public var bind: String?
    public var hosts: [String]?
    public var tls: ServerTLSSettings?
    public var defaultEndpoint: String?
    public var name: String?
    public init(port: Port? = nil, hosts: [String]? = nil, tls: ServerTLSSettings? = nil, name: String? = nil) {
        self.port = port
        self.hosts = hosts
        self.tls = tls
        self.name = name
    }
}

public struct Port: Codable, Sendable, Hashable {
    public var number: UInt32?
    public var `protocol`: String?
    public var name: String?
    /// Deprecated by Istio; only meaningful for ServiceEntry-style use.
    public var targetPort: UInt32?
    public init(number: UInt32? = nil, protocol: String? = nil, name: String? = nil) {
        self.number = number
        self.protocol = `protocol`
        self.name = name
    }
}

public struct ServerTLSSettings: Codable, Sendable, Hashable {
    public var httpsRedirect: Bool?
    public var mode: Mode?
    public var serverCertificate: String?
    public var privateKey: String?
    public var caCertificates: String?
    public var caCrl: String?
    public var credentialName: String?
    public var credentialNames: [String]?
    public var tlsCertificates: [TLSCertificate]?
    public var subjectAltNames: [String]?
    public var verifyCertificateSpki: [String]?
    public var verifyCertificateHash: [String]?
    public var minProtocolVersion: TLSProtocol?
    public var maxProtocolVersion: TLSProtocol?
    public var cipherSuites: [String]?
    public init(mode: Mode? = nil) { self.mode = mode }

    public enum Mode: String, IstioEnum {
        case passthrough = "PASSTHROUGH"
        case simple = "SIMPLE"
        case mutual = "MUTUAL"
        case autoPassthrough = "AUTO_PASSTHROUGH"
        case istioMutual = "ISTIO_MUTUAL"
        case optionalMutual = "OPTIONAL_MUTUAL"
    }

    /// Ordered from least to most recent; `TLS_AUTO` sorts first.
    public enum TLSProtocol: String, IstioEnum, Comparable {
        case auto = "TLS_AUTO"
        case v1_0 = "TLSV1_0"
        case v1_1 = "TLSV1_1"
        case v1_2 = "TLSV1_2"
        case v1_3 = "TLSV1_3"

        private var order: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }
    }

    public struct TLSCertificate: Codable, Sendable, Hashable {
        public var serverCertificate: String?
        public var privateKey: String?
        public var caCertificates: String?
        public init(serverCertificate: String? = nil, privateKey: String? = nil, caCertificates: String? = nil) {
            self.serverCertificate = serverCertificate
            self.privateKey = privateKey
            self.caCertificates = caCertificates
        }
    }
}
