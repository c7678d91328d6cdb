import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// VirtualService `corsPolicy` → the CORS filter's per-route CorsPolicy.
enum CorsTranslator {
    static func perRouteConfig(_ cors: MeshAPI.CorsPolicy?) -> Google_Protobuf_Any? {
        guard let cors else { return nil }
        var policy = Envoy_Extensions_Filters_Http_Cors_V3_CorsPolicy()
        var origins = (cors.allowOrigins ?? []).compactMap(RouteMatchTranslator.stringMatcher)
        for origin in cors.allowOrigin ?? [] {
            var matcher = Envoy_Type_Matcher_V3_StringMatcher()
            if origin == "*" { matcher.prefix = "" } else { matcher.exact = origin }
            origins.append(matcher)
        }
        policy.allowOriginStringMatch = origins
        if let methods = cors.allowMethods { policy.allowMethods = methods.joined(separator: ",") }
        if let headers = cors.allowHeaders { policy.allowHeaders = headers.joined(separator: ",") }
        if let headers = cors.exposeHeaders { policy.exposeHeaders = headers.joined(separator: ",") }
        if let maxAge = cors.maxAge { policy.maxAge = String(maxAge.nanoseconds / 1_000_000_000) }
        if let credentials = cors.allowCredentials { policy.allowCredentials = Google_Protobuf_BoolValue(credentials) }
        if cors.unmatchedPreflights == .ignore { policy.forwardNotMatchingPreflights = Google_Protobuf_BoolValue(false) }
        return try? Google_Protobuf_Any(packing: policy)
    }
}
