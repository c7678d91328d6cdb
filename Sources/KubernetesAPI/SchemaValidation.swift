import Foundation

/// Field paths in Kubernetes notation: `spec`, `spec.http[0]`, `spec.selector.app`.
enum FieldPath {
    static func child(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    static func index(_ path: String, _ index: Int) -> String { "\(path)[\(index)]" }
}

extension StructuralSchema {
    /// Checks `value` against this schema as kube-apiserver's OpenAPI validator does for a custom
    /// resource: types (with `nullable` and int-or-string), enums, bounds, lengths, counts, patterns,
    /// string formats, `required`, list-type set/map uniqueness, embedded resources, and the
    /// `oneOf`/`anyOf`/`allOf`/`not` junctors. Unknown fields are not violations here (pruning
    /// removes them; see ``prune(_:)``). CEL rules (`x-kubernetes-validations`) are not evaluated.
    ///
    /// Call it on the root `openAPIV3Schema` with the whole object; paths start at the root's
    /// properties (`spec.hosts[0]`).
    public func validate(_ value: JSONValue) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(value, at: "", into: &violations)
        return violations
    }

    /// Whether `value` satisfies the schema: the same rules as ``validate(_:)``, answered without
    /// building paths or messages and stopping at the first problem. Junctors use it too.
    public func accepts(_ value: JSONValue) -> Bool {
        satisfies(value)
    }

    func check(_ value: JSONValue, at path: String, into violations: inout [SchemaViolation]) {
        if case .null = value {
            // null is only ever fine where the schema says so (or says nothing about the type).
            if nullable { return }
            if let type {
                violations.append(.wrongType(path, expected: type, actual: value))
            } else if intOrString {
                violations.append(.wrongType(path, expected: "integer,string", actual: value))
            }
            return
        }
        if intOrString {
            switch value {
            case .string, .integer: break
            case .double(let number) where number.rounded() == number: break
            default:
                violations.append(.wrongType(path, expected: "integer,string", actual: value))
                return
            }
        }
        if let type, !Self.value(value, hasType: type) {
            violations.append(.wrongType(path, expected: type, actual: value))
            return
        }
        checkEnum(value, at: path, into: &violations)
        switch value {
        case .string(let string): checkString(string, value, at: path, into: &violations)
        case .integer(let number): checkNumber(Double(number), value, at: path, into: &violations)
        case .double(let number): checkNumber(number, value, at: path, into: &violations)
        case .array(let elements): checkArray(elements, value, at: path, into: &violations)
        case .object(let members): checkObject(members, value, at: path, into: &violations)
        case .null, .bool: break
        }
        checkJunctors(value, at: path, into: &violations)
    }

    static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool): return true
        case ("integer", .integer), ("number", .integer), ("number", .double): return true
        // JSON has one number type; a whole float (5.0) is an integer to kube-apiserver too.
        case ("integer", .double(let number)): return number.rounded() == number && number.isFinite
        default: return false
        }
    }

    private func checkEnum(_ value: JSONValue, at path: String, into violations: inout [SchemaViolation]) {
        guard let enumValues, !enumValues.contains(where: { Self.sameValue($0, value) }) else { return }
        let supported = enumValues.map(\.renderedForMessage).joined(separator: ", ")
        violations.append(SchemaViolation(
            field: path, kind: .notSupported, badValue: value.renderedForMessage,
            detail: "supported values: \(supported)"))
    }

    /// JSON equality where 1 and 1.0 are the same number.
    static func sameValue(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.integer(let left), .double(let right)), (.double(let right), .integer(let left)):
            return Double(left) == right
        default:
            return lhs == rhs
        }
    }

    private func checkString(_ string: String, _ value: JSONValue, at path: String, into violations: inout [SchemaViolation]) {
        // Lengths count Unicode code points, as Go's utf8.RuneCountInString does.
        if minLength != nil || maxLength != nil {
            let length = string.unicodeScalars.count
            if let maxLength, length > maxLength {
                violations.append(SchemaViolation(
                    field: path, kind: .tooLong, badValue: nil, detail: "may not be longer than \(maxLength)"))
            }
            if let minLength, length < minLength {
                violations.append(.invalid(path, value, "should be at least \(minLength) chars long"))
            }
        }
        if let pattern, let compiledPattern, !compiledPattern.matches(string) {
            violations.append(.invalid(path, value, "should match '\(pattern)'"))
        }
        if let format, !StringFormat.accepts(string, format: format) {
            violations.append(.invalid(path, value, "must be of type \(format): \(value.renderedForMessage)"))
        }
    }

    private func checkNumber(_ number: Double, _ value: JSONValue, at path: String, into violations: inout [SchemaViolation]) {
        if let maximum {
            if exclusiveMaximum, number >= maximum {
                violations.append(.invalid(path, value, "should be less than \(Self.render(maximum))"))
            } else if number > maximum {
                violations.append(.invalid(path, value, "should be less than or equal to \(Self.render(maximum))"))
            }
        }
        if let minimum {
            if exclusiveMinimum, number <= minimum {
                violations.append(.invalid(path, value, "should be greater than \(Self.render(minimum))"))
            } else if number < minimum {
                violations.append(.invalid(path, value, "should be greater than or equal to \(Self.render(minimum))"))
            }
        }
        if let multipleOf, multipleOf > 0 {
            let quotient = number / multipleOf
            if quotient.rounded() != quotient {
                violations.append(.invalid(path, value, "should be a multiple of \(Self.render(multipleOf))"))
            }
        }
    }

    private static func render(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    private func checkArray(_ elements: [JSONValue], _ value: JSONValue, at path: String, into violations: inout [SchemaViolation]) {
        if let maxItems, elements.count > maxItems {
            violations.append(SchemaViolation(
                field: path, kind: .tooMany, badValue: String(elements.count), detail: "must have at most \(maxItems) items"))
        }
        if let minItems, elements.count < minItems {
            violations.append(.invalid(path, value, "should have at least \(minItems) items"))
        }
        if let items {
            for (index, element) in elements.enumerated() {
                items.check(element, at: FieldPath.index(path, index), into: &violations)
            }
        }
        checkListUniqueness(elements, at: path, into: &violations)
    }

    /// `x-kubernetes-list-type: set` items and `map` keys must be unique, as kube-apiserver enforces.
    private func checkListUniqueness(_ elements: [JSONValue], at path: String, into violations: inout [SchemaViolation]) {
        switch listType {
        case "set":
            var seen = Set<String>()
            for (index, element) in elements.enumerated() where !seen.insert(element.compactJSON).inserted {
                violations.append(SchemaViolation(
                    field: FieldPath.index(path, index), kind: .duplicate, badValue: element.renderedForMessage, detail: ""))
            }
        case "map" where !listMapKeys.isEmpty:
            var seen = Set<String>()
            for (index, element) in elements.enumerated() {
                guard case .object(let members) = element else { continue }
                var key: [String: JSONValue] = [:]
                for name in listMapKeys { key[name] = members[name] ?? .null }
                let rendered = JSONValue.object(key).compactJSON
                if !seen.insert(rendered).inserted {
                    violations.append(SchemaViolation(
                        field: FieldPath.index(path, index), kind: .duplicate, badValue: rendered, detail: ""))
                }
            }
        default:
            break
        }
    }

    private func checkObject(_ members: [String: JSONValue], _ value: JSONValue, at path: String, into violations: inout [SchemaViolation]) {
        if let maxProperties, members.count > maxProperties {
            violations.append(SchemaViolation(
                field: path, kind: .tooMany, badValue: String(members.count), detail: "must have at most \(maxProperties) items"))
        }
        if let minProperties, members.count < minProperties {
            violations.append(.invalid(path, value, "should have at least \(minProperties) properties"))
        }
        for name in required where members[name] == nil {
            violations.append(SchemaViolation(field: FieldPath.child(path, name), kind: .required, badValue: nil, detail: ""))
        }
        if embeddedResource {
            for name in ["apiVersion", "kind"] where (members[name]?.stringValue ?? "").isEmpty {
                violations.append(SchemaViolation(
                    field: FieldPath.child(path, name), kind: .required, badValue: nil, detail: "must not be empty"))
            }
        }
        // Declared properties in name order (precomputed), then map values in key order, so the
        // violations come out in a stable order.
        for (name, declared) in orderedProperties {
            if let member = members[name] {
                declared.check(member, at: FieldPath.child(path, name), into: &violations)
            }
        }
        if case .schema(let values) = additionalProperties {
            for (name, member) in members.sorted(by: { $0.key < $1.key }) where properties[name] == nil {
                values.check(member, at: FieldPath.child(path, name), into: &violations)
            }
        }
    }

    private func checkJunctors(_ value: JSONValue, at path: String, into violations: inout [SchemaViolation]) {
        for schema in allOf {
            schema.check(value, at: path, into: &violations)
        }
        if !anyOf.isEmpty, !anyOf.contains(where: { $0.passes(value, at: path) }) {
            violations.append(.invalid(path, value, "must validate at least one schema (anyOf)"))
        }
        if !oneOf.isEmpty {
            let passing = oneOf.count(where: { $0.passes(value, at: path) })
            if passing != 1 {
                let found = passing == 0 ? "found none valid" : "found \(passing) valid alternatives"
                violations.append(.invalid(path, value, "must validate one and only one schema (oneOf): \(found)"))
            }
        }
        if let not, not.passes(value, at: path) {
            violations.append(.invalid(path, value, "must not validate the schema (not)"))
        }
    }

    private func passes(_ value: JSONValue, at path: String) -> Bool {
        satisfies(value)
    }
}

/// The string `format`s kube-apiserver checks. Formats it does not know are accepted, as there.
enum StringFormat {
    static func accepts(_ string: String, format: String) -> Bool {
        switch format {
        case "byte": return Data(base64Encoded: string) != nil
        case "date-time", "datetime": return isDateTime(string)
        case "date": return isDate(string)
        case "ipv4": return isIPv4(string)
        case "uuid": return UUID(uuidString: string) != nil
        default: return true
        }
    }

    private static func isDate(_ string: String) -> Bool {
        let parts = string.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let month = Int(parts[1]), let day = Int(parts[2]), Int(parts[0]) != nil
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day)
    }

    /// RFC 3339: `2026-11-22T22:37:01Z`, with optional fraction and a Z or ±hh:mm offset.
    private static func isDateTime(_ string: String) -> Bool {
        guard let separator = string.firstIndex(where: { $0 == "T" || $0 == "t" || $0 == " " }),
              isDate(String(string[..<separator]))
        else { return false }
        var time = Substring(string[string.index(after: separator)...])
        if time.hasSuffix("Z") || time.hasSuffix("z") {
            time = time.dropLast()
        } else if let sign = time.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let offset = time[time.index(after: sign)...].split(separator: ":")
            guard offset.count == 2, offset.allSatisfy({ $0.count == 2 && Int($0) != nil }) else { return false }
            time = time[..<sign]
        } else {
            return false
        }
        let clock = time.split(separator: ".", maxSplits: 1)
        guard let hms = clock.first, clock.count == 1 || (clock[1].allSatisfy(\.isNumber) && !clock[1].isEmpty)
        else { return false }
        let fields = hms.split(separator: ":")
        guard fields.count == 3, fields.allSatisfy({ $0.count == 2 }),
              let hour = Int(fields[0]), let minute = Int(fields[1]), let second = Int(fields[2])
        else { return false }
        return hour < 24 && minute < 60 && second <= 60
    }

    private static func isIPv4(_ string: String) -> Bool {
        let octets = string.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { octet in
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCII), let number = Int(octet) else { return false }
            return number <= 255
        }
    }
}
