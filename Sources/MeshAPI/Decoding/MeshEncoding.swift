import Foundation
import Yams

/// Encodes mesh objects back to YAML or JSON with Istio's field names; nil fields are omitted.
public enum MeshEncoding {
    public static func yaml<T: Encodable>(_ value: T) throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = false
        return try encoder.encode(value)
    }

    public static func json<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Encodes a multi-document YAML stream.
    public static func yaml(_ objects: [MeshObject]) throws -> String {
        try objects.map { try yaml(AnyEncodable($0.encodable)) }.joined(separator: "---\n")
    }
}

/// Wraps an existential so it can be handed to a generic encoder.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
