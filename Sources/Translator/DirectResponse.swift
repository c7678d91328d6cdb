import EnvoyAPI
import Foundation
import MeshAPI
import SwiftProtobuf

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

extension DirectResponseTranslator {
    /// Envoy's default `max_direct_response_body_size_bytes`: a route configuration holding a
    /// larger inline body is rejected whole.
    static let envoyDefaultBodyLimit = 4096

    /// Raises the configuration's body limit to its largest direct-response body when that is over
    /// Envoy's default (validation caps a body at 1 MiB, as Istio does), and leaves it unset otherwise.
    static func allowBodies(in configuration: inout Envoy_Config_Route_V3_RouteConfiguration) {
        var largest = 0
        for host in configuration.virtualHosts {
            for route in host.routes where route.directResponse.hasBody {
                largest = max(largest, route.directResponse.body.inlineString.utf8.count, route.directResponse.body.inlineBytes.count)
            }
        }
        if largest > envoyDefaultBodyLimit {
            configuration.maxDirectResponseBodySizeBytes = Google_Protobuf_UInt32Value(UInt32(largest))
        }
    }
}
