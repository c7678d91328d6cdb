import KubernetesAPI

/// Rules shared by the three Istio kinds: durations, ports, percentages, headers, regexes,
/// labels, exportTo, metadata. Messages follow Istio's admission webhook where it has one.
extension FindingCollector {
    /// Istio's duration rule: at least 1ms (or exactly 0 where zero means "disabled"),
    /// and whole milliseconds.
    mutating func duration(_ path: String, _ value: IstioDuration?, allowZero: Bool = false) {
        guard let value else { return }
        if allowZero, value.nanoseconds == 0 { return }
        if value.nanoseconds < 1_000_000 {
            error(path, "duration must be greater than 1ms")
        } else if value.nanoseconds % 1_000_000 != 0 {
            error(path, "only durations to ms precision are supported")
        }
    }

    mutating func port(_ path: String, _ number: UInt32?) {
        guard let number else { return }
        if !(1...65535).contains(number) { error(path, "port number \(number) must be in the range 1..65535") }
    }

    /// A `Percent`: 0, or between 0.0001 and 100.
    mutating func percentage(_ path: String, _ percent: Percent?) {
        guard let value = percent?.value else { return }
        if value.isNaN || value < 0 || value > 100 || (value > 0 && value < 0.0001) {
            error(path / "value", "percentage \(formatNumber(value)) is neither 0.0, nor in range [0.0001, 100.0]")
        }
    }

    /// An integer percentage in 0...100.
    mutating func percent(_ path: String, _ value: Int32?) {
        guard let value else { return }
        if value < 0 || value > 100 { error(path, "percentage \(value) is not in range 0..100") }
    }

    mutating func labels(_ path: String, _ labels: [String: String]?) {
        guard let labels else { return }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            error(path[key: key], ifPresent: Names.labelKeyProblem(key))
            error(path[key: key], ifPresent: Names.labelValueProblem(value))
        }
    }

    /// A regex used for matching: non-empty, at most 1024 characters, valid RE2.
    mutating func regex(_ path: String, _ pattern: String) {
        if pattern.isEmpty {
            error(path, "regex string match should not be empty")
        } else if pattern.utf8.count > RE2Syntax.maxLength {
            error(path, "regex is too large, max length allowed is \(RE2Syntax.maxLength)")
        } else if let problem = RE2Syntax.problem(in: pattern) {
            error(path, "invalid RE2 regex: \(problem); Istio uses RE2 syntax (https://github.com/google/re2/wiki/Syntax)")
        }
    }

    /// A `StringMatch`: exactly one kind; regexes valid.
    mutating func stringMatch(_ path: String, _ match: StringMatch?, allowEmpty: Bool = true) {
        guard let match else { return }
        let setCount = [match.exact, match.prefix, match.regex].compactMap { $0 }.count
        if setCount > 1 { error(path, "only one of exact, prefix or regex may be set") }
        if let regex = match.regex { self.regex(path / "regex", regex) }
        if !allowEmpty, setCount == 0 { error(path, "a match type (exact, prefix or regex) must be set") }
    }

    /// Header names used in matches: `[-_A-Za-z0-9]+`, at most 16 KiB.
    mutating func headerName(_ path: String, _ name: String) {
        if name.isEmpty {
            error(path, "header name cannot be empty")
        } else if name.utf8.count > Self.maxHeaderBytes {
            error(path, "header name is \(name.utf8.count) bytes long; at most \(Self.maxHeaderBytes) are allowed")
        } else if !name.utf8.allSatisfy({ Self.isHeaderNameByte($0) }) {
            error(path, "header name \(name) is not a valid header name")
        }
    }

    static func isHeaderNameByte(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
    }

    /// Envoy's limit on a header name or value it is configured with (`HeaderValue`: `max_bytes: 16384`).
    static let maxHeaderBytes = 16_384

    /// Header values for Envoy: at most 16 KiB, no control characters, and `%` only in `%VAR%` or `%%` form.
    mutating func headerValue(_ path: String, _ value: String) {
        if value.utf8.count > Self.maxHeaderBytes {
            error(path, "header value is \(value.utf8.count) bytes long; at most \(Self.maxHeaderBytes) are allowed")
            return
        }
        if value.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
            error(path, "header value configuration \(value) is invalid")
            return
        }
        var scalars = Substring(value).unicodeScalars[...]
        while let percent = scalars.firstIndex(of: "%") {
            let rest = scalars[scalars.index(after: percent)...]
            if rest.first == "%" {
                scalars = rest.dropFirst()
                continue
            }
            guard let close = rest.firstIndex(of: "%") else {
                error(path, "header value configuration: unterminated % in \"\(value)\" (write %% for a literal percent)")
                return
            }
            let variable = rest[..<close]
            if variable.isEmpty || variable.contains(" ") {
                error(path, "header value configuration: invalid %VARIABLE% in \"\(value)\"")
                return
            }
            scalars = rest[rest.index(after: close)...]
        }
    }

    /// Header operations (`set`/`add`/`remove`) for requests or responses.
    mutating func headerOperations(_ path: String, _ operations: HeaderOperations?, isRequest: Bool) {
        guard let operations else { return }
        for (name, value) in (operations.set ?? [:]).sorted(by: { $0.key < $1.key }) {
            headerOperationName(path / "set"[key: name], name, allowAuthority: isRequest)
            headerValue(path / "set"[key: name], value)
        }
        for (name, value) in (operations.add ?? [:]).sorted(by: { $0.key < $1.key }) {
            headerOperationName(path / "add"[key: name], name, allowAuthority: isRequest)
            headerValue(path / "add"[key: name], value)
        }
        for (index, name) in (operations.remove ?? []).enumerated() {
            headerOperationName((path / "remove")[index: index], name, allowAuthority: false)
        }
    }

    /// Pseudo-headers (`:path`...) and `host` cannot be modified; a request's authority may
    /// be set (`:authority`/`host`), and is checked for conflicts elsewhere.
    mutating func headerOperationName(_ path: String, _ name: String, allowAuthority: Bool) {
        if name.isEmpty {
            error(path, "header name cannot be empty")
            return
        }
        let isAuthority = name.lowercased() == ":authority" || name.lowercased() == "host"
        if allowAuthority, isAuthority { return }
        if name.lowercased() == "host" {
            error(path, "invalid header \"\(name)\": cannot set Host header")
        } else if name.hasPrefix(":") {
            error(path, "invalid header \"\(name)\": header cannot have \":\" prefix")
        } else {
            headerName(path, name)
        }
    }

    /// A value Envoy puts into a request line or header as it is (a redirect's or rewrite's
    /// path or authority): no control characters (NUL, CR, LF … would split or end the header).
    mutating func headerSafe(_ path: String, _ value: String?) {
        guard let value, let scalar = value.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        error(path, "\(value.debugDescription) contains the control character U+\(code), which cannot go into a header")
    }

    /// `exportTo`: `.`, `*` or namespaces; no duplicates; `*` alone.
    mutating func exportTo(_ path: String, _ entries: [String]?, namespace: String, workloadSelector: Bool = false) {
        guard let entries, !entries.isEmpty else { return }
        var seen = Set<String>()
        for (index, entry) in entries.enumerated() {
            let key = entry == "." ? namespace : entry
            if seen.contains(key) {
                if key != entry {
                    error(path[index: index], "duplicate entries in exportTo: . and current namespace \(namespace)")
                } else {
                    error(path[index: index], "duplicate entries in exportTo for entry \(entry)")
                }
                continue
            }
            if entry == "~" {
                error(path[index: index], "exportTo ~ (none) is not allowed for Istio configuration objects")
            } else if entry != "." && entry != "*" && !Names.isDNS1123Label(entry) {
                error(path[index: index], "only ., *, or a valid DNS 1123 label is allowed as exportTo entry")
            } else {
                seen.insert(key)
            }
        }
        if workloadSelector, !seen.isEmpty {
            if seen.contains(namespace) {
                if seen.count > 1 { error(path, "destination rule with workload selector cannot have multiple entries in exportTo") }
            } else {
                error(path, "destination rule with workload selector cannot have exportTo beyond current namespace")
            }
        }
        if seen.contains("*"), entries.count > 1 {
            error(path, "cannot have both public (*) and non-public exportTo values for a resource")
        }
    }

    /// Object metadata: a DNS-1123 subdomain name and a DNS-1123 label namespace.
    mutating func metadata(_ meta: ObjectMeta, nameMustBeLabel: Bool = false) {
        if let name = meta.name, !name.isEmpty {
            if nameMustBeLabel {
                if !Names.isDNS1123Label(name) { error("metadata.name", "invalid name \"\(name)\": must be a DNS-1123 label (lower case alphanumerics and '-', at most 63)") }
            } else if !Names.isDNS1123Subdomain(name) {
                error("metadata.name", "invalid name \"\(name)\": must be a DNS-1123 subdomain (lower case alphanumerics, '-' and '.', at most 253)")
            }
        } else if meta.generateName == nil {
            error("metadata.name", "name is required")
        }
        if let namespace = meta.namespace, !Names.isDNS1123Label(namespace) {
            error("metadata.namespace", "invalid namespace \"\(namespace)\": must be a DNS-1123 label")
        }
    }

    /// Gateway references: `namespace/name`, a legacy FQDN (warned), or `mesh`.
    mutating func gatewayNames(_ path: String, _ names: [String]?) {
        guard let names else { return }
        for (index, gateway) in names.enumerated() {
            let itemPath = path[index: index]
            let parts = gateway.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count != 2 {
                if gateway.contains("." as Character) {
                    let pieces = gateway.split(separator: ".").map(String.init)
                    let recommended = pieces.count > 1 ? "\(pieces[1])/\(pieces[0])" : gateway
                    warning(itemPath, "using legacy gatewayName format \"\(gateway)\"; prefer the <namespace>/<name> format: \"\(recommended)\"")
                }
                error(itemPath, ifPresent: Names.fqdnProblem(gateway))
                continue
            }
            if parts[0].isEmpty || parts[1].isEmpty { error(itemPath, "config namespace and gateway name cannot be empty") }
            if !Names.isDNS1123Label(parts[0], allowUpper: true) { error(itemPath, "invalid value for namespace: \"\(parts[0])\"") }
            if !Names.isDNS1123Label(parts[1], allowUpper: true) { error(itemPath, "invalid value for gateway name: \"\(parts[1])\"") }
        }
    }

    /// A destination's host, subset and port.
    mutating func destination(_ path: String, _ destination: Destination?) {
        guard let destination else { return }
        let host = destination.host ?? ""
        if host == "*" {
            error(path / "host", "invalid destination host *")
        } else {
            error(path / "host", ifPresent: Names.wildcardDomainProblem(host))
        }
        if let subset = destination.subset, !subset.isEmpty, !Names.isDNS1123Label(subset, allowUpper: true) {
            error(path / "subset", "subset name is invalid: \(subset)")
        }
        if let port = destination.port {
            let number = port.number ?? 0
            if !(1...65535).contains(number) { error(path / "port" / "number", "port number \(number) must be in the range 1..65535") }
        }
    }
}

func formatNumber(_ value: Double) -> String {
    value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}
