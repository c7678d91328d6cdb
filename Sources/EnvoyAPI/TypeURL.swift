import SwiftProtobuf

/// Envoy's type URLs: the `@type` of an `Any` and the `type_url` of an xDS request or response.
///
/// Envoy identifies a resource type only by this string, so every producer (the translator) and
/// consumer (the xDS server's subscription bookkeeping) must agree on it exactly.
public enum TypeURL {
    /// The prefix SwiftProtobuf and Envoy both use for packed messages.
    public static let prefix = "type.googleapis.com/"

    public static let listener = of(Envoy_Config_Listener_V3_Listener.self)
    public static let routeConfiguration = of(Envoy_Config_Route_V3_RouteConfiguration.self)
    public static let cluster = of(Envoy_Config_Cluster_V3_Cluster.self)
    public static let clusterLoadAssignment = of(Envoy_Config_Endpoint_V3_ClusterLoadAssignment.self)
    public static let secret = of(Envoy_Extensions_TransportSockets_Tls_V3_Secret.self)

    /// The type URL of any message: the prefix plus its full protobuf name.
    public static func of<M: Message>(_ type: M.Type) -> String {
        prefix + M.protoMessageName
    }
}

/// The resource types Coxswain serves over xDS, in the order Envoy wants them pushed
/// (clusters before the endpoints and listeners that refer to them, listeners before routes).
public enum XDSResourceType: String, CaseIterable, Sendable {
    case cluster
    case endpoint
    case listener
    case route
    case secret

    /// The `type_url` of requests and responses for this resource type.
    public var typeURL: String {
        switch self {
        case .listener: TypeURL.listener
        case .route: TypeURL.routeConfiguration
        case .cluster: TypeURL.cluster
        case .endpoint: TypeURL.clusterLoadAssignment
        case .secret: TypeURL.secret
        }
    }

    /// The resource type a `type_url` names, or nil for types Coxswain does not serve.
    public init?(typeURL: String) {
        guard let type = Self.allCases.first(where: { $0.typeURL == typeURL }) else { return nil }
        self = type
    }

    /// The generated message type of the resource.
    public var messageType: any Message.Type {
        switch self {
        case .listener: Envoy_Config_Listener_V3_Listener.self
        case .route: Envoy_Config_Route_V3_RouteConfiguration.self
        case .cluster: Envoy_Config_Cluster_V3_Cluster.self
        case .endpoint: Envoy_Config_Endpoint_V3_ClusterLoadAssignment.self
        case .secret: Envoy_Extensions_TransportSockets_Tls_V3_Secret.self
        }
    }
}

/// The names Envoy knows its extensions by (`name` beside a `typed_config`).
public enum EnvoyExtensionName {
    public static let httpConnectionManager = "envoy.filters.network.http_connection_manager"
    public static let tcpProxy = "envoy.filters.network.tcp_proxy"
    public static let router = "envoy.filters.http.router"
    public static let fault = "envoy.filters.http.fault"
    public static let cors = "envoy.filters.http.cors"
    public static let tlsInspector = "envoy.filters.listener.tls_inspector"
    public static let httpInspector = "envoy.filters.listener.http_inspector"
    public static let originalDestination = "envoy.filters.listener.original_dst"
    public static let tlsTransportSocket = "envoy.transport_sockets.tls"
    public static let previousHostsRetryPredicate = "envoy.retry_host_predicates.previous_hosts"
    /// The key of `Cluster.typed_extension_protocol_options` for upstream HTTP options.
    public static let upstreamHTTPProtocolOptions = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
}
