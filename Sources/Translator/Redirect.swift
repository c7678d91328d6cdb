import EnvoyAPI
import MeshAPI

/// VirtualService `redirect` → Envoy RedirectAction.
enum RedirectTranslator {
    /// `requestPort` is the port the routes serve (listener or gateway server port): Envoy
    /// cannot copy the request's port, but every route configuration belongs to one port,
    /// so `derivePort: FROM_REQUEST_PORT` becomes that port, as in Istio.
    /// `FROM_PROTOCOL_DEFAULT` sets no port: Envoy then uses the scheme's default.
    static func redirect(_ redirect: HTTPRedirect, requestPort: Int?) -> Envoy_Config_Route_V3_RedirectAction {
        var action = Envoy_Config_Route_V3_RedirectAction()
        if let uri = redirect.uri { action.pathRedirect = uri }
        if let authority = redirect.authority { action.hostRedirect = authority }
        if let port = redirect.port {
            action.portRedirect = port
        } else if redirect.derivePort == .fromRequestPort, let requestPort {
            action.portRedirect = UInt32(clamping: requestPort)
        }
        if let scheme = redirect.scheme { action.schemeRedirect = scheme }
        action.responseCode = responseCode(redirect.redirectCode)
        return action
    }

    /// Envoy knows 301, 302, 303, 307 and 308; anything else (validation rejects it) is 301.
    static func responseCode(_ code: UInt32?) -> Envoy_Config_Route_V3_RedirectAction.RedirectResponseCode {
        switch code ?? 301 {
        case 302: return .found
        case 303: return .seeOther
        case 307: return .temporaryRedirect
        case 308: return .permanentRedirect
        default: return .movedPermanently
        }
    }
}
