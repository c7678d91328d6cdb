import Foundation
import MeshAPI

/// Polls a config directory and yields a new load whenever what it holds changes.
///
/// Polling (rather than inotify) works the same on every file system, container
/// volume and ConfigMap mount (whose updates are symlink swaps); a change costs one
/// `stat` per file per interval, and only changed files are decoded again.
public struct ConfigDirectoryWatcher: Sendable {
    public var directory: URL
    public var interval: Duration

    public init(directory: URL, interval: Duration = .milliseconds(250)) {
        self.directory = directory
        self.interval = interval
    }

    /// The first load, then one per change, until the task is cancelled.
    public func loads() -> AsyncStream<ConfigDirectory.Load> {
        let (stream, continuation) = AsyncStream.makeStream(of: ConfigDirectory.Load.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task { [directory, interval] in
            var config = ConfigDirectory(root: directory)
            continuation.yield(config.reload())
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                let load = config.reload()
                if load.changed { continuation.yield(load) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
