import EnvoyAPI
import Foundation
import MeshAPI

/// VirtualService `directResponse` → Envoy DirectResponseAction (status and inline body).
enum DirectResponseTranslator {
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
