import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Change notifications for a set of directories from Linux inotify, so an idle config
/// folder costs nothing (polling 10,000 files costs a core's worth of `stat`s).
///
/// inotify reports events on a file descriptor; a dedicated thread blocks in `poll(2)`
/// on it (never a cooperative-pool thread) and turns every batch of events into one
/// `changed` signal. Which file changed does not matter: the reload that follows stats
/// every file and reads only those whose stamps moved. Stopping writes to a pipe the
/// thread also polls.
final class DirectoryEvents: Sendable {
    /// Why watching is not possible; the caller falls back to polling.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    private let inotify: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// One element per batch of events.
    let changes: AsyncStream<Void>

    init() throws(Unavailable) {
        #if canImport(Glibc)
        let descriptor = inotify_init1(Int32(IN_CLOEXEC) | Int32(IN_NONBLOCK))
        guard descriptor >= 0 else { throw Unavailable(description: "inotify_init1: \(String(cString: strerror(errno)))") }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            close(descriptor)
            throw Unavailable(description: "pipe: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        inotify = descriptor
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        changes = stream
        let thread = Thread { [inotify, wakeRead] in
            Self.readEvents(inotify: inotify, wake: wakeRead, continuation: continuation)
        }
        thread.name = "coxswain-inotify"
        thread.start()
        #else
        throw Unavailable(description: "inotify is Linux-only")
        #endif
    }

    /// Watches each directory (idempotent: a directory already watched keeps its watch).
    /// Throws when the kernel's watch limit is reached or a directory cannot be watched.
    func watch(_ directories: Set<String>) throws(Unavailable) {
        #if canImport(Glibc)
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO
            | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
        for directory in directories.sorted() where inotify_add_watch(inotify, directory, mask) < 0 {
            let code = errno
            // A folder removed since the walk is seen as a change anyway.
            if code == ENOENT || code == ENOTDIR { continue }
            let reason = code == ENOSPC ? "the inotify watch limit (fs.inotify.max_user_watches) is reached" : String(cString: strerror(code))
            throw Unavailable(description: "cannot watch \(directory): \(reason)")
        }
        #endif
    }

    /// Ends the reading thread; the stream finishes.
    func stop() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    #if canImport(Glibc)
    private static func readEvents(inotify: Int32, wake: Int32, continuation: AsyncStream<Void>.Continuation) {
        defer {
            continuation.finish()
            close(inotify)
            close(wake)
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var descriptors = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if descriptors[1].revents != 0 { return }
            guard descriptors[0].revents != 0 else { continue }
            // Drain everything queued: one signal per batch.
            var sawEvents = false
            while true {
                let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
                if count > 0 {
                    sawEvents = true
                    continue
                }
                if count < 0, errno == EINTR { continue }
                break
            }
            if sawEvents { continuation.yield(()) }
        }
    }
    #endif

    deinit {
        close(wakeWrite)
    }
}
