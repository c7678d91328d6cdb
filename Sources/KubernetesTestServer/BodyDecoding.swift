import KubernetesAPI
import NIOCore
import Yams

/// Request bodies: JSON (what kubectl and client-go send) or YAML
/// (`application/apply-patch+yaml`, `application/yaml`).
enum BodyDecoding {
    static func decode(_ body: ByteBuffer?, contentType: String) throws(APIError) -> JSONValue {
        guard let body, body.readableBytes > 0 else { throw .badRequest("the request body is empty") }
        let firstByte = body.readableBytesView.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
        let looksLikeJSON = firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[")
        if looksLikeJSON || !contentType.lowercased().contains("yaml") {
            do {
                return try JSONCoding.parse(body)
            } catch {
                if !contentType.lowercased().contains("yaml") {
                    throw .badRequest("the body of the request could not be decoded: \(error.description)")
                }
            }
        }
        return try decodeYAML(String(buffer: body))
    }

    static func decodeYAML(_ text: String) throws(APIError) -> JSONValue {
        // Flow-style nesting is bounded before the (recursive) YAML composer sees it.
        var depth = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                depth += 1
                if depth > JSONCoding.maximumDepth { throw .badRequest("error converting YAML to JSON: nesting too deep") }
            } else if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                depth = max(0, depth - 1)
            }
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .badRequest("error converting YAML to JSON: \(error)")
        }
        guard let node else { throw .badRequest("the request body is empty") }
        return try convert(node, depth: 0)
    }

    /// One already-composed YAML document as JSON.
    static func convertDocument(_ node: Node) throws(APIError) -> JSONValue { try convert(node, depth: 0) }

    private static func convert(_ node: Node, depth: Int) throws(APIError) -> JSONValue {
        guard depth < JSONCoding.maximumDepth else { throw .badRequest("error converting YAML to JSON: nesting too deep") }
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            let text = scalar.string
            switch text {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let integer = Int64(text) { return .integer(integer) }
            if text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true, let double = Double(text), double.isFinite {
                return .double(double)
            }
            return .string(text)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else { throw .badRequest("error converting YAML to JSON: map keys must be strings") }
                members[keyScalar.string] = try convert(value, depth: depth + 1)
            }
            return .object(members)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try convert(item, depth: depth + 1)) }
            return .array(items)
        case .alias:
            throw .badRequest("error converting YAML to JSON: aliases are not supported")
        }
    }
}
