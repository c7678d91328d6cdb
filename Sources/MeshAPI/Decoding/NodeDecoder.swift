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
/// It records which keys of a mapping the type asked for; when a value finishes
/// decoding, keys present but never asked for are reported as unknown fields (unless
/// the value is `LenientDecodable`). That keeps every model type plain synthesized
/// `Codable` while strictness stays generic. Scalars are typed as YAML 1.1 (and JSON)
/// would type them, so `weight: ninety` is a type error rather than a silent string.
///
/// Cost is linear in the size of the input: the coding path is a parent chain that is
/// only turned into an array when an error is reported, and small mappings are
/// searched linearly instead of being hashed.
final class NodeDecoder: Decoder {
    let node: Yams.Node
    let lenient: Bool
    private let parent: NodeDecoder?
    private let key: (any CodingKey)?
    /// The path of the root decoder (e.g. `items[3]` for a List item).
    private let basePath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The mapping's keys and values, built when a keyed container is first made.
    fileprivate var index: MappingIndex?
    /// Which of the mapping's entries a keyed container asked for.
    fileprivate var used: [Bool] = []
    fileprivate var usedCount = 0

    init(node: Yams.Node, parent: NodeDecoder?, key: (any CodingKey)?, lenient: Bool, basePath: [any CodingKey] = []) {
        self.node = node
        self.parent = parent
        self.key = key
        self.lenient = lenient
        self.basePath = basePath
    }

    var codingPath: [any CodingKey] {
        var keys: [any CodingKey] = []
        var current: NodeDecoder? = self
        var root: NodeDecoder = self
        while let decoder = current {
            if let key = decoder.key { keys.append(key) }
            root = decoder
            current = decoder.parent
        }
        return root.basePath + keys.reversed()
    }

    /// Decodes a whole value and then checks it left no field unread.
    static func decode<T: Decodable>(_ type: T.Type, from node: Yams.Node, codingPath: [any CodingKey] = [], lenient: Bool = false) throws -> T {
        if let primitive = try ScalarTyping.decodePrimitive(type, node: node, codingPath: { codingPath }) {
            return primitive
        }
        let decoder = NodeDecoder(node: node, parent: nil, key: nil, lenient: lenient || T.self is any LenientDecodable.Type, basePath: codingPath)
        let value = try T(from: decoder)
        try decoder.checkUnknownFields()
        return value
    }

    /// Decodes a child `node` reached from this decoder through `key`.
    func decodeChild<T: Decodable>(_ type: T.Type, node: Yams.Node, key: any CodingKey) throws -> T {
        if let primitive = try ScalarTyping.decodePrimitive(type, node: node, codingPath: { self.codingPath + [key] }) {
            return primitive
        }
        let child = NodeDecoder(node: node, parent: self, key: key, lenient: lenient || T.self is any LenientDecodable.Type)
        let value = try T(from: child)
        try child.checkUnknownFields()
        return value
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else {
            throw ScalarTyping.mismatch(expected: "object", node: node, codingPath: codingPath)
        }
        if index == nil {
            index = try MappingIndex(mapping, codingPath: { self.codingPath })
            used = Array(repeating: false, count: index!.count)
        }
        return KeyedDecodingContainer(NodeKeyedContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else {
            throw ScalarTyping.mismatch(expected: "array", node: node, codingPath: codingPath)
        }
        return NodeUnkeyedContainer(nodes: Array(sequence), decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        NodeSingleValueContainer(decoder: self)
    }

    /// The position of `key` in this node's mapping, marking it as read.
    fileprivate func lookUp(_ key: String) -> Int? {
        guard let position = index?.position(of: key) else { return nil }
        if !used[position] {
            used[position] = true
            usedCount += 1
        }
        return position
    }

    /// Throws for the first key of this node's mapping that no container asked for.
    func checkUnknownFields() throws {
        guard !lenient, let index, usedCount < index.count else { return }
        for (position, key) in index.keys.enumerated() where !used[position] {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [FieldKey(key)], debugDescription: "unknown field"))
        }
    }
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

/// A mapping's keys and values. Small mappings (most of Istio's) are searched linearly,
/// which beats hashing every key the synthesized decoders ask about; large ones are hashed.
struct MappingIndex {
    private(set) var keys: [String] = []
    private(set) var values: [Yams.Node] = []
    private var positions: [String: Int]?
    var count: Int { keys.count }

    private static let linearLimit = 12

    init(_ mapping: Yams.Node.Mapping, codingPath: () -> [any CodingKey]) throws {
        keys.reserveCapacity(mapping.count)
        values.reserveCapacity(mapping.count)
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath(), debugDescription: "mapping keys must be strings"))
            }
            keys.append(keyScalar.string)
            values.append(valueNode)
        }
        if keys.count > Self.linearLimit {
            var positions = [String: Int](minimumCapacity: keys.count)
            for (position, key) in keys.enumerated() where positions[key] == nil { positions[key] = position }
            self.positions = positions
        }
    }

    func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        return keys.firstIndex(of: key)
    }

    subscript(key: String) -> Yams.Node? {
        position(of: key).map { values[$0] }
    }
}

struct NodeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    private var index: MappingIndex { decoder.index! }

    init(decoder: NodeDecoder) { self.decoder = decoder }

    var allKeys: [Key] { index.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool {
        decoder.lookUp(key.stringValue) != nil
    }

    private func value(for key: Key) throws -> Yams.Node {
        guard let position = decoder.lookUp(key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing required field \"\(key.stringValue)\""))
        }
        return index.values[position]
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        ScalarTyping.isNull(try value(for: key))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeGenericValue(type, forKey: key)
    }

    func decodeGenericValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decodeChild(type, node: try value(for: key), key: key)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let position = decoder.lookUp(key.stringValue) else { return nil }
        let node = index.values[position]
        if ScalarTyping.isNull(node) { return nil }
        return try decoder.decodeChild(type, node: node, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        // A nested container outlives no decoder that could check its fields afterwards,
        // so nested containers (used only by hand-written decoders) are lenient.
        try NodeDecoder(node: try value(for: key), parent: decoder, key: key, lenient: true).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try NodeDecoder(node: try value(for: key), parent: decoder, key: key, lenient: decoder.lenient).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        NodeDecoder(node: decoder.node, parent: decoder, key: nil, lenient: true)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        NodeDecoder(node: try value(for: key), parent: decoder, key: key, lenient: true)
    }
}

struct NodeUnkeyedContainer: UnkeyedDecodingContainer {
    let nodes: [Yams.Node]
    let decoder: NodeDecoder
    private(set) var currentIndex = 0

    init(nodes: [Yams.Node], decoder: NodeDecoder) {
        self.nodes = nodes
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { nodes.count }
    var isAtEnd: Bool { currentIndex >= nodes.count }

    private mutating func next() throws -> (Yams.Node, FieldKey) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "array is shorter than expected"))
        }
        let node = nodes[currentIndex]
        let key = FieldKey(index: currentIndex)
        currentIndex += 1
        return (node, key)
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
        let (node, key) = try next()
        return try decoder.decodeChild(type, node: node, key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, key) = try next()
        return try NodeDecoder(node: node, parent: decoder, key: key, lenient: true).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, key) = try next()
        return try NodeDecoder(node: node, parent: decoder, key: key, lenient: decoder.lenient).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, key) = try next()
        return NodeDecoder(node: node, parent: decoder, key: key, lenient: true)
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
        if let primitive = try ScalarTyping.decodePrimitive(type, node: decoder.node, codingPath: { decoder.codingPath }) {
            return primitive
        }
        // Decoding the same node as another type: strictness belongs to that type.
        let inner = NodeDecoder(node: decoder.node, parent: decoder, key: nil, lenient: decoder.lenient || T.self is any LenientDecodable.Type)
        let value = try T(from: inner)
        try inner.checkUnknownFields()
        return value
    }
}
