import KubernetesAPI

/// networking.istio.io VirtualService (v1, v1beta1 and v1alpha3 share this shape).
public struct VirtualService: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: VirtualServiceSpec
    public var status: IstioStatus?

    public init(apiVersion: String = "networking.istio.io/v1", metadata: ObjectMeta, spec: VirtualServiceSpec = .init(), status: IstioStatus? = nil) {
        self.apiVersion = apiVersion
        self.kind = "VirtualService"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct VirtualServiceSpec: Codable, Sendable, Hashable {
    public var hosts: [String]?
    public var gateways: [String]?
    public var http: [HTTPRoute]?
    public var tls: [TLSRoute]?
    public var tcp: [TCPRoute]?
    public var exportTo: [String]?
    public init() {}
}

public struct Destination: Codable, Sendable, Hashable {
    public var host: String?
    public var subset: String?
    public var port: PortSelector?
    public init(host: String? = nil, subset: String? = nil, port: PortSelector? = nil) {
        self.host = host
        self.subset = subset
        self.port = port
    }
}

public struct HTTPRoute: Codable, Sendable, Hashable {
    public var name: String?
    public var match: [HTTPMatchRequest]?
    public var route: [HTTPRouteDestination]?
    public var redirect: HTTPRedirect?
    public var directResponse: HTTPDirectResponse?
    public var delegate: Delegate?
    public var rewrite: HTTPRewrite?
    public var timeout: IstioDuration?
    public var retries: HTTPRetry?
    public var fault: HTTPFaultInjection?
    public var mirror: Destination?
    public var mirrors: [HTTPMirrorPolicy]?
    /// Deprecated `mirror_percent` (Istio spells this one field in snake case).
    public var mirrorPercent: UInt32?
    public var mirrorPercentage: Percent?
    public var corsPolicy: CorsPolicy?
    public var headers: Headers?

    enum CodingKeys: String, CodingKey {
        case name, match, route, redirect, directResponse, delegate, rewrite, timeout, retries, fault, mirror, mirrors
        case mirrorPercent = "mirror_percent"
        case mirrorPercentage, corsPolicy, headers
    }

    public init() {}
}

public struct Delegate: Codable, Sendable, Hashable {
    public var name: String?
    public var namespace: String?
    public init(name: String? = nil, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

public struct Headers: Codable, Sendable, Hashable {
    public var request: HeaderOperations?
    public var response: HeaderOperations?
    public init(request: HeaderOperations? = nil, response: HeaderOperations? = nil) {
        self.request = request
        self.response = response
    }
}

public struct HeaderOperations: Codable, Sendable, Hashable {
    public var set: [String: String]?
    public var add: [String: String]?
    public var remove: [String]?
    public init(set: [String: String]? = nil, add: [String: String]? = nil, remove: [String]? = nil) {
        self.set = set
        self.add = add
        self.remove = remove
    }
}

public struct TLSRoute: Codable, Sendable, Hashable {
    public var match: [TLSMatchAttributes]?
    public var route: [RouteDestination]?
    public init() {}
}

public struct TCPRoute: Codable, Sendable, Hashable {
    public var match: [L4MatchAttributes]?
    public var route: [RouteDestination]?
    public init() {}
}

public struct HTTPMatchRequest: Codable, Sendable, Hashable {
    public var name: String?
    public var uri: StringMatch?
    public var scheme: StringMatch?
    public var method: StringMatch?
    public var authority: StringMatch?
    public var headers: [String: StringMatch]?
    public var port: UInt32?
    public var sourceLabels: [String: String]?
    public var gateways: [String]?
    public var queryParams: [String: StringMatch]?
    public var ignoreUriCase: Bool?
    public var withoutHeaders: [String: StringMatch]?
    public var sourceNamespace: String?
    public var statPrefix: String?
    public init() {}
}

public struct HTTPRouteDestination: Codable, Sendable, Hashable {
    public var destination: Destination?
    public var weight: Int32?
    public var headers: Headers?
    public init(destination: Destination? = nil, weight: Int32? = nil, headers: Headers? = nil) {
        self.destination = destination
        self.weight = weight
        self.headers = headers
    }
}

public struct RouteDestination: Codable, Sendable, Hashable {
    public var destination: Destination?
    public var weight: Int32?
    public init(destination: Destination? = nil, weight: Int32? = nil) {
        self.destination = destination
        self.weight = weight
    }
}

public struct L4MatchAttributes: Codable, Sendable, Hashable {
    public var destinationSubnets: [String]?
    public var port: UInt32?
    public var sourceLabels: [String: String]?
    public var gateways: [String]?
    public var sourceNamespace: String?
    public init() {}
}

public struct TLSMatchAttributes: Codable, Sendable, Hashable {
    public var sniHosts: [String]?
    public var destinationSubnets: [String]?
    public var port: UInt32?
    public var sourceLabels: [String: String]?
    public var gateways: [String]?
    public var sourceNamespace: String?
    public init() {}
}

public struct HTTPRedirect: Codable, Sendable, Hashable {
    public var uri: String?
    public var authority: String?
    /// One of `port` and `derivePort` (the `redirect_port` oneof).
    public var port: UInt32?
    public var derivePort: RedirectPortSelection?
    public var scheme: String?
    public var redirectCode: UInt32?
    public init() {}

    public enum RedirectPortSelection: String, IstioEnum {
        case fromProtocolDefault = "FROM_PROTOCOL_DEFAULT"
        case fromRequestPort = "FROM_REQUEST_PORT"
    }
}

public struct HTTPDirectResponse: Codable, Sendable, Hashable {
    public var status: UInt32?
    public var body: HTTPBody?
    public init(status: UInt32? = nil, body: HTTPBody? = nil) {
        self.status = status
        self.body = body
    }
}

/// One of `string` and `bytes` (base64).
public struct HTTPBody: Codable, Sendable, Hashable {
    public var string: String?
    public var bytes: String?
    public init(string: String? = nil, bytes: String? = nil) {
        self.string = string
        self.bytes = bytes
    }
}

public struct HTTPRewrite: Codable, Sendable, Hashable {
    public var uri: String?
    public var authority: String?
    public var uriRegexRewrite: RegexRewrite?
    public init() {}
}

public struct RegexRewrite: Codable, Sendable, Hashable {
    public var match: String?
    public var rewrite: String?
    public init(match: String? = nil, rewrite: String? = nil) {
        self.match = match
        self.rewrite = rewrite
    }
}

public struct HTTPRetry: Codable, Sendable, Hashable {
    public var attempts: Int32?
    public var perTryTimeout: IstioDuration?
    public var retryOn: String?
    public var retryRemoteLocalities: Bool?
    public var retryIgnorePreviousHosts: Bool?
    public var backoff: IstioDuration?
    public init() {}
}

public struct CorsPolicy: Codable, Sendable, Hashable {
    /// Deprecated: exact origins; use `allowOrigins`.
    public var allowOrigin: [String]?
    public var allowOrigins: [StringMatch]?
    public var allowMethods: [String]?
    public var allowHeaders: [String]?
    public var exposeHeaders: [String]?
    public var maxAge: IstioDuration?
    public var allowCredentials: Bool?
    public var unmatchedPreflights: UnmatchedPreflights?
    public init() {}

    public enum UnmatchedPreflights: String, IstioEnum {
        case unspecified = "UNSPECIFIED"
        case forward = "FORWARD"
        case ignore = "IGNORE"
    }
}

public struct HTTPFaultInjection: Codable, Sendable, Hashable {
    public var delay: Delay?
    public var abort: Abort?
    public init(delay: Delay? = nil, abort: Abort? = nil) {
        self.delay = delay
        self.abort = abort
    }

    public struct Delay: Codable, Sendable, Hashable {
        /// Deprecated integer percentage; use `percentage`.
        public var percent: Int32?
        /// One of `fixedDelay` and `exponentialDelay` (the latter hidden in Istio's docs).
        public var fixedDelay: IstioDuration?
        public var exponentialDelay: IstioDuration?
        public var percentage: Percent?
        public init() {}
    }

    public struct Abort: Codable, Sendable, Hashable {
        /// One of `httpStatus`, `grpcStatus` and `http2Error`.
        public var httpStatus: Int32?
        public var grpcStatus: String?
        public var http2Error: String?
        public var percentage: Percent?
        public init() {}
    }
}

public struct HTTPMirrorPolicy: Codable, Sendable, Hashable {
    public var destination: Destination?
    public var percentage: Percent?
    public init(destination: Destination? = nil, percentage: Percent? = nil) {
        self.destination = destination
        self.percentage = percentage
    }
}
