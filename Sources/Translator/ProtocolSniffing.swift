import EnvoyAPI
import SwiftProtobuf

/// Istio's protocol sniffing for a service port it cannot classify (no `http-`/`grpc-`/`tcp-`…
/// name prefix, no `appProtocol`): Envoy's HTTP inspector reads the first bytes of each outbound
/// connection, and HTTP/1.1 or cleartext HTTP/2 goes through an HTTP connection manager with the
/// port's routes, so requests are balanced one by one instead of the connection sticking to one
/// endpoint; anything else keeps the listener's TCP chains.
///
/// Applied to a service's own `<clusterIP>_<port>` listener; a service without a cluster IP keeps
/// plain TCP on a sniffed port (its `0.0.0.0_<port>` listener may be shared with other services).
enum ProtocolSniffing {
    /// What the HTTP inspector reports for HTTP/1.x and for HTTP/2 with prior knowledge.
    static let httpProtocols = ["http/1.1", "h2c"]

    static func apply(to listener: inout Envoy_Config_Listener_V3_Listener, port: Int) {
        var http = Envoy_Config_Listener_V3_FilterChain()
        http.filterChainMatch.applicationProtocols = httpProtocols
        // Not TLS (whose ALPN may also say `http/1.1`): TLS keeps the listener's own chains.
        http.filterChainMatch.transportProtocol = "raw_buffer"
        http.filters = [ListenerTranslator.httpConnectionManagerFilter(statPrefix: "outbound_\(listener.name)", routeConfiguration: String(port),
                                                                       filters: [.fault, .cors, .router])]
        listener.filterChains.insert(http, at: 0)
        var inspector = Envoy_Config_Listener_V3_ListenerFilter()
        inspector.name = EnvoyExtensionName.httpInspector
        inspector.typedConfig = (try? Google_Protobuf_Any(packing: Envoy_Extensions_Filters_Listener_HttpInspector_V3_HttpInspector())) ?? Google_Protobuf_Any()
        listener.listenerFilters.append(inspector)
    }
}
