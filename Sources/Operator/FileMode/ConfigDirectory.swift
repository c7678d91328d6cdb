import Crypto
import Foundation
import MeshAPI
#if canImport(Glibc)
import Glibc
#endif

/// The mesh as a folder of Kubernetes-style YAML: what `coxswain run --config-dir`
/// serves when there is no cluster.
///
/// Nothing transient reaches proxies:
/// - A file's new content is taken only once it has stayed the same (by SHA-256 of its
///   bytes) for `settle`, and parses: a half-written file or an editor's
///   truncate-then-write is never served. Stamps (inode, size, mtime, ctime) only say
///   which files to read again; a `touch` that leaves the bytes alone changes nothing,
///   and a `chmod` back to readable is seen (ctime).
/// - A file that does not decode, cannot be read, or holds no documents at all keeps
///   serving what it last held when it was good, and is reported. An empty `kind: List`
///   says "no objects" on purpose.
/// - A deleted file takes its objects away once it has been gone for `settle`, but only
///   while the folder still holds other config files: a folder that is missing or holds
///   none (an unmounted volume, a ConfigMap being swapped) keeps everything and is reported.
/// - The same object in two files is an error naming both; the one that was serving
///   first keeps serving (at start, the first in path order).
/// - ConfigMap mounts: dot-named entries (`..data`, `..2026_…`) are skipped and the
///   top-level symlinks followed (see `ConfigFiles.walk`).
public struct ConfigDirectory: Sendable {
    /// What says a file may have changed, without reading it.
    struct FileStamp: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: [Int]
        var changed: [Int]
    }

    /// A version of a file seen but not yet taken: it must stay the same for `settle`.
    struct Pending: Sendable {
        /// The content's hash, or nil when the file is gone.
        var digest: SHA256.Digest?
        var since: Duration
    }

    /// One file's state.
    struct FileState: Sendable {
        var stamp: FileStamp?
        /// The hash of the content last taken (decoded), good or not.
        var digest: SHA256.Digest?
        /// The objects of the last version that decoded cleanly: what the file serves.
        var served: [DecodedObject] = []
        var errors: [MeshDecodingError] = []
        var warnings: [MeshDecodingWarning] = []
        var notices: [MeshDecodingNotice] = []
        var pending: Pending?
    }

    /// The outcome of a reload.
    public struct Load: Sendable {
        /// Every object in effect, files in path order, each object once.
        public var objects: [DecodedObject]
        /// Errors of files whose latest version is not served (their last good version is),
        /// duplicates, and problems with the folder itself.
        public var errors: [MeshDecodingError]
        public var warnings: [MeshDecodingWarning]
        public var notices: [MeshDecodingNotice]
        /// Whether anything in effect (objects or reported problems) changed since the previous reload.
        public var changed: Bool
        /// When (on the reload clock) a file seen changing must be read again to be taken; nil when nothing waits.
        public var nextCheck: Duration?
        /// Whether the folder itself is missing (a watcher must poll until it is back).
        public var rootMissing: Bool
        /// Directories to watch for changes.
        public var directories: Set<String>
        public var snapshot: MeshSnapshot { MeshSnapshot(decoded: objects) }
    }

    public let root: URL
    /// How long a changed file must stay the same before it is taken.
    public let settle: Duration
    private var files: [String: FileState] = [:]
    /// Which file serves each object, so a duplicate elsewhere never takes over.
    private var owners: [DuplicateObjects.Key: String] = [:]
    /// The last load and the folder problems it was made with: when no file's state moved,
    /// it is returned again instead of re-resolving and comparing every object.
    private var previous: (load: Load, folderErrors: [MeshDecodingError])?
    /// Whether a file's taken state changed (or a file went) since `previous` was made.
    private var filesChanged = true
    private let decoder = MeshDocumentDecoder()

    public init(root: URL, settle: Duration = .milliseconds(500)) {
        self.root = root
        self.settle = settle
    }

    /// Re-reads what may have changed and returns everything now in effect. `now` is any
    /// monotonic time (the watcher's clock since it started); it only measures `settle`.
    public mutating func reload(at now: Duration = .zero) -> Load {
        var folderErrors: [MeshDecodingError] = []
        var nextCheck: Duration?
        func check(at time: Duration) { nextCheck = min(nextCheck ?? time, time) }
        let rootIsDirectory = ConfigFiles.isDirectory(root)
        var tree = ConfigFiles.Tree()
        var rootMissing = false
        if rootIsDirectory {
            tree = ConfigFiles.walk(root)
            folderErrors += tree.errors
        } else if FileManager.default.fileExists(atPath: root.path) {
            tree.files = [root]
            tree.watchedDirectories = [root.deletingLastPathComponent().path]
        } else {
            rootMissing = true
        }
        let paths = tree.files.map { $0.path }
        let held = files.values.filter { !$0.served.isEmpty }.count
        if rootMissing || (paths.isEmpty && held > 0) {
            // Missing or emptied as a whole: a volume unmounted or being swapped, never an intent.
            let what = rootMissing ? "is missing (\(ConfigFiles.describe(errno: ENOENT, path: root.path)))" : "holds no config files"
            folderErrors.append(MeshDecodingError(
                location: .init(file: root.path, document: 0), fieldPath: "",
                message: "config folder \(what); the last good objects of \(held) files are still served"))
            for path in files.keys { files[path]?.pending = nil }
            return finish(folderErrors: folderErrors, nextCheck: nil, rootMissing: rootMissing, directories: tree.watchedDirectories)
        }

        for path in paths {
            var state = files[path] ?? FileState()
            let stamp = Self.stamp(of: path)
            if state.stamp == stamp, stamp != nil, state.pending == nil {
                continue
            }
            state.stamp = stamp
            switch ConfigFiles.contents(of: URL(fileURLWithPath: path)) {
            case .failure(let error):
                // Unreadable now (permission, a loop, a FIFO): keep what it served; its stamp
                // (ctime) changes when that is fixed.
                if state.errors != [error] || state.digest != nil { filesChanged = true }
                state.pending = nil
                state.errors = [error]
                state.warnings = []
                state.notices = []
                state.digest = nil
            case .success(let data):
                let digest = SHA256.hash(data: data)
                if digest == state.digest, state.digest != nil {
                    state.pending = nil
                } else if settle > .zero, state.pending?.digest != digest {
                    state.pending = Pending(digest: digest, since: now)
                    check(at: now + settle)
                } else if let pending = state.pending, now - pending.since < settle {
                    check(at: pending.since + settle)
                } else {
                    take(data, digest: digest, path: path, into: &state)
                    filesChanged = true
                }
            }
            files[path] = state
        }

        let present = Set(paths)
        for (path, state) in files where !present.contains(path) {
            if let pending = state.pending, pending.digest == nil {
                if now - pending.since >= settle {
                    files[path] = nil
                    filesChanged = true
                } else {
                    check(at: pending.since + settle)
                }
            } else if settle > .zero {
                files[path]?.pending = Pending(digest: nil, since: now)
                check(at: now + settle)
            } else {
                files[path] = nil
                filesChanged = true
            }
        }
        return finish(folderErrors: folderErrors, nextCheck: nextCheck, rootMissing: false, directories: tree.watchedDirectories)
    }

    /// Decodes a settled version of a file and makes it the file's state.
    private func take(_ data: Data, digest: SHA256.Digest, path: String, into state: inout FileState) {
        let result = decoder.decode(data: data, source: path)
        state.pending = nil
        state.digest = digest
        state.warnings = result.warnings
        state.notices = result.notices
        if !result.errors.isEmpty {
            state.errors = result.errors
        } else if result.objects.isEmpty, result.notices.isEmpty, result.warnings.isEmpty, !Self.isExplicitlyEmpty(data), !state.served.isEmpty {
            // An emptied file is far more often a truncation in progress or a failed write than a wish.
            state.errors = [MeshDecodingError(
                location: .init(file: path, document: 0), fieldPath: "",
                message: "file holds no documents; its last good objects (\(state.served.count)) are still served — delete the file, or write an empty kind: List, to remove them")]
        } else {
            state.errors = []
            state.served = result.objects
        }
    }

    /// Whether the file says "no objects" on purpose: it holds a document (an empty `List`).
    private static func isExplicitlyEmpty(_ data: Data) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n").contains { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("kind:") && trimmed.contains("List")
        }
    }

    /// Puts the files together: objects in path order, each once; every problem.
    private mutating func finish(folderErrors: [MeshDecodingError], nextCheck: Duration?, rootMissing: Bool, directories: Set<String>) -> Load {
        if !filesChanged, let previous, previous.folderErrors == folderErrors {
            var load = previous.load
            load.changed = false
            load.nextCheck = nextCheck
            load.rootMissing = rootMissing
            load.directories = directories
            return load
        }
        let ordered = files.keys.sorted().compactMap { files[$0] }
        let resolved = DuplicateObjects.resolve(ordered.flatMap(\.served), serving: owners)
        owners = Dictionary(resolved.objects.map { (DuplicateObjects.Key($0.object), $0.location.file) }, uniquingKeysWith: { first, _ in first })
        let errors = folderErrors + ordered.flatMap(\.errors) + resolved.errors
        let warnings = ordered.flatMap(\.warnings)
        let changed = previous.map { $0.load.objects != resolved.objects || $0.load.errors != errors || $0.load.warnings != warnings } ?? true
        let load = Load(objects: resolved.objects, errors: errors, warnings: warnings, notices: ordered.flatMap(\.notices),
                        changed: changed, nextCheck: nextCheck, rootMissing: rootMissing, directories: directories)
        previous = (load, folderErrors)
        filesChanged = false
        return load
    }

    static func stamp(of path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                         modified: [info.st_mtim.tv_sec, info.st_mtim.tv_nsec], changed: [info.st_ctim.tv_sec, info.st_ctim.tv_nsec])
    }
}
