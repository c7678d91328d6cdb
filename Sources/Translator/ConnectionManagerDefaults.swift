import EnvoyAPI
import SwiftProtobuf

/// What istiod sets on every HTTP connection manager of a sidecar or gateway, beyond Envoy's own
/// defaults, so that traffic behaves as Istio users expect (proxyless gRPC clients ignore these
/// and get none of them).
enum ConnectionManagerDefaults {
    /// The upgrade istiod allows on every connection manager: WebSocket (Envoy refuses an
    /// `Upgrade: websocket` request with 403 unless it is listed).
    static let upgrades = ["websocket"]

    /// WebSocket upgrades, RFC 3986 path normalization (Istio's default `pathNormalization: BASE`,
    /// so `/a/../b` is routed, and sent on, as `/b`), and no stream idle timeout (istiod's `0s`:
    /// long-lived streams such as gRPC watches are not cut after Envoy's default 5 minutes).
    static func apply(to manager: inout Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager) {
        manager.upgradeConfigs = upgrades.map { type in
            var upgrade = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.UpgradeConfig()
            upgrade.upgradeType = type
            return upgrade
        }
        manager.normalizePath = Google_Protobuf_BoolValue(true)
        manager.streamIdleTimeout = Google_Protobuf_Duration(seconds: 0)
    }

    /// A gateway is where requests enter the mesh: a client's own `x-forwarded-client-cert` is
    /// replaced by what the gateway saw (subject, certificate, URI and DNS SANs of a client
    /// certificate on MUTUAL servers; nothing without one), as istiod's `SANITIZE_SET` default does.
    static func applyGateway(to manager: inout Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager) {
        apply(to: &manager)
        manager.forwardClientCertDetails = .sanitizeSet
        var details = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.SetCurrentClientCertDetails()
        details.subject = Google_Protobuf_BoolValue(true)
        details.cert = true
        details.dns = true
        details.uri = true
        manager.setCurrentClientCertDetails = details
    }
}
