import MeshAPI

/// The last version of each Istio object that decoded and validated, so that an edit which makes an
/// object invalid does not take away what it was serving.
///
/// Without it, a VirtualService that served a canary split and is then edited into one with a bad RE2
/// regex or a negative weight would be left out of the mesh, and every proxy would lose its routes for
/// that host at once, although nothing but the edit was wrong. With it, proxies keep the last valid
/// version while status says the newest one is invalid and which version is still served. A deletion
/// is a deletion: an object that is gone is forgotten.
///
/// Cluster mode and file mode use it alike. A value type: the loop that compiles the mesh owns it.
public struct LastValidVersions: Sendable {
    /// One version of an object as it was served.
    public struct Version: Sendable {
        public var object: MeshObject
        public var validation: [ValidationFinding]
        /// `metadata.generation` where the API server sets one (cluster mode); nil in file mode.
        public var generation: Int64?
        /// Where the version was read (file mode); nil in cluster mode.
        public var location: SourceLocation?

        public init(object: MeshObject, validation: [ValidationFinding], generation: Int64? = nil, location: SourceLocation? = nil) {
            self.object = object
            self.validation = validation
            self.generation = generation
            self.location = location
        }

        /// "generation 4" or "the version read from mesh/vs.yaml:3", for messages.
        public var label: String {
            if let generation { return "generation \(generation)" }
            if let location { return "the version read from \(location.file)\(location.line.map { ":\($0)" } ?? "")" }
            return "its last valid version"
        }
    }

    /// What to serve for one object in one pass.
    public enum Resolution: Sendable {
        /// The current version is valid and is served.
        case current
        /// The current version is invalid; this earlier valid one is served instead.
        case lastValid(Version)
        /// The current version is invalid and no valid one was ever seen: nothing of it is served.
        case none
    }

    private var versions: [MeshObjectKey: Version] = [:]

    public init() {}

    /// How many objects have a remembered valid version.
    public var count: Int { versions.count }

    /// Decides what to serve for `key`: `current` (remembered when it is valid), else its last valid
    /// version. `current` is nil when the newest version did not even decode.
    public mutating func resolve(_ key: MeshObjectKey, current: Version?, isValid: Bool) -> Resolution {
        if isValid, let current {
            versions[key] = current
            return .current
        }
        return versions[key].map(Resolution.lastValid) ?? .none
    }

    /// Forgets every object not in `keys`: objects that were deleted serve nothing any more.
    public mutating func retain(only keys: Set<MeshObjectKey>) {
        guard versions.count != keys.count || versions.keys.contains(where: { !keys.contains($0) }) else { return }
        versions = versions.filter { keys.contains($0.key) }
    }

    /// An object whose newest version is invalid and whose last valid one is served in its place.
    public struct Replacement: Sendable {
        public var key: MeshObjectKey
        /// The newest version's errors, each `field.path: message`.
        public var errors: [String]
        public var served: Version
    }

    /// File mode's pass over every object in effect: each VirtualService, DestinationRule or Gateway
    /// that fails validation is replaced by its last valid version when there is one (else passed on,
    /// for the index to leave out); objects no longer in the folder are forgotten.
    public mutating func resolve(_ objects: [DecodedObject]) -> (objects: [DecodedObject], replaced: [Replacement]) {
        var result: [DecodedObject] = []
        result.reserveCapacity(objects.count)
        var replaced: [Replacement] = []
        var keys: Set<MeshObjectKey> = []
        for decoded in objects {
            let object = decoded.object
            guard WatchedKind.statusKinds.contains(object.kind) else {
                result.append(decoded)
                continue
            }
            let name = MeshSnapshot.key(object.metadata)
            let key = MeshObjectKey(kind: object.kind, namespace: name.namespace, name: name.name)
            keys.insert(key)
            let validation = MeshValidator.validate(object)
            let current = Version(object: object, validation: validation, location: decoded.location)
            switch resolve(key, current: current, isValid: validation.isValid) {
            case .current, .none:
                result.append(decoded)
            case .lastValid(let version):
                result.append(DecodedObject(object: version.object, location: version.location ?? decoded.location))
                let errors = validation.filter { $0.level == .error }.map { $0.fieldPath.isEmpty ? $0.message : "\($0.fieldPath): \($0.message)" }
                replaced.append(Replacement(key: key, errors: errors, served: version))
            }
        }
        retain(only: keys)
        return (result, replaced)
    }
}
