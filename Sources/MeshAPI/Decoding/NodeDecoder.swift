import Yams

/// Marks a type whose decoding tolerates fields it does not declare.
///
/// Istio's kinds are decoded strictly (a misspelt field is an error), but the
/// Kubernetes objects the mesh points at come from `kubectl get -o yaml` and carry
/// many fields Coxswain never reads. Conforming types, and everything below them,
/// ignore unknown fields while still rejecting wrong types of the fields they use.
public protocol LenientDecodable: Decodable {}

/// A `Decoder` over a parsed `Yams.Node`.
///
/// It records the keys each keyed container asks for; when a value finishes
/// decoding, keys present in the mapping but never asked for are reported as
/// unknown fields (unless the value is `LenientDecodable`). That keeps every model
/// type plain synthesized `Codable` while strictness stays generic. Scalars are
/// typed as YAML 1.1 (and JSON) would type them, so `weight: ninety` is a type
/// error rather than a silent string.
final class NodeDecoder: Decoder {
    let node: Node
    let codingPath: [any CodingKey]
    let lenient: Bool
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Keys asked for through keyed containers; nil until one is made.
    fileprivate var usedKeys: Set<String>?
    fileprivate var index: MappingIndex?

    init(node: Node, codingPath: [any CodingKey], lenient: Bool) {
        self.node = node
        self.codingPath = codingPath
        self.lenient = lenient
    }

    /// Decodes a whole value and then checks it left no field unread.
    static func decode<T: Decodable>(_ type: T.Type, from node: Node, codingPath: [any CodingKey] = [], lenient: Bool = false) throws -> T {
        try decodeValue(type, node: node, codingPath: codingPath, lenient: lenient)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else {
            throw ScalarTyping.mismatch(expected: "object", node: node, codingPath: codingPath)
        }
        if index == nil { index = try MappingIndex(mapping, codingPath: codingPath) }
        if usedKeys == nil { usedKeys = [] }
        return KeyedDecodingContainer(NodeKeyedContainer<Key>(decoder: self, index: index!))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else {
            throw ScalarTyping.mismatch(expected: "array", node: node, codingPath: codingPath)
        }
        return NodeUnkeyedContainer(nodes: Array(sequence), codingPath: codingPath, lenient: lenient)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        NodeSingleValueContainer(decoder: self)
    }

    /// Throws for the first key of this node's mapping that no container asked for.
    func checkUnknownFields() throws {
        guard !lenient, let used = usedKeys, let index else { return }
        if used.count == index.count { return }
        for key in index.orderedKeys where !used.contains(key) {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [FieldKey(key)], debugDescription: "unknown field"))
        }
    }
}

/// Decodes `node` as `T`, with fast paths for scalars, then checks unknown fields.
func decodeValue<T: Decodable>(_ type: T.Type, node: Node, codingPath: [any CodingKey], lenient: Bool) throws -> T {
    if let scalar = try ScalarTyping.decodePrimitive(type, node: node, codingPath: codingPath) {
        return scalar
    }
    let childLenient = lenient || (T.self is any LenientDecodable.Type)
    let decoder = NodeDecoder(node: node, codingPath: codingPath, lenient: childLenient)
    let value = try T(from: decoder)
    try decoder.checkUnknownFields()
    return value
}

/// A coding key for a mapping key or an array index.
struct FieldKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init?(stringValue: String) { self.init(stringValue) }
    init(index: Int) { stringValue = "\(index)"; intValue = index }
    init?(intValue: Int) { self.init(index: intValue) }
}

/// A mapping's pairs by key string, built once per mapping (Yams' own lookup is linear).
struct MappingIndex {
    var positions: [String: Int]
    var orderedKeys: [String]
    var values: [Node]
    var count: Int { orderedKeys.count }

    init(_ mapping: Node.Mapping, codingPath: [any CodingKey]) throws {
        positions = Dictionary(minimumCapacity: mapping.count)
        orderedKeys = []
        orderedKeys.reserveCapacity(mapping.count)
        values = []
        values.reserveCapacity(mapping.count)
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "mapping keys must be strings"))
            }
            let key = keyScalar.string
            if positions[key] != nil {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [FieldKey(key)], debugDescription: "duplicate field"))
            }
            positions[key] = values.count
            orderedKeys.append(key)
            values.append(valueNode)
        }
    }

    subscript(key: String) -> Node? {
        guard let position = positions[key] else { return nil }
        return values[position]
    }
}

struct NodeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let index: MappingIndex
    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] { index.orderedKeys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool {
        decoder.usedKeys!.insert(key.stringValue)
        return index.positions[key.stringValue] != nil
    }

    private func value(for key: Key) throws -> Node {
        decoder.usedKeys!.insert(key.stringValue)
        guard let node = index[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing required field \"\(key.stringValue)\""))
        }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        let node = try value(for: key)
        return ScalarTyping.isNull(node)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeGenericValue(type, forKey: key)
    }

    func decodeGenericValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let node = try value(for: key)
        return try decodeValue(type, node: node, codingPath: codingPath + [key], lenient: decoder.lenient)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        decoder.usedKeys!.insert(key.stringValue)
        guard let node = index[key.stringValue], !ScalarTyping.isNull(node) else { return nil }
        return try decodeValue(type, node: node, codingPath: codingPath + [key], lenient: decoder.lenient)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let node = try value(for: key)
        // A nested container's fields are checked by the decoder that owns it, which
        // lives only as long as the container; accept that nested containers are lenient.
        let nested = NodeDecoder(node: node, codingPath: codingPath + [key], lenient: true)
        return try nested.container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let node = try value(for: key)
        return try NodeDecoder(node: node, codingPath: codingPath + [key], lenient: decoder.lenient).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        NodeDecoder(node: decoder.node, codingPath: codingPath, lenient: true)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let node = try value(for: key)
        return NodeDecoder(node: node, codingPath: codingPath + [key], lenient: true)
    }
}

struct NodeUnkeyedContainer: UnkeyedDecodingContainer {
    let nodes: [Node]
    let codingPath: [any CodingKey]
    let lenient: Bool
    private(set) var currentIndex = 0

    init(nodes: [Node], codingPath: [any CodingKey], lenient: Bool) {
        self.nodes = nodes
        self.codingPath = codingPath
        self.lenient = lenient
    }

    var count: Int? { nodes.count }
    var isAtEnd: Bool { currentIndex >= nodes.count }

    private mutating func next() throws -> (Node, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "array is shorter than expected"))
        }
        let node = nodes[currentIndex]
        let path = codingPath + [FieldKey(index: currentIndex)]
        currentIndex += 1
        return (node, path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if ScalarTyping.isNull(nodes[currentIndex]) {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeGeneric(type)
    }

    mutating func decodeGeneric<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, path) = try next()
        return try decodeValue(type, node: node, codingPath: path, lenient: lenient)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, path) = try next()
        return try NodeDecoder(node: node, codingPath: path, lenient: true).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, path) = try next()
        return try NodeDecoder(node: node, codingPath: path, lenient: lenient).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, path) = try next()
        return NodeDecoder(node: node, codingPath: path, lenient: true)
    }
}

struct NodeSingleValueContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { ScalarTyping.isNull(decoder.node) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeGeneric(type)
    }

    func decodeGeneric<T: Decodable>(_ type: T.Type) throws -> T {
        if let primitive = try ScalarTyping.decodePrimitive(type, node: decoder.node, codingPath: codingPath) {
            return primitive
        }
        // Decoding the same node as another type: strictness belongs to that type.
        return try decodeValue(type, node: decoder.node, codingPath: codingPath, lenient: decoder.lenient)
    }
}
