/// One way a value breaks its schema, shaped like kube-apiserver's `field.Error` so that the test
/// API server can answer with the same text a real cluster gives:
/// `spec.http[0].route[1].weight: Invalid value: "string": spec.http[0].route[1].weight in body must be of type integer: "string"`.
public struct SchemaViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `field.ErrorType` wording kube-apiserver uses.
    public enum Kind: String, Sendable, Hashable {
        case invalid = "Invalid value"
        case required = "Required value"
        case notSupported = "Unsupported value"
        case duplicate = "Duplicate value"
        case tooLong = "Too long"
        case tooMany = "Too many"
    }

    /// Field path in Kubernetes notation, e.g. `spec.http[0].route[1].weight`.
    public var field: String
    public var kind: Kind
    /// The offending value as kube-apiserver prints it (`"string"` quoted, numbers bare); nil for
    /// kinds that print no value (Required, Too long).
    public var badValue: String?
    public var detail: String

    public init(field: String, kind: Kind, badValue: String?, detail: String) {
        self.field = field
        self.kind = kind
        self.badValue = badValue
        self.detail = detail
    }

    public var description: String {
        var text = "\(field.isEmpty ? "<root>" : field): \(kind.rawValue)"
        if let badValue { text += ": \(badValue)" }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}

extension SchemaViolation {
    /// How kube-apiserver starts a message about a path: "spec.x in body ...", or just "in body ..."
    /// for the object itself.
    static func inBody(_ field: String) -> String { field.isEmpty ? "in body" : "\(field) in body" }

    static func wrongType(_ field: String, expected: String, actual: JSONValue) -> SchemaViolation {
        let actualType = actual.schemaTypeName
        return SchemaViolation(
            field: field, kind: .invalid, badValue: quoted(actualType),
            detail: "\(inBody(field)) must be of type \(expected): \(quoted(actualType))")
    }

    static func invalid(_ field: String, _ value: JSONValue, _ detail: String) -> SchemaViolation {
        SchemaViolation(field: field, kind: .invalid, badValue: value.renderedForMessage, detail: "\(inBody(field)) \(detail)")
    }

    static func quoted(_ string: String) -> String {
        JSONValue.string(string).compactJSON
    }
}

extension JSONValue {
    /// The OpenAPI type name of the value, as used in "must be of type" messages.
    var schemaTypeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// A value printed the way `field.Error` prints it: strings quoted, scalars bare, containers as JSON.
    var renderedForMessage: String { compactJSON }

    /// Compact JSON with sorted keys (deterministic for messages and duplicate detection).
    var compactJSON: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .integer(let value): return String(value)
        case .double(let value):
            if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        case .string(let value):
            var escaped = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                case "\r": escaped += "\\r"
                case "\t": escaped += "\\t"
                case let control where control.value < 0x20:
                    let hex = String(control.value, radix: 16)
                    escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return escaped + "\""
        case .array(let values):
            return "[" + values.map(\.compactJSON).joined(separator: ",") + "]"
        case .object(let members):
            let body = members.sorted { $0.key < $1.key }.map { member in
                JSONValue.string(member.key).compactJSON + ":" + member.value.compactJSON
            }
            return "{" + body.joined(separator: ",") + "}"
        }
    }
}
