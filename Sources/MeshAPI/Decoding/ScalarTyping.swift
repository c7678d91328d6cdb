import Foundation
import Yams

typealias Node = Yams.Node

/// How a YAML scalar is typed, decided without Yams' regular-expression resolver
/// (which dominates parse time on large inputs). Quoted and block scalars are
/// strings; plain scalars follow YAML 1.1 as Kubernetes' YAML reader does.
enum ScalarKind: Equatable {
    case null
    case bool(Bool)
    case integer
    case float
    case string

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .float: "number"
        case .string: "string"
        }
    }
}

enum ScalarTyping {
    static func kind(of scalar: Node.Scalar) -> ScalarKind {
        switch scalar.style {
        case .singleQuoted, .doubleQuoted, .literal, .folded: return .string
        case .plain, .any: return plainKind(scalar.string)
        }
    }

    static func plainKind(_ text: String) -> ScalarKind {
        guard let first = text.utf8.first else { return .null }
        // Fast exit for the common case: a word starting with a letter that starts no keyword.
        switch first {
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "y"), UInt8(ascii: "Y"),
             UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "o"), UInt8(ascii: "O"), UInt8(ascii: "~"), UInt8(ascii: "."),
             UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            break
        default:
            return .string
        }
        if text.utf8.count <= 5 {
            switch text {
            case "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y": return .bool(true)
            case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N": return .bool(false)
            case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN": return .float
            default: break
            }
        }
        let isNumberStart = (first >= 48 && first <= 57) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
        guard isNumberStart else { return .string }
        if isInteger(text) { return .integer }
        if text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }),
           Double(text) != nil {
            return .float
        }
        return .string
    }

    static func isInteger(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        if bytes.starts(with: "0x".utf8) {
            let digits = bytes.dropFirst(2)
            return !digits.isEmpty && digits.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
        }
        return !bytes.isEmpty && bytes.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return kind(of: scalar) == .null
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            let kind = kind(of: scalar)
            return kind == .null ? "null" : "\(kind.typeName) \"\(scalar.string)\""
        case .mapping: return "object"
        case .sequence: return "array"
        case .alias: return "alias"
        }
    }

    static func mismatch(expected: String, node: Node, codingPath: @autoclosure () -> [any CodingKey]) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: codingPath(), debugDescription: "expected \(expected), got \(describe(node))"))
    }

    /// Decodes `T` directly when it is a scalar type; nil when `T` is not one.
    static func decodePrimitive<T>(_ type: T.Type, node: Node, codingPath: () -> [any CodingKey]) throws -> T? {
        if T.self == String.self { return try string(node, codingPath) as? T }
        if T.self == Bool.self { return try bool(node, codingPath) as? T }
        if T.self == Int.self { return try integer(Int.self, node, codingPath) as? T }
        if T.self == Int32.self { return try integer(Int32.self, node, codingPath) as? T }
        if T.self == UInt32.self { return try integer(UInt32.self, node, codingPath) as? T }
        if T.self == Int64.self { return try integer(Int64.self, node, codingPath) as? T }
        if T.self == UInt64.self { return try integer(UInt64.self, node, codingPath) as? T }
        if T.self == Double.self { return try double(node, codingPath) as? T }
        if T.self == Float.self { return try Float(double(node, codingPath)) as? T }
        if T.self == Int8.self { return try integer(Int8.self, node, codingPath) as? T }
        if T.self == Int16.self { return try integer(Int16.self, node, codingPath) as? T }
        if T.self == UInt.self { return try integer(UInt.self, node, codingPath) as? T }
        if T.self == UInt8.self { return try integer(UInt8.self, node, codingPath) as? T }
        if T.self == UInt16.self { return try integer(UInt16.self, node, codingPath) as? T }
        return nil
    }

    /// Words YAML 1.1 reads as booleans but YAML 1.2 and JSON read as strings; accepted
    /// where a string is expected (`namespace: n`, `mode: on`).
    static let yaml11OnlyBooleans: Set<String> = ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N"]

    static func string(_ node: Node, _ path: () -> [any CodingKey]) throws -> String {
        guard case .scalar(let scalar) = node else { throw mismatch(expected: "string", node: node, codingPath: path()) }
        switch kind(of: scalar) {
        case .string: return scalar.string
        case .bool where yaml11OnlyBooleans.contains(scalar.string): return scalar.string
        default: throw mismatch(expected: "string", node: node, codingPath: path())
        }
    }

    static func bool(_ node: Node, _ path: () -> [any CodingKey]) throws -> Bool {
        guard case .scalar(let scalar) = node, case .bool(let value) = kind(of: scalar) else {
            throw mismatch(expected: "boolean", node: node, codingPath: path())
        }
        return value
    }

    static func integer<I: FixedWidthInteger>(_ type: I.Type, _ node: Node, _ path: () -> [any CodingKey]) throws -> I {
        guard case .scalar(let scalar) = node, kind(of: scalar) == .integer else {
            throw mismatch(expected: "integer", node: node, codingPath: path())
        }
        var text = Substring(scalar.string)
        var negative = false
        if text.hasPrefix("+") { text = text.dropFirst() } else if text.hasPrefix("-") { negative = true; text = text.dropFirst() }
        let radix = text.hasPrefix("0x") ? 16 : 10
        if radix == 16 { text = text.dropFirst(2) }
        let value = I(negative ? "-" + text : String(text), radix: radix)
        guard let value else {
            throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "integer \(scalar.string) is out of range for \(I.self)"))
        }
        return value
    }

    static func double(_ node: Node, _ path: () -> [any CodingKey]) throws -> Double {
        guard case .scalar(let scalar) = node else { throw mismatch(expected: "number", node: node, codingPath: path()) }
        switch kind(of: scalar) {
        case .integer:
            if let value = Double(scalar.string) { return value }
            if let value = Int64(scalar.string.replacingOccurrences(of: "0x", with: ""), radix: 16) { return Double(value) }
        case .float:
            let text = scalar.string.lowercased()
            if text.hasSuffix(".inf") { return text.hasPrefix("-") ? -.infinity : .infinity }
            if text == ".nan" { return .nan }
            if let value = Double(scalar.string) { return value }
        default: break
        }
        throw mismatch(expected: "number", node: node, codingPath: path())
    }
}
