import EnvoyAPI
import Foundation
import MeshAPI

/// VirtualService `redirect` and `directResponse`.
enum RedirectTranslator {
    static func redirect(_ redirect: HTTPRedirect) -> Envoy_Config_Route_V3_RedirectAction {
        var action = Envoy_Config_Route_V3_RedirectAction()
        if let uri = redirect.uri { action.pathRedirect = uri }
        if let authority = redirect.authority { action.hostRedirect = authority }
        if let port = redirect.port { action.portRedirect = port }
        if let scheme = redirect.scheme { action.schemeRedirect = scheme }
        switch redirect.redirectCode ?? 301 {
        case 302: action.responseCode = .found
        case 303: action.responseCode = .seeOther
        case 307: action.responseCode = .temporaryRedirect
        case 308: action.responseCode = .permanentRedirect
        default: action.responseCode = .movedPermanently
        }
        return action
    }

    static func directResponse(_ response: HTTPDirectResponse) -> Envoy_Config_Route_V3_DirectResponseAction {
        var action = Envoy_Config_Route_V3_DirectResponseAction()
        action.status = response.status ?? 200
        if let text = response.body?.string {
            action.body.inlineString = text
        } else if let bytes = response.body?.bytes, let data = Data(base64Encoded: bytes) {
            action.body.inlineBytes = data
        }
        return action
    }
}
