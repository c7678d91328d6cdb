import SwiftProtobuf

/// Registers every Envoy message Coxswain may pack into an `Any` with SwiftProtobuf.
///
/// SwiftProtobuf's `Any` registry is process-global and generated types are not registered on
/// their own. An `Any` built in memory prints as JSON without it, but an `Any` decoded from binary
/// (as it arrives over gRPC, or when a snapshot is decoded again) can only be turned into JSON, or
/// unpacked by type URL, once its type is registered. Call `registerTypes()` once at start-up; it
/// is idempotent and safe to call from any thread.
public enum EnvoyTypeRegistry {
    /// Every message type that appears inside an `Any` in the configuration Coxswain produces:
    /// xDS resources, network/HTTP/listener filters, transport sockets, cluster extension options,
    /// per-route filter configs and retry extensions.
    public static var packableTypes: [any Message.Type] {
        [
            // xDS resources (DiscoveryResponse.resources, Resource.resource)
            Envoy_Config_Listener_V3_Listener.self,
            Envoy_Config_Route_V3_RouteConfiguration.self,
            Envoy_Config_Cluster_V3_Cluster.self,
            Envoy_Config_Endpoint_V3_ClusterLoadAssignment.self,
            Envoy_Extensions_TransportSockets_Tls_V3_Secret.self,
            // network filters (Filter.typed_config, ApiListener.api_listener)
            Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.self,
            Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy.self,
            // HTTP filters and their per-route configs (HttpFilter.typed_config, typed_per_filter_config)
            Envoy_Extensions_Filters_Http_Router_V3_Router.self,
            Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault.self,
            Envoy_Extensions_Filters_Http_Cors_V3_Cors.self,
            Envoy_Extensions_Filters_Http_Cors_V3_CorsPolicy.self,
            // listener filters (ListenerFilter.typed_config)
            Envoy_Extensions_Filters_Listener_TlsInspector_V3_TlsInspector.self,
            Envoy_Extensions_Filters_Listener_HttpInspector_V3_HttpInspector.self,
            Envoy_Extensions_Filters_Listener_OriginalDst_V3_OriginalDst.self,
            // transport sockets (TransportSocket.typed_config)
            Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext.self,
            Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext.self,
            // cluster extension options (Cluster.typed_extension_protocol_options)
            Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions.self,
            // retry extensions (RetryPolicy.RetryHostPredicate.typed_config)
            Envoy_Extensions_Retry_Host_PreviousHosts_V3_PreviousHostsPredicate.self,
        ]
    }

    /// Runs once per process, on first use, under the Swift runtime's lazy-global lock.
    private static let registration: Void = {
        for type in packableTypes {
            _ = Google_Protobuf_Any.register(messageType: type)
        }
    }()

    /// Registers `packableTypes` with `Google_Protobuf_Any` (once; later calls do nothing).
    public static func registerAll() {
        _ = registration
    }
}

/// Registers every Envoy type Coxswain packs into an `Any` (see `EnvoyTypeRegistry`).
/// Call as `EnvoyAPI.registerTypes()` once at start-up, before printing decoded messages as JSON.
public func registerTypes() {
    EnvoyTypeRegistry.registerAll()
}

extension Google_Protobuf_Any {
    /// Packs a message under Envoy's type URL prefix (`type.googleapis.com/<full name>`).
    public init(packing message: some Message) throws {
        try self.init(message: message, partial: true, typePrefix: TypeURL.prefix)
    }
}
