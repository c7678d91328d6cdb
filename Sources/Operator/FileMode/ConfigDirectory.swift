import Foundation
import MeshAPI

/// The mesh as a folder of Kubernetes-style YAML: what `coxswain run --config-dir`
/// serves when there is no cluster.
///
/// Each reload decodes only the files that changed since the last one (by inode,
/// size and modification time, so an editor's or `kubectl get -o yaml >`'s atomic
/// rename is seen). A file that fails to decode keeps serving what it last held when
/// it was good, and its errors are reported: one bad edit never takes down config
/// that other files, or the file's previous version, produced.
public struct ConfigDirectory: Sendable {
    /// What identifies a version of a file without reading it.
    struct FileStamp: Hashable, Sendable {
        var inode: UInt64
        var size: UInt64
        var modified: Date
    }

    /// One file's state: the stamp last read, the objects it last decoded cleanly,
    /// and the errors of its latest version (empty when that version was good).
    struct FileState: Sendable {
        var stamp: FileStamp
        var goodObjects: [DecodedObject]
        var errors: [MeshDecodingError]
        var notices: [MeshDecodingNotice]
    }

    /// The outcome of a reload.
    public struct Load: Sendable {
        /// Every object in effect, files in path order.
        public var objects: [DecodedObject]
        /// Errors of files whose latest version did not decode (their last good version is still served).
        public var errors: [MeshDecodingError]
        public var notices: [MeshDecodingNotice]
        /// Whether anything in effect changed since the previous reload.
        public var changed: Bool
        public var snapshot: MeshSnapshot { MeshSnapshot(decoded: objects) }
    }

    public let root: URL
    private var files: [String: FileState] = [:]
    private let decoder = MeshDocumentDecoder()

    public init(root: URL) {
        self.root = root
    }

    /// Re-reads what changed and returns everything now in effect.
    public mutating func reload() -> Load {
        var changed = false
        var seen: Set<String> = []
        let paths = Self.isDirectory(root) ? MeshDocumentDecoder.files(under: root).map(\.path) : [root.path]
        for path in paths {
            seen.insert(path)
            guard let stamp = Self.stamp(of: path) else { continue }
            if let state = files[path], state.stamp == stamp { continue }
            let result = decoder.decode(file: URL(fileURLWithPath: path))
            let previous = files[path]
            if result.errors.isEmpty {
                changed = changed || previous?.goodObjects != result.objects || previous?.errors.isEmpty == false
                files[path] = FileState(stamp: stamp, goodObjects: result.objects, errors: [], notices: result.notices)
            } else {
                changed = true
                files[path] = FileState(stamp: stamp, goodObjects: previous?.goodObjects ?? [], errors: result.errors, notices: result.notices)
            }
        }
        for path in files.keys where !seen.contains(path) {
            files[path] = nil
            changed = true
        }
        let ordered = files.keys.sorted().compactMap { files[$0] }
        return Load(
            objects: ordered.flatMap(\.goodObjects),
            errors: ordered.flatMap(\.errors),
            notices: ordered.flatMap(\.notices),
            changed: changed
        )
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func stamp(of path: String) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        let modified = attributes[.modificationDate] as? Date ?? .distantPast
        return FileStamp(inode: inode, size: size, modified: modified)
    }
}
