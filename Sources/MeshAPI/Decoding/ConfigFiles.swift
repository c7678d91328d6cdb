import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads config files and walks config directories the way users mean them, with
/// errors that say what is wrong with the path rather than a platform error code.
///
/// Kubernetes mounts a ConfigMap or Secret as `..2026_12_03_12_00_00.123/` holding the
/// files, a `..data` symlink to it, and one top-level symlink per key (`name -> ..data/name`);
/// an update writes a new timestamped folder and swaps `..data` with a rename. So entries
/// whose names start with a dot are never read (the `..` folders would be read twice, and
/// editors keep their temporary and swap files there), and symlinks, to files or to
/// folders, are followed: the top-level names are what the mount means.
public enum ConfigFiles {
    /// What a walk of a config directory found.
    public struct Tree: Sendable, Equatable {
        /// Config files (by name ending), in path order, as reached through the directory (not resolved).
        public var files: [URL] = []
        /// Every real directory the walk read, and the real folders holding the targets of
        /// symlinked files: what a watcher must watch to see every change.
        public var watchedDirectories: Set<String> = []
        /// Folders that could not be read (permission, symlink loop).
        public var errors: [MeshDecodingError] = []

        public init() {}
    }

    /// Walks `directory` recursively: names ending in `.yaml`, `.yml`, `.json`; dot-named
    /// entries skipped; symlinks followed, each real folder read once (a loop of folder
    /// symlinks ends there).
    public static func walk(_ directory: URL) -> Tree {
        var tree = Tree()
        var visited: Set<FileIdentity> = []
        walk(directory, into: &tree, visited: &visited)
        tree.files.sort { $0.path < $1.path }
        return tree
    }

    private static func walk(_ directory: URL, into tree: inout Tree, visited: inout Set<FileIdentity>) {
        var info = stat()
        guard stat(directory.path, &info) == 0 else {
            tree.errors.append(folderError(directory, message: describe(errno: errno, path: directory.path)))
            return
        }
        guard visited.insert(FileIdentity(info)).inserted else { return }
        tree.watchedDirectories.insert(realPath(directory.path) ?? directory.path)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            tree.errors.append(folderError(directory, message: "cannot list folder: \(describe(errno: errno == 0 ? EACCES : errno, path: directory.path))"))
            return
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            var entry = stat()
            let isConfigName = MeshDocumentDecoder.fileExtensions.contains(url.pathExtension.lowercased())
            guard stat(url.path, &entry) == 0 else {
                // A dangling or looping symlink named like a config file is reported when read.
                if isConfigName { tree.files.append(url) }
                continue
            }
            if (entry.st_mode & S_IFMT) == S_IFDIR {
                walk(url, into: &tree, visited: &visited)
            } else if isConfigName {
                tree.files.append(url)
                var link = stat()
                if lstat(url.path, &link) == 0, (link.st_mode & S_IFMT) == S_IFLNK, let target = realPath(url.path) {
                    tree.watchedDirectories.insert((target as NSString).deletingLastPathComponent)
                }
            }
        }
    }

    /// The bytes of one config file, or why they cannot be had. Opens without blocking (a
    /// FIFO or device never hangs a reload) and refuses anything but a regular file.
    public static func contents(of url: URL, maximumBytes: Int = MeshDocumentDecoder.maximumFileBytes) -> Result<Data, MeshDecodingError> {
        let path = url.path
        func failure(_ message: String) -> Result<Data, MeshDecodingError> {
            .failure(MeshDecodingError(location: .init(file: path, document: 0), fieldPath: "", message: message))
        }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return failure("cannot read file: \(describe(errno: errno, path: path))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return failure("cannot read file: \(describe(errno: errno, path: path))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return failure("cannot read file: it is \(kindDescription(info.st_mode)), not a regular file")
        }
        guard Int(info.st_size) <= maximumBytes else {
            return failure("file is larger than \(maximumBytes / 1024 / 1024) MiB")
        }
        var data = Data()
        data.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return failure("cannot read file: \(describe(errno: errno, path: path))")
            }
            if count == 0 { break }
            guard data.count + count <= maximumBytes else { return failure("file is larger than \(maximumBytes / 1024 / 1024) MiB") }
            data.append(contentsOf: chunk[0..<count])
        }
        return .success(data)
    }

    /// The text of a file's bytes, or an error at the first byte that is not UTF-8, with its line.
    public static func text(_ data: Data, source: String) -> Result<String, MeshDecodingError> {
        if let text = String(validating: data, as: UTF8.self) { return .success(text) }
        let bytes = [UInt8](data)
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        var line = 1
        var column = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1, encoded.first == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                offset += encoded.count
            case .error(let length):
                let shown = bytes[offset..<min(offset + length, bytes.count)].map { String(format: "0x%02X", $0) }.joined(separator: " ")
                return .failure(MeshDecodingError(
                    location: .init(file: source, document: 0, line: line), fieldPath: "",
                    message: "file is not UTF-8: byte \(shown) at offset \(offset) (line \(line), column \(column))"))
            case .emptyInput:
                return .success(String(decoding: data, as: UTF8.self))
            }
        }
    }

    /// Whether a path names a directory (following symlinks).
    public static func isDirectory(_ url: URL) -> Bool {
        var info = stat()
        return stat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Why a path cannot be used, in words: `errno` alone says "permission denied" for a FIFO
    /// and Foundation says "error 256" for a symlink loop.
    public static func describe(errno code: Int32, path: String) -> String {
        switch code {
        case ELOOP: return "symbolic link loop (too many levels of symbolic links)"
        case ENOENT:
            var link = stat()
            if lstat(path, &link) == 0, (link.st_mode & S_IFMT) == S_IFLNK {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                return "dangling symbolic link (its target \(target) does not exist)"
            }
            return "no such file or directory"
        case EACCES: return "permission denied"
        case ENOTDIR: return "a path component is not a directory"
        default: return String(cString: strerror(code))
        }
    }

    private static func kindDescription(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a directory"
        default: "a special file"
        }
    }

    private static func folderError(_ url: URL, message: String) -> MeshDecodingError {
        MeshDecodingError(location: .init(file: url.path, document: 0), fieldPath: "", message: message)
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A file's identity on its device, to read each real folder once.
    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }
}
