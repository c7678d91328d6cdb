/// Warnings for routing rules that can never match: rules after a catch-all, matches
/// repeated from earlier rules, and prefix matches covered by an earlier, shorter prefix.
enum UnreachableRules {
    static func analyze(_ spec: VirtualServiceSpec, into out: inout FindingCollector) {
        http(spec.http ?? [], into: &out)
        l4(spec.tcp?.map { $0.match ?? [] } ?? [], field: "tcp", into: &out)
        l4(spec.tls?.map { $0.match ?? [] } ?? [], field: "tls", into: &out)
    }

    private static func ruleName(_ route: HTTPRoute, _ index: Int) -> String {
        if let name = route.name, !name.isEmpty { return "\"\(name)\"" }
        return "#\(index)"
    }

    private static func matchName(_ match: HTTPMatchRequest, _ index: Int) -> String {
        if let name = match.name, !name.isEmpty { return "\"\(name)\"" }
        return "#\(index)"
    }

    private static func http(_ routes: [HTTPRoute], into out: inout FindingCollector) {
        var seen: [HTTPMatchRequest: Int] = [:]
        var catchAll: Int?
        var prefixMatches: [PrefixMatch] = []
        for (ruleIndex, route) in routes.enumerated() {
            let path = "spec.http"[index: ruleIndex]
            let matches = route.match ?? []
            if let catchAll {
                out.warning(path, "virtualService rule \(ruleName(route, ruleIndex)) not used (rule \(ruleName(routes[catchAll], catchAll)) has no matches and catches all traffic; only the last rule can have no matches)")
                continue
            }
            if matches.isEmpty {
                catchAll = ruleIndex
                continue
            }
            var duplicates = 0
            for (matchIndex, match) in matches.enumerated() {
                var key = match
                key.name = nil
                if let earlier = seen[key] {
                    out.warning((path / "match")[index: matchIndex], "virtualService rule \(ruleName(route, ruleIndex)) match \(matchName(match, matchIndex)) is not used (duplicate/overlapping match in rule \(ruleName(routes[earlier], earlier)))")
                    duplicates += 1
                    continue
                }
                seen[key] = ruleIndex
                if let prefix = PrefixMatch(match, rule: ruleName(route, ruleIndex), matchName: matchName(match, matchIndex), path: (path / "match")[index: matchIndex]) {
                    prefixMatches.append(prefix)
                }
            }
            if duplicates == matches.count {
                out.warning(path, "virtualService rule \(ruleName(route, ruleIndex)) not used (all matches used by prior rules)")
            }
        }
        guard prefixMatches.count > 1 else { return }
        // A match is covered only by an earlier one whose prefix is a shorter prefix of its own: look
        // those up by prefix instead of comparing every pair (linear in the matches for distinct prefixes).
        var byPrefix: [String: [Int]] = [:]
        for (j, later) in prefixMatches.enumerated() {
            let prefixes = later.prefix.indices.dropFirst().map { later.prefix[..<$0] }
            let covering = prefixes.lazy.compactMap { byPrefix[String($0)] }.joined().filter { prefixMatches[$0].covers(later) }.min()
            if let i = covering {
                let earlier = prefixMatches[i]
                out.warning(later.path, "virtualService rule \(later.rule) match \(later.matchName) of prefix \(later.prefix) is not used (duplicate/overlapping match in rule \(earlier.matchName) of prefix \(earlier.prefix) on \(earlier.rule))")
            }
            byPrefix[later.prefix, default: []].append(j)
        }
    }

    private static func l4<Match: Hashable>(_ routes: [[Match]], field: String, into out: inout FindingCollector) {
        var seen: [Match: Int] = [:]
        var catchAll: Int?
        for (ruleIndex, matches) in routes.enumerated() {
            let path = "spec.\(field)"[index: ruleIndex]
            if let catchAll {
                out.warning(path, "virtualService rule #\(ruleIndex) not used (rule #\(catchAll) has no matches and catches all traffic; only the last rule can have no matches)")
                continue
            }
            if matches.isEmpty {
                catchAll = ruleIndex
                continue
            }
            var duplicates = 0
            for (matchIndex, match) in matches.enumerated() {
                if let earlier = seen[match] {
                    out.warning((path / "match")[index: matchIndex], "virtualService rule #\(ruleIndex) match #\(matchIndex) is not used (duplicate/overlapping match in rule #\(earlier))")
                    duplicates += 1
                } else {
                    seen[match] = ruleIndex
                }
            }
            if duplicates == matches.count {
                out.warning(path, "virtualService rule #\(ruleIndex) not used (all matches used by prior rules)")
            }
        }
    }

    /// The parts of a prefix match that decide whether an earlier one covers it (as Istio compares them).
    private struct PrefixMatch {
        var rule: String
        var matchName: String
        var path: String
        var prefix: String
        var port: UInt32
        var method: String
        var authority: String
        var headers: [String: String]
        var queryParams: [String: String]
        var withoutHeaders: [String: String]

        init?(_ match: HTTPMatchRequest, rule: String, matchName: String, path: String) {
            guard let prefix = match.uri?.prefix, !prefix.isEmpty else { return nil }
            self.rule = rule
            self.matchName = matchName
            self.path = path
            self.prefix = prefix
            self.port = match.port ?? 0
            let method = Self.describe(match.method)
            self.method = method.isEmpty ? "exact:GET" : method
            self.authority = Self.describe(match.authority)
            self.headers = (match.headers ?? [:]).mapValues { Self.describe($0) }
            self.queryParams = (match.queryParams ?? [:]).mapValues { Self.describe($0) }
            self.withoutHeaders = (match.withoutHeaders ?? [:]).mapValues { Self.describe($0) }
        }

        static func describe(_ match: StringMatch?) -> String {
            if let exact = match?.exact, !exact.isEmpty { return "exact:" + exact }
            if let prefix = match?.prefix, !prefix.isEmpty { return "prefix:" + prefix }
            return ""
        }

        func covers(_ other: PrefixMatch) -> Bool {
            guard other.prefix.hasPrefix(prefix), other.port == port else { return false }
            if method != other.method, !method.hasPrefix(other.method) { return false }
            if authority != other.authority, !authority.hasPrefix(other.authority) { return false }
            return Self.mapCovers(headers, other.headers) && Self.mapCovers(queryParams, other.queryParams)
                && Self.mapCovers(withoutHeaders, other.withoutHeaders)
        }

        static func mapCovers(_ mine: [String: String], _ theirs: [String: String]) -> Bool {
            guard mine.count == theirs.count else { return false }
            for (key, value) in mine {
                guard let other = theirs[key] else { return false }
                if value != other, !value.hasPrefix(other) { return false }
            }
            return true
        }
    }
}
