/// Istio's admission rules for VirtualService, written from its public validation code.
struct VirtualServiceRules {
    static let meshGateway = "mesh"

    static func validate(_ vs: VirtualService, into out: inout FindingCollector) {
        out.metadata(vs.metadata)
        let spec = vs.spec
        let hosts = spec.hosts ?? []
        let gateways = spec.gateways ?? []
        let isDelegate = hosts.isEmpty
        if isDelegate {
            if !gateways.isEmpty { out.error("spec.gateways", "delegate virtual service must have no gateways specified") }
            if !(spec.tls ?? []).isEmpty { out.error("spec.tls", "delegate virtual service must have no tls route specified") }
            if !(spec.tcp ?? []).isEmpty { out.error("spec.tcp", "delegate virtual service must have no tcp route specified") }
        }
        out.gatewayNames("spec.gateways", spec.gateways)
        // Bound to a gateway unless it names no gateway or names `mesh`.
        let appliesToGateway = !gateways.isEmpty && !gateways.contains(meshGateway)
        let appliesToMesh = !appliesToGateway
        let hasSNIHosts = (spec.tls ?? []).contains { ($0.match ?? []).contains { !($0.sniHosts ?? []).isEmpty } }

        var allHostsValid = true
        for (index, host) in hosts.enumerated() {
            let problem = Names.wildcardDomainProblem(host, allowOutboundSNI: appliesToGateway && hasSNIHosts)
            if let problem {
                if !Names.isIPAddress(host) {
                    out.error("spec.hosts"[index: index], problem)
                    allHostsValid = false
                }
            } else if appliesToMesh && host == "*" {
                out.error("spec.hosts"[index: index], "wildcard host * is not allowed for virtual services bound to the mesh gateway")
                allHostsValid = false
            }
        }
        if allHostsValid, hosts.count > 1 {
            for (i, j) in Names.firstOverlaps(hosts) {
                out.error("spec.hosts"[index: j], "duplicate hosts in virtual service: \(hosts[i]) & \(hosts[j])")
            }
        }

        if (spec.http ?? []).isEmpty && (spec.tcp ?? []).isEmpty && (spec.tls ?? []).isEmpty {
            out.error("spec", "http, tcp or tls must be provided in virtual service")
        }
        for (index, route) in (spec.http ?? []).enumerated() {
            httpRoute(route, path: "spec.http"[index: index], isDelegate: isDelegate, appliesToGateway: appliesToGateway, into: &out)
        }
        for (index, route) in (spec.tls ?? []).enumerated() {
            tlsRoute(route, path: "spec.tls"[index: index], hosts: hosts, appliesToGateway: appliesToGateway, into: &out)
        }
        for (index, route) in (spec.tcp ?? []).enumerated() {
            tcpRoute(route, path: "spec.tcp"[index: index], into: &out)
        }
        out.exportTo("spec.exportTo", spec.exportTo, namespace: vs.metadata.namespace ?? MeshSnapshot.defaultNamespace)
        UnreachableRules.analyze(spec, into: &out)
    }

    // MARK: HTTP

    static func httpRoute(_ route: HTTPRoute, path: String, isDelegate: Bool, appliesToGateway: Bool = false, into out: inout FindingCollector) {
        let isRoot = route.delegate != nil && !isDelegate
        routeConflicts(route, path: path, isRoot: isRoot, isDelegate: isDelegate, into: &out)
        matchRequests(route, path: path, delegateSemantics: isRoot || isDelegate, appliesToGateway: appliesToGateway, into: &out)

        out.headerOperations(path / "headers" / "request", route.headers?.request, isRequest: true)
        out.headerOperations(path / "headers" / "response", route.headers?.response, isRequest: false)
        authorityRewrite(route.rewrite, route.headers, path: path, into: &out)

        cors(route.corsPolicy, path: path / "corsPolicy", into: &out)
        fault(route.fault, path: path / "fault", into: &out)

        if let percent = route.mirrorPercent {
            if percent > 100 { out.error(path / "mirror_percent", "mirror_percent must have a max value of 100 (it has \(percent))") }
            out.warning(path / "mirror_percent", "using deprecated setting \"mirrorPercent\", use \"mirrorPercentage\" instead")
        }
        if let value = route.mirrorPercentage?.value {
            if value > 100 { out.error(path / "mirrorPercentage" / "value", "mirror_percentage must have a max value of 100 (it has \(formatNumber(value)))") }
            if value < 0 { out.error(path / "mirrorPercentage" / "value", "mirror_percentage must have a min value of 0 (it has \(formatNumber(value)))") }
        }
        if route.mirror != nil, !(route.mirrors ?? []).isEmpty {
            out.error(path, "HTTP route cannot contain both mirror and mirrors")
        }
        out.destination(path / "mirror", route.mirror)
        mirrors(route.mirrors, path: path / "mirrors", into: &out)
        redirect(route.redirect, path: path / "redirect", into: &out)
        directResponse(route.directResponse, path: path / "directResponse", into: &out)
        retries(route.retries, path: path / "retries", into: &out)
        rewrite(route.rewrite, path: path / "rewrite", into: &out)
        routeDestinations(route.route, path: path / "route", into: &out)
        out.duration(path / "timeout", route.timeout)
    }

    static func routeConflicts(_ route: HTTPRoute, path: String, isRoot: Bool, isDelegate: Bool, into out: inout FindingCollector) {
        let name = route.name ?? ""
        let hasRoute = !(route.route ?? []).isEmpty
        if isRoot {
            if route.redirect != nil { out.error(path / "redirect", "root HTTP route \(name) must not specify redirect") }
            if hasRoute { out.error(path / "route", "root HTTP route \(name) must not specify route") }
            if route.directResponse != nil { out.error(path / "directResponse", "root HTTP route \(name) must not specify direct_response") }
            return
        }
        if isDelegate, route.delegate != nil {
            out.error(path / "delegate", "delegate HTTP route cannot contain delegate")
        }
        if route.redirect != nil {
            if hasRoute { out.error(path, "HTTP route cannot contain both route and redirect") }
            if route.fault != nil { out.error(path, "HTTP route cannot contain both fault and redirect") }
            if route.rewrite != nil { out.error(path, "HTTP route rule cannot contain both rewrite and redirect") }
            if route.directResponse != nil { out.error(path, "HTTP route cannot contain both redirect and direct_response") }
        } else if route.directResponse != nil {
            if hasRoute { out.error(path, "HTTP route cannot contain both route and direct_response") }
            if route.fault != nil { out.error(path, "HTTP route cannot contain both fault and direct_response") }
            if route.rewrite != nil { out.error(path, "HTTP route rule cannot contain both rewrite and direct_response") }
        } else if !hasRoute {
            out.error(path, "HTTP route, redirect or direct_response is required")
        }
    }

    /// Istio's JWT claim routing pseudo-header: `@request.auth.claims.<name>` or `@request.auth.claims[a][b]`.
    static func isJWTClaimHeader(_ name: String) -> Bool {
        let prefix = "@request.auth.claims"
        guard name.hasPrefix(prefix) else { return false }
        let rest = name.dropFirst(prefix.count)
        return (rest.hasPrefix(".") && rest.count > 1) || (rest.hasPrefix("[") && rest.hasSuffix("]") && rest.count > 2)
    }

    /// A header name in a match: a plain header, or (on gateways only) a JWT claim.
    static func matchHeaderName(_ path: String, _ name: String, appliesToGateway: Bool, into out: inout FindingCollector) {
        if isJWTClaimHeader(name) {
            if !appliesToGateway {
                out.error(path, "JWT claim based routing (key: \(name)) is only supported for gateway")
            }
        } else {
            out.headerName(path, name)
        }
    }

    static func matchRequests(_ route: HTTPRoute, path: String, delegateSemantics: Bool, appliesToGateway: Bool, into out: inout FindingCollector) {
        for (index, match) in (route.match ?? []).enumerated() {
            let matchPath = (path / "match")[index: index]
            let fields: [(String, StringMatch?)] = [("uri", match.uri), ("scheme", match.scheme), ("method", match.method), ("authority", match.authority)]
            for (field, value) in fields {
                out.stringMatch(matchPath / field, value)
                if delegateSemantics, value?.regex != nil {
                    out.error(matchPath / field, "\(field == "uri" ? "url" : field) match does not support regex match for delegating")
                }
            }
            for (name, value) in (match.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
                matchHeaderName((matchPath / "headers")[key: name], name, appliesToGateway: appliesToGateway, into: &out)
                out.stringMatch((matchPath / "headers")[key: name], value)
                if delegateSemantics, value.regex != nil {
                    out.error((matchPath / "headers")[key: name], "header match \(name) does not support regex match for delegating")
                }
            }
            for (name, value) in (match.withoutHeaders ?? [:]).sorted(by: { $0.key < $1.key }) {
                matchHeaderName((matchPath / "withoutHeaders")[key: name], name, appliesToGateway: appliesToGateway, into: &out)
                out.stringMatch((matchPath / "withoutHeaders")[key: name], value)
                if delegateSemantics, value.regex != nil {
                    out.error((matchPath / "withoutHeaders")[key: name], "withoutHeaders match \(name) does not support regex match for delegating")
                }
            }
            for (name, value) in (match.queryParams ?? [:]).sorted(by: { $0.key < $1.key }) {
                out.stringMatch((matchPath / "queryParams")[key: name], value)
                if delegateSemantics, value.regex != nil {
                    out.error((matchPath / "queryParams")[key: name], "query param match \(name) does not support regex match for delegating")
                }
            }
            if let port = match.port, port != 0 { out.port(matchPath / "port", port) }
            out.labels(matchPath / "sourceLabels", match.sourceLabels)
            out.gatewayNames(matchPath / "gateways", match.gateways)
            if let namespace = match.sourceNamespace, !namespace.isEmpty, !Names.isDNS1123Label(namespace) {
                out.error(matchPath / "sourceNamespace", "sourceNamespace match \(namespace) is invalid")
            }
        }
    }

    /// The authority may be rewritten in one place only.
    static func authorityRewrite(_ rewrite: HTTPRewrite?, _ headers: Headers?, path: String, into out: inout FindingCollector) {
        var current = rewrite?.authority ?? ""
        let candidates = (headers?.request?.set ?? [:]).sorted { $0.key < $1.key } + (headers?.request?.add ?? [:]).sorted { $0.key < $1.key }
        for (name, value) in candidates where name.lowercased() == ":authority" || name.lowercased() == "host" {
            if !current.isEmpty {
                out.error(path / "headers" / "request", "authority header cannot be set multiple times: have \"\(current)\", attempting to set \"\(value)\"")
                return
            }
            current = value
        }
    }

    static let corsMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"]

    static func cors(_ policy: CorsPolicy?, path: String, into out: inout FindingCollector) {
        guard let policy else { return }
        for (index, origin) in (policy.allowOrigins ?? []).enumerated() {
            let value = origin.exact ?? origin.prefix ?? origin.regex ?? ""
            if value.isEmpty {
                out.error((path / "allowOrigins")[index: index], "'' is not a valid match type for CORS allow origins")
            } else {
                out.stringMatch((path / "allowOrigins")[index: index], origin)
            }
        }
        if policy.allowOrigin != nil {
            out.warning(path / "allowOrigin", "using deprecated setting \"allowOrigin\", use \"allowOrigins\" instead")
        }
        for (index, method) in (policy.allowMethods ?? []).enumerated() where !corsMethods.contains(method) {
            out.error((path / "allowMethods")[index: index], "\"\(method)\" is not a supported HTTP method")
        }
        for (field, names) in [("allowHeaders", policy.allowHeaders), ("exposeHeaders", policy.exposeHeaders)] {
            for (index, name) in (names ?? []).enumerated() where name != "*" {
                out.headerName((path / field)[index: index], name)
            }
        }
        if let maxAge = policy.maxAge {
            out.duration(path / "maxAge", maxAge)
            if maxAge.nanoseconds % 1_000_000_000 != 0 {
                out.error(path / "maxAge", "max_age duration is accurate only to seconds precision")
            }
        }
    }

    static let grpcStatuses: Set<String> = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]

    static func fault(_ fault: HTTPFaultInjection?, path: String, into out: inout FindingCollector) {
        guard let fault else { return }
        if fault.abort == nil && fault.delay == nil {
            out.error(path, "HTTP fault injection must have an abort and/or a delay")
        }
        if let abort = fault.abort {
            let abortPath = path / "abort"
            out.percentage(abortPath / "percentage", abort.percentage)
            let kinds = [abort.httpStatus != nil, abort.grpcStatus != nil, abort.http2Error != nil].filter { $0 }.count
            if kinds > 1 { out.error(abortPath, "only one of httpStatus, grpcStatus or http2Error may be set") }
            if let status = abort.httpStatus {
                if status < 200 || status > 599 { out.error(abortPath / "httpStatus", "HTTP status \(status) is not in range 200-599") }
            } else if let status = abort.grpcStatus {
                if !grpcStatuses.contains(status) {
                    out.error(abortPath / "grpcStatus", "gRPC status \"\(status)\" is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'")
                }
            } else if abort.http2Error != nil {
                out.error(abortPath / "http2Error", "HTTP/2 abort fault injection not supported yet")
            } else {
                out.warning(abortPath, "abort configured, but error type not set")
            }
        }
        if let delay = fault.delay {
            let delayPath = path / "delay"
            out.percentage(delayPath / "percentage", delay.percentage)
            if delay.fixedDelay != nil, delay.exponentialDelay != nil {
                out.error(delayPath, "only one of fixedDelay or exponentialDelay may be set")
            }
            if let fixed = delay.fixedDelay {
                out.duration(delayPath / "fixedDelay", fixed)
            } else if let exponential = delay.exponentialDelay {
                out.duration(delayPath / "exponentialDelay", exponential)
                out.error(delayPath / "exponentialDelay", "exponentialDelay not supported yet")
            }
            if let percent = delay.percent {
                out.percent(delayPath / "percent", percent)
                out.warning(delayPath / "percent", "using deprecated setting \"percent\", use \"percentage\" instead")
            }
        }
    }

    static func mirrors(_ mirrors: [HTTPMirrorPolicy]?, path: String, into out: inout FindingCollector) {
        for (index, mirror) in (mirrors ?? []).enumerated() {
            let itemPath = path[index: index]
            guard let destination = mirror.destination else {
                out.error(itemPath / "destination", "destination is required for mirrors")
                continue
            }
            out.destination(itemPath / "destination", destination)
            if let value = mirror.percentage?.value {
                if value > 100 { out.error(itemPath / "percentage" / "value", "mirror percentage must have a max value of 100 (it has \(formatNumber(value)))") }
                if value < 0 { out.error(itemPath / "percentage" / "value", "mirror percentage must have a min value of 0 (it has \(formatNumber(value)))") }
            }
        }
    }

    static func redirect(_ redirect: HTTPRedirect?, path: String, into out: inout FindingCollector) {
        guard let redirect else { return }
        let uri = redirect.uri ?? "", authority = redirect.authority ?? "", scheme = redirect.scheme ?? ""
        if uri.isEmpty && authority.isEmpty && redirect.port == nil && redirect.derivePort == nil && scheme.isEmpty {
            out.error(path, "redirect must specify URI, authority, scheme, or port")
        }
        if redirect.port != nil && redirect.derivePort != nil {
            out.error(path, "only one of port or derivePort may be set")
        }
        if let code = redirect.redirectCode, code != 0, !(300...399).contains(code) {
            out.error(path / "redirectCode", "\(code) is not a valid redirect code, must be 3xx")
        }
        if !scheme.isEmpty && scheme != "http" && scheme != "https" {
            out.error(path / "scheme", "invalid redirect scheme, must be \"http\" or \"https\"")
        }
        if let port = redirect.port, port > 0 { out.port(path / "port", port) }
        out.headerSafe(path / "uri", redirect.uri)
        out.headerSafe(path / "authority", redirect.authority)
    }

    static func directResponse(_ response: HTTPDirectResponse?, path: String, into out: inout FindingCollector) {
        guard let response else { return }
        if let body = response.body {
            if body.string != nil && body.bytes != nil { out.error(path / "body", "only one of string or bytes may be set") }
            let size = body.string?.utf8.count ?? body.bytes.map { $0.utf8.count * 3 / 4 } ?? 0
            if size > 1024 * 1024 {
                out.error(path / "body", "large direct_responses may impact control plane performance, must be less than 1MB")
            } else if size > 100 * 1024 {
                out.warning(path / "body", "large direct_responses may impact control plane performance")
            }
            if let bytes = body.bytes, !isBase64(bytes) {
                out.error(path / "body" / "bytes", "bytes must be base64-encoded")
            }
        }
        let status = Int64(response.status ?? 0)
        if status < 200 || status > 599 { out.error(path / "status", "HTTP status \(status) is not in range 200-599") }
    }

    static func isBase64(_ text: String) -> Bool {
        let stripped = text.filter { !$0.isWhitespace }
        guard stripped.count % 4 == 0 else { return false }
        return stripped.unicodeScalars.allSatisfy { ($0 >= "A" && $0 <= "Z") || ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "+" || $0 == "/" || $0 == "=" }
    }

    /// Envoy's `x-envoy-retry-on` and `x-envoy-retry-grpc-on` policies.
    static let retryOnPolicies: Set<String> = [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
        "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ]

    /// Status codes Go's `net/http` knows (Istio accepts a numeric retryOn entry iff it has a status text).
    static let knownStatusCodes: Set<Int> = Set([100, 101, 102, 103] + Array(200...208) + [226] + Array(300...308)
        + Array(400...418) + Array(421...426) + [428, 429, 431, 451] + Array(500...508) + [510, 511])

    static func retries(_ retries: HTTPRetry?, path: String, into out: inout FindingCollector) {
        guard let retries else { return }
        let attempts = retries.attempts ?? 0
        if attempts < 0 { out.error(path / "attempts", "attempts cannot be negative") }
        if attempts == 0 && (retries.perTryTimeout != nil || !(retries.retryOn ?? "").isEmpty || retries.retryRemoteLocalities != nil) {
            out.error(path, "http retry policy configured when attempts are set to 0 (disabled)")
        }
        out.duration(path / "perTryTimeout", retries.perTryTimeout)
        out.duration(path / "backoff", retries.backoff)
        if let retryOn = retries.retryOn, !retryOn.isEmpty {
            for policy in retryOn.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                let isStatus = Int(policy).map { knownStatusCodes.contains($0) } ?? false
                if !isStatus && !retryOnPolicies.contains(policy) {
                    out.error(path / "retryOn", "\"\(policy)\" is not a valid retryOn policy")
                }
            }
        }
    }

    static func rewrite(_ rewrite: HTTPRewrite?, path: String, into out: inout FindingCollector) {
        guard let rewrite else { return }
        out.headerSafe(path / "uri", rewrite.uri)
        out.headerSafe(path / "authority", rewrite.authority)
        out.headerSafe(path / "uriRegexRewrite" / "rewrite", rewrite.uriRegexRewrite?.rewrite)
        let uri = rewrite.uri ?? ""
        if !uri.isEmpty && rewrite.uriRegexRewrite != nil {
            out.error(path, "rewrite may only contain one of URI or UriRegexRewrite")
            return
        }
        if uri.isEmpty && rewrite.uriRegexRewrite == nil && (rewrite.authority ?? "").isEmpty {
            out.error(path, "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified")
            return
        }
        if let regexRewrite = rewrite.uriRegexRewrite {
            let match = regexRewrite.match ?? "", replacement = regexRewrite.rewrite ?? ""
            if match.isEmpty || replacement.isEmpty {
                out.error(path / "uriRegexRewrite", "UriRegexRewrite requires both Rewrite and Match fields to be specified")
            } else {
                out.regex(path / "uriRegexRewrite" / "match", match)
            }
        }
    }

    /// Weights: non-negative; with several destinations they must not all be 0 (they are relative).
    static func routeDestinations(_ destinations: [HTTPRouteDestination]?, path: String, into out: inout FindingCollector) {
        guard let destinations else { return }
        var total: Int64 = 0
        for (index, item) in destinations.enumerated() {
            let itemPath = path[index: index]
            if item.destination == nil { out.error(itemPath / "destination", "destination is required") }
            out.headerOperations(itemPath / "headers" / "request", item.headers?.request, isRequest: true)
            out.headerOperations(itemPath / "headers" / "response", item.headers?.response, isRequest: false)
            out.destination(itemPath / "destination", item.destination)
            let weight = item.weight ?? 0
            if weight < 0 { out.error(itemPath / "weight", "weight \(weight) must be non-negative") }
            total += Int64(weight)
        }
        if destinations.count > 1 && total == 0 { out.error(path, "total destination weight = 0") }
    }

    static func l4Destinations(_ destinations: [RouteDestination]?, path: String, into out: inout FindingCollector) {
        guard let destinations else { return }
        var total: Int64 = 0
        for (index, item) in destinations.enumerated() {
            let itemPath = path[index: index]
            if item.destination == nil { out.error(itemPath / "destination", "destination is required") }
            out.destination(itemPath / "destination", item.destination)
            let weight = item.weight ?? 0
            if weight < 0 { out.error(itemPath / "weight", "weight \(weight) must be non-negative") }
            total += Int64(weight)
        }
        if destinations.count > 1 && total == 0 { out.error(path, "total destination weight = 0") }
    }

    // MARK: TLS and TCP

    static func tlsRoute(_ route: TLSRoute, path: String, hosts: [String], appliesToGateway: Bool, into out: inout FindingCollector) {
        let matches = route.match ?? []
        if matches.isEmpty { out.error(path / "match", "TLS route must have at least one match condition") }
        let coverage = Names.HostCoverage(hosts)
        for (index, match) in matches.enumerated() {
            let matchPath = (path / "match")[index: index]
            let sniHosts = match.sniHosts ?? []
            if sniHosts.isEmpty { out.error(matchPath / "sniHosts", "TLS match must have at least one SNI host") }
            for (sniIndex, sni) in sniHosts.enumerated() {
                let sniPath = (matchPath / "sniHosts")[index: sniIndex]
                if let problem = Names.wildcardDomainProblem(sni, allowOutboundSNI: appliesToGateway) {
                    if Names.isIPAddress(sni) {
                        out.warning(sniPath, "using an IP address (\"\(sni)\") goes against SNI spec and most clients do not support this")
                    } else {
                        out.error(sniPath, problem)
                    }
                    continue
                }
                if !coverage.covers(sni) {
                    out.error(sniPath, "SNI host \"\(sni)\" is not a compatible subset of any of the virtual service hosts: [\(Self.listed(hosts))]")
                }
            }
            for (subnetIndex, subnet) in (match.destinationSubnets ?? []).enumerated() {
                out.error((matchPath / "destinationSubnets")[index: subnetIndex], ifPresent: Names.subnetProblem(subnet))
            }
            if let port = match.port, port != 0 { out.port(matchPath / "port", port) }
            out.labels(matchPath / "sourceLabels", match.sourceLabels)
            out.gatewayNames(matchPath / "gateways", match.gateways)
        }
        if (route.route ?? []).isEmpty { out.error(path / "route", "TLS route is required") }
        l4Destinations(route.route, path: path / "route", into: &out)
    }

    /// Hosts for a message: all of them up to 10, else the first 10 and how many more.
    static func listed(_ hosts: [String]) -> String {
        hosts.count <= 10 ? hosts.joined(separator: ", ") : hosts.prefix(10).joined(separator: ", ") + ", … (\(hosts.count - 10) more)"
    }

    static func tcpRoute(_ route: TCPRoute, path: String, into out: inout FindingCollector) {
        for (index, match) in (route.match ?? []).enumerated() {
            let matchPath = (path / "match")[index: index]
            for (subnetIndex, subnet) in (match.destinationSubnets ?? []).enumerated() {
                out.error((matchPath / "destinationSubnets")[index: subnetIndex], ifPresent: Names.subnetProblem(subnet))
            }
            if let port = match.port, port != 0 { out.port(matchPath / "port", port) }
            out.labels(matchPath / "sourceLabels", match.sourceLabels)
            out.gatewayNames(matchPath / "gateways", match.gateways)
        }
        if (route.route ?? []).isEmpty { out.error(path / "route", "TCP route is required") }
        l4Destinations(route.route, path: path / "route", into: &out)
    }
}
