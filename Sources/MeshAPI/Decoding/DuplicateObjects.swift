/// The same object (kind, namespace, name) defined more than once across the input.
///
/// Without this, whichever definition is indexed last silently wins, so the outcome
/// depends on file names. Instead one definition is kept, chosen deterministically, and
/// every other is an error naming both places.
public enum DuplicateObjects {
    public struct Key: Hashable, Sendable, CustomStringConvertible {
        public var kind: MeshKind
        public var namespace: String
        public var name: String

        public init(_ object: MeshObject) {
            kind = object.kind
            switch object.kind {
            case .namespace, .node: namespace = ""
            default: namespace = MeshSnapshot.key(object.metadata).namespace
            }
            name = object.metadata.name ?? ""
        }

        public var description: String { namespace.isEmpty ? "\(kind.rawValue) \(name)" : "\(kind.rawValue) \(namespace)/\(name)" }
    }

    /// Keeps one definition of each object. When `serving` names the file whose definition
    /// was in effect before, that one stays (a new copy elsewhere never takes over from
    /// it); otherwise the first in input order (path order) is kept.
    public static func resolve(_ objects: [DecodedObject], serving: [Key: String] = [:]) -> (objects: [DecodedObject], errors: [MeshDecodingError]) {
        var positions: [Key: [Int]] = [:]
        for (position, object) in objects.enumerated() { positions[Key(object.object), default: []].append(position) }
        var dropped: Set<Int> = []
        var errors: [MeshDecodingError] = []
        for (key, places) in positions where places.count > 1 {
            let servingFile = serving[key]
            let keptPosition = places.first { objects[$0].location.file == servingFile } ?? places[0]
            let reason = objects[keptPosition].location.file == servingFile ? "it was serving first" : "it comes first in path order"
            for position in places where position != keptPosition {
                dropped.insert(position)
                errors.append(MeshDecodingError(
                    location: objects[position].location, fieldPath: "metadata.name",
                    message: "\(key) is also defined at \(objects[keptPosition].location); that definition is served (\(reason)) and this one is ignored"))
            }
        }
        errors.sort { ($0.location.file, $0.location.document) < ($1.location.file, $1.location.document) }
        return (objects.enumerated().filter { !dropped.contains($0.offset) }.map(\.element), errors)
    }
}

extension MeshDecodeResult {
    /// The result with each object defined once; the other definitions become errors.
    public func withoutDuplicates() -> MeshDecodeResult {
        var result = self
        let resolved = DuplicateObjects.resolve(objects)
        result.objects = resolved.objects
        result.errors += resolved.errors
        return result
    }
}
