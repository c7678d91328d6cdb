import EnvoyAPI
import MeshAPI

/// VirtualService `match` → Envoy RouteMatch. A list of matches is OR (one Envoy route
/// each); the fields of one match are AND (all set on the same RouteMatch).
enum RouteMatchTranslator {
    /// Whether a match applies to this proxy at all: port, gateway, source labels and namespace.
    /// The match's `gateways` are relative to `namespace`, the VirtualService's.
    static func applies(_ match: HTTPMatchRequest, namespace virtualServiceNamespace: String, context: RouteContext) -> Bool {
        if let port = match.port, let contextPort = context.port, Int(port) != contextPort { return false }
        if let gateways = match.gateways, !gateways.isEmpty {
            let here = context.gateway ?? "mesh"
            let resolved = gateways.map { $0 == "mesh" ? "mesh" : MeshIndex.gatewayKey($0, relativeTo: virtualServiceNamespace) }
            if !resolved.contains(here) { return false }
        }
        if let labels = match.sourceLabels, !labels.allSatisfy({ context.proxy.labels[$0.key] == $0.value }) { return false }
        if let namespace = match.sourceNamespace, namespace != context.proxy.namespace { return false }
        return true
    }

    static func routeMatch(_ match: HTTPMatchRequest?) -> Envoy_Config_Route_V3_RouteMatch {
        var result = Envoy_Config_Route_V3_RouteMatch()
        switch match?.uri?.kind {
        case .exact(let path)?: result.path = path
        case .prefix(let prefix)?: result.prefix = prefix
        case .regex(let regex)?: result.safeRegex = regexMatcher(regex)
        case nil: result.prefix = "/"
        }
        if match?.ignoreUriCase == true { result.caseSensitive = .init(false) }
        guard let match else { return result }
        for (name, value) in [(":scheme", match.scheme), (":method", match.method), (":authority", match.authority)] {
            if let value { result.headers.append(headerMatcher(name, value, invert: false)) }
        }
        for (name, value) in (match.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            result.headers.append(headerMatcher(name, value, invert: false))
        }
        for (name, value) in (match.withoutHeaders ?? [:]).sorted(by: { $0.key < $1.key }) {
            result.headers.append(headerMatcher(name, value, invert: true))
        }
        for (name, value) in (match.queryParams ?? [:]).sorted(by: { $0.key < $1.key }) {
            var matcher = Envoy_Config_Route_V3_QueryParameterMatcher()
            matcher.name = name
            if let string = stringMatcher(value) { matcher.stringMatch = string } else { matcher.presentMatch = true }
            result.queryParameters.append(matcher)
        }
        return result
    }

    /// An empty StringMatch (`{}`) means "present".
    static func headerMatcher(_ name: String, _ value: StringMatch, invert: Bool) -> Envoy_Config_Route_V3_HeaderMatcher {
        var matcher = Envoy_Config_Route_V3_HeaderMatcher()
        matcher.name = name
        if let string = stringMatcher(value) { matcher.stringMatch = string } else { matcher.presentMatch = true }
        matcher.invertMatch = invert
        return matcher
    }

    /// nil when any value matches: an empty StringMatch, and an empty prefix (which every value
    /// has, and which Envoy's `StringMatcher.prefix` refuses: `min_len: 1`), both "present".
    static func stringMatcher(_ value: StringMatch) -> Envoy_Type_Matcher_V3_StringMatcher? {
        var matcher = Envoy_Type_Matcher_V3_StringMatcher()
        switch value.kind {
        case .exact(let exact)?: matcher.exact = exact
        case .prefix(let prefix)? where prefix.isEmpty: return nil
        case .prefix(let prefix)?: matcher.prefix = prefix
        case .regex(let regex)?: matcher.safeRegex = regexMatcher(regex)
        case nil: return nil
        }
        return matcher
    }

    static func regexMatcher(_ regex: String) -> Envoy_Type_Matcher_V3_RegexMatcher {
        var matcher = Envoy_Type_Matcher_V3_RegexMatcher()
        matcher.regex = regex
        return matcher
    }
}
