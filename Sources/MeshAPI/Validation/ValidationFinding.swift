/// One problem (or remark) found in a mesh object.
public struct ValidationFinding: Sendable, Hashable, CustomStringConvertible {
    public enum Level: String, Sendable, Hashable, Comparable {
        case error
        case warning
        case info

        private var rank: Int {
            switch self {
            case .error: 0
            case .warning: 1
            case .info: 2
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    public var level: Level
    public var kind: MeshKind
    public var namespace: String?
    public var name: String?
    /// e.g. `spec.http[0].route[1].weight`.
    public var fieldPath: String
    public var message: String

    public init(level: Level, kind: MeshKind, namespace: String?, name: String?, fieldPath: String, message: String) {
        self.level = level
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.fieldPath = fieldPath
        self.message = message
    }

    /// `error: VirtualService bookinfo/reviews: spec.http[0].route[1].weight: weight -5 must be non-negative`
    public var description: String {
        let object = [namespace, name].compactMap { $0 }.joined(separator: "/")
        return "\(level.rawValue): \(kind.rawValue) \(object): \(fieldPath.isEmpty ? "" : "\(fieldPath): ")\(message)"
    }
}

extension Array where Element == ValidationFinding {
    /// Whether no finding is an error (warnings and infos do not make an object invalid).
    public var isValid: Bool { !contains { $0.level == .error } }
    public var errors: [ValidationFinding] { filter { $0.level == .error } }
    public var warnings: [ValidationFinding] { filter { $0.level == .warning } }
}

/// Collects findings for one object while validators walk it.
struct FindingCollector {
    let kind: MeshKind
    let namespace: String?
    let name: String?
    private(set) var findings: [ValidationFinding] = []

    init(kind: MeshKind, namespace: String?, name: String?) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    mutating func error(_ path: String, _ message: String) {
        findings.append(.init(level: .error, kind: kind, namespace: namespace, name: name, fieldPath: path, message: message))
    }

    mutating func warning(_ path: String, _ message: String) {
        findings.append(.init(level: .warning, kind: kind, namespace: namespace, name: name, fieldPath: path, message: message))
    }

    mutating func info(_ path: String, _ message: String) {
        findings.append(.init(level: .info, kind: kind, namespace: namespace, name: name, fieldPath: path, message: message))
    }

    /// Reports `message` as an error when it is non-nil.
    mutating func error(_ path: String, ifPresent message: String?) {
        if let message { error(path, message) }
    }
}

/// Field path building: `path / "http" [0]`.
extension String {
    static func / (lhs: String, rhs: String) -> String { lhs.isEmpty ? rhs : lhs + "." + rhs }
    subscript(index index: Int) -> String { self + "[\(index)]" }
    /// A map entry: `labels["app"]`.
    subscript(key key: String) -> String { self + "[\"\(key)\"]" }
}
