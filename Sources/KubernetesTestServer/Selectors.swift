import KubernetesAPI

/// A parsed `labelSelector` (=, ==, !=, in, notin, exists, !exists), as kube-apiserver understands it.
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    var requirements: [Requirement]

    static let everything = LabelSelector(requirements: [])

    init(requirements: [Requirement]) { self.requirements = requirements }

    /// Parses the query-string form, e.g. `app=web,tier in (a,b),!canary`.
    init(parsing text: String) throws(APIError) {
        var requirements: [Requirement] = []
        for clause in Self.splitTopLevel(text) {
            let part = clause.trimmingSpaces()
            if part.isEmpty { continue }
            requirements.append(try Self.parseRequirement(part))
        }
        self.requirements = requirements
    }

    /// Splits at commas that are not inside parentheses.
    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: parts.append(current); current = ""
            default: current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    private static func parseRequirement(_ part: String) throws(APIError) -> Requirement {
        func invalid(_ why: String) -> APIError { .badRequest("unable to parse requirement: \(why): \"\(part)\"") }
        if part.hasPrefix("!") {
            let key = String(part.dropFirst()).trimmingSpaces()
            try validateKey(key, in: part)
            return .doesNotExist(key)
        }
        for (symbol, isEqual) in [("!=", false), ("==", true), ("=", true)] {
            if let range = part.range(of: symbol) {
                let key = String(part[..<range.lowerBound]).trimmingSpaces()
                let value = String(part[range.upperBound...]).trimmingSpaces()
                try validateKey(key, in: part)
                try validateValue(value, in: part)
                return isEqual ? .equals(key, value) : .notEquals(key, value)
            }
        }
        let words = part.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        if words.count == 2 {
            let key = String(words[0])
            let rest = words[1].trimmingSpaces()
            for (keyword, isIn) in [("notin", false), ("in", true)] where rest.hasPrefix(keyword) {
                let list = rest.dropFirst(keyword.count).trimmingSpaces()
                guard list.hasPrefix("("), list.hasSuffix(")") else { throw invalid("expected a parenthesized value list") }
                let values = Set(list.dropFirst().dropLast().split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty })
                try validateKey(key, in: part)
                for value in values { try validateValue(value, in: part) }
                if isIn && values.isEmpty { throw invalid("for 'in' operator, values set can't be empty") }
                return isIn ? .isIn(key, values) : .notIn(key, values)
            }
            throw invalid("unknown operator")
        }
        try validateKey(part, in: part)
        return .exists(part)
    }

    private static func validateKey(_ key: String, in part: String) throws(APIError) {
        let allowed = key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }
        if key.isEmpty || !allowed || key.count > 317 {
            throw .badRequest("unable to parse requirement: invalid label key \"\(key)\" in \"\(part)\"")
        }
    }

    private static func validateValue(_ value: String, in part: String) throws(APIError) {
        let allowed = value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        if !allowed || value.count > 63 {
            throw .badRequest("unable to parse requirement: invalid label value \"\(value)\" in \"\(part)\"")
        }
    }

    func matches(_ labels: [String: JSONValue]?) -> Bool {
        for requirement in requirements {
            switch requirement {
            case .equals(let key, let value): if labels?[key]?.stringValue != value { return false }
            case .notEquals(let key, let value): if labels?[key]?.stringValue == value { return false }
            case .isIn(let key, let values):
                guard let value = labels?[key]?.stringValue, values.contains(value) else { return false }
            case .notIn(let key, let values):
                if let value = labels?[key]?.stringValue, values.contains(value) { return false }
            case .exists(let key): if labels?[key] == nil { return false }
            case .doesNotExist(let key): if labels?[key] != nil { return false }
            }
        }
        return true
    }
}

/// A parsed `fieldSelector`: equality tests on metadata.name, metadata.namespace
/// and the kind's selectable fields.
struct FieldSelector: Sendable, Equatable {
    struct Requirement: Sendable, Equatable {
        var path: [String]
        var value: String
        var equal: Bool
    }

    var requirements: [Requirement]

    static let everything = FieldSelector(requirements: [])

    init(requirements: [Requirement]) { self.requirements = requirements }

    init(parsing text: String, for resource: ResourceType) throws(APIError) {
        var requirements: [Requirement] = []
        for clause in text.split(separator: ",") {
            let part = clause.trimmingSpaces()
            if part.isEmpty { continue }
            var found: (String, String, Bool)?
            for (symbol, equal) in [("!=", false), ("==", true), ("=", true)] {
                if let range = part.range(of: symbol) {
                    found = (String(part[..<range.lowerBound]).trimmingSpaces(), String(part[range.upperBound...]).trimmingSpaces(), equal)
                    break
                }
            }
            guard let (field, value, equal) = found else {
                throw .badRequest("invalid selector: '\(text)'; can't understand '\(part)'")
            }
            let path: [String]
            switch field {
            case "metadata.name": path = ["metadata", "name"]
            case "metadata.namespace": path = ["metadata", "namespace"]
            default:
                guard let known = resource.selectableFields[field] else {
                    throw .badRequest("field label not supported: \(field)")
                }
                path = known
            }
            requirements.append(Requirement(path: path, value: value, equal: equal))
        }
        self.requirements = requirements
    }

    func matches(_ object: JSONValue) -> Bool {
        for requirement in requirements {
            let actual: String
            switch object[path: requirement.path] {
            case .string(let text): actual = text
            case .bool(let flag): actual = flag ? "true" : "false"
            case .integer(let number): actual = String(number)
            default: actual = ""
            }
            if (actual == requirement.value) != requirement.equal { return false }
        }
        return true
    }
}

/// Namespace plus label and field selectors: which objects a list or watch sees.
struct ObjectFilter: Sendable {
    var namespace: String?
    var labels: LabelSelector = .everything
    var fields: FieldSelector = .everything

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object[path: ["metadata", "namespace"]]?.stringValue != namespace { return false }
        if !labels.requirements.isEmpty, !labels.matches(object[path: ["metadata", "labels"]]?.objectValue) { return false }
        if !fields.requirements.isEmpty, !fields.matches(object) { return false }
        return true
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
