import Foundation

/// An Istio enum: Swift cases whose raw values are Istio's exact spellings.
/// Decoding an unknown spelling is an error that lists the allowed ones.
public protocol IstioEnum: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {}

extension IstioEnum {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown value \"\(text)\", allowed values: \(allowed)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A protobuf `Duration` as Istio accepts it: Go duration syntax (`"1.5s"`, `"100ms"`,
/// `"1m"`, `"1h30m"`, units ns, us/µs, ms, s, m, h). Istio's CRD schema checks durations
/// with CEL's `duration()`, which takes Go syntax, and its JSON reader parses them the
/// same way; the protobuf-canonical `"<seconds>s"` form is a subset. The original text
/// is kept so an object decodes and encodes back unchanged.
public struct IstioDuration: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The text as written, e.g. `"1m"`.
    public let text: String
    /// The length in nanoseconds.
    public let nanoseconds: Int64

    public init(_ text: String) throws {
        guard let nanos = IstioDuration.parse(text) else {
            throw IstioDurationError(text: text)
        }
        self.text = text
        self.nanoseconds = nanos
    }

    /// A duration of whole milliseconds, written as Istio prints it (`"1.500s"` style is avoided; uses ms/s).
    public init(milliseconds: Int64) {
        self.nanoseconds = milliseconds * 1_000_000
        self.text = milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var description: String { text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let nanos = IstioDuration.parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "invalid duration \"\(text)\" (expected e.g. \"1.5s\", \"100ms\", \"1m\", \"1h\")")
        }
        self.text = text
        self.nanoseconds = nanos
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// Parses Go's duration grammar: `[-+]?(<decimal><unit>)+` or `"0"`.
    static func parse(_ text: String) -> Int64? {
        var chars = Substring(text)
        var negative = false
        if chars.first == "-" || chars.first == "+" {
            negative = chars.first == "-"
            chars = chars.dropFirst()
        }
        if chars == "0" { return 0 }
        guard !chars.isEmpty else { return nil }
        var total: Double = 0
        while !chars.isEmpty {
            let number = chars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                  let value = Double(number.hasPrefix(".") ? "0" + number : String(number)) else { return nil }
            chars = chars.dropFirst(number.count)
            let unit = chars.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard !unit.isEmpty else { return nil }
            chars = chars.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            total += value * scale
        }
        guard total < 9.2e18 else { return nil }
        let nanos = Int64(total.rounded())
        return negative ? -nanos : nanos
    }
}

public struct IstioDurationError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { "invalid duration \"\(text)\"" }
}

/// Istio's `Percent`: a double in [0, 100].
public struct Percent: Codable, Sendable, Hashable {
    public var value: Double?
    public init(value: Double? = nil) { self.value = value }
}

/// Kubernetes' IntOrString (e.g. a Service port's `targetPort`), kept in its written form.
public enum IntOrString: Codable, Sendable, Hashable, CustomStringConvertible {
    case int(Int32)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int32.self) {
            self = .int(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            throw DecodingError.typeMismatch(IntOrString.self, .init(codingPath: decoder.codingPath, debugDescription: "expected integer or string"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        }
    }

    public var description: String {
        switch self {
        case .int(let number): "\(number)"
        case .string(let text): text
        }
    }
}

/// An int64 that Istio may write either as a JSON number or (protobuf JSON style) as a string.
public struct Int64OrString: Codable, Sendable, Hashable {
    public var value: Int64
    /// Whether the value was (and will be) written as a string.
    public var quoted: Bool

    public init(_ value: Int64, quoted: Bool = false) {
        self.value = value
        self.quoted = quoted
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            self.init(number)
        } else if let text = try? container.decode(String.self), let number = Int64(text) {
            self.init(number, quoted: true)
        } else {
            throw DecodingError.typeMismatch(Int64OrString.self, .init(codingPath: decoder.codingPath, debugDescription: "expected an int64 as a number or a string"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if quoted { try container.encode(String(value)) } else { try container.encode(value) }
    }
}

/// Istio's `StringMatch`: exactly one of `exact`, `prefix` or `regex` (RE2 syntax).
public struct StringMatch: Codable, Sendable, Hashable {
    public var exact: String?
    public var prefix: String?
    public var regex: String?

    public init(exact: String? = nil, prefix: String? = nil, regex: String? = nil) {
        self.exact = exact
        self.prefix = prefix
        self.regex = regex
    }

    public enum Kind: Sendable, Hashable {
        case exact(String)
        case prefix(String)
        case regex(String)
    }

    /// The match as a value, or nil when no (or, invalidly, more than one) field is set.
    public var kind: Kind? {
        switch (exact, prefix, regex) {
        case (let value?, nil, nil): .exact(value)
        case (nil, let value?, nil): .prefix(value)
        case (nil, nil, let value?): .regex(value)
        default: nil
        }
    }
}

/// Istio's `PortSelector`.
public struct PortSelector: Codable, Sendable, Hashable {
    public var number: UInt32?
    public init(number: UInt32? = nil) { self.number = number }
}

/// `istio.type.v1beta1.WorkloadSelector`.
public struct WorkloadSelector: Codable, Sendable, Hashable {
    public var matchLabels: [String: String]?
    public init(matchLabels: [String: String]? = nil) { self.matchLabels = matchLabels }
}
