import Foundation
import KubernetesAPI

/// Any API object the typed client can read and write.
public protocol KubernetesObject: Codable, Sendable {
    var metadata: ObjectMeta { get set }
}

extension KubernetesObject {
    public var name: String { metadata.name ?? "" }
    public var namespace: String? { metadata.namespace }
    public var resourceVersion: String? { metadata.resourceVersion }
}

/// An object of any kind, kept as JSON; its metadata decoded for the machinery that needs it.
public struct UnstructuredObject: KubernetesObject, Hashable {
    /// The whole object as the server sent it; `metadata` here is authoritative on encode.
    public var object: JSONValue
    public var metadata: ObjectMeta

    public init(_ object: JSONValue) throws {
        self.object = object
        let data = try JSONEncoder().encode(object["metadata"] ?? .object([:]))
        metadata = try JSONDecoder().decode(ObjectMeta.self, from: data)
    }

    public init(from decoder: any Decoder) throws {
        object = try JSONValue(from: decoder)
        let container = try decoder.container(keyedBy: MetadataKey.self)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
    }

    public func encode(to encoder: any Encoder) throws {
        var copy = object
        let data = try JSONEncoder().encode(metadata)
        copy["metadata"] = try JSONDecoder().decode(JSONValue.self, from: data)
        try copy.encode(to: encoder)
    }

    private enum MetadataKey: String, CodingKey { case metadata }
}

/// A list response: `items` and the list's metadata (resourceVersion, continue).
public struct ObjectList<Object: KubernetesObject>: Decodable, Sendable {
    public var metadata: ListMeta
    public var items: [Object]

    enum CodingKeys: String, CodingKey { case metadata, items }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        items = try c.decodeIfPresent([Object].self, forKey: .items) ?? []
    }
    public init(metadata: ListMeta, items: [Object]) {
        self.metadata = metadata
        self.items = items
    }
}
