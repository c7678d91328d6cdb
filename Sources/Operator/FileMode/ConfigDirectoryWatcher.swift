import Foundation
import Logging
import MeshAPI

/// Follows a config directory and yields a new load whenever what is in effect changes.
///
/// Where inotify is available every directory of the tree is watched (and the folders
/// that symlinked files point into), so an idle folder costs nothing however many files
/// it holds; a change triggers one reload, which stats the files and reads only those
/// whose stamps moved. Where inotify is not available, or its watch limit is reached,
/// or the folder itself is missing (nothing to watch until it is back), it polls every
/// `interval`. A file seen changing is read again once `settle` has passed, and taken
/// only if it stayed the same (see `ConfigDirectory`).
public struct ConfigDirectoryWatcher<C: Clock>: Sendable where C.Duration == Duration {
    public var directory: URL
    public var interval: Duration
    public var settle: Duration
    /// False to always poll (e.g. file systems that do not deliver inotify events, such as some network mounts).
    public var useInotify: Bool
    let clock: C
    let logger: Logger

    public init(directory: URL, interval: Duration = .milliseconds(250), settle: Duration = .milliseconds(500),
                useInotify: Bool = true, clock: C, logger: Logger = Logger(label: "coxswain.files")) {
        self.directory = directory
        self.interval = interval
        self.settle = settle
        self.useInotify = useInotify
        self.clock = clock
        self.logger = logger
    }

    /// The first load once every file has settled (or after ten settle times, at least 5 s,
    /// whichever comes first), then one per change, until the task is cancelled.
    public func loads() -> AsyncStream<ConfigDirectory.Load> {
        let (stream, continuation) = AsyncStream.makeStream(of: ConfigDirectory.Load.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task { [self] in
            await follow(into: continuation)
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func follow(into continuation: AsyncStream<ConfigDirectory.Load>.Continuation) async {
        var events: DirectoryEvents?
        if useInotify {
            do {
                events = try DirectoryEvents()
            } catch {
                logger.warning("watching the config folder by polling", metadata: ["reason": "\(error)", "interval": "\(interval)"])
            }
        }
        defer { events?.stop() }
        // One wake-up channel for inotify batches and timers alike.
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let forward = Task { [events] in
            guard let events else { return }
            for await _ in events.changes { wake.yield(()) }
        }
        defer { forward.cancel() }
        var iterator = wakes.makeAsyncIterator()
        var config = ConfigDirectory(root: directory, settle: settle)
        let start = clock.now
        var yieldedFirst = false
        var watching = events != nil
        var watched: Set<String> = []
        while !Task.isCancelled {
            let load = config.reload(at: start.duration(to: clock.now))
            var newlyWatched = false
            if let current = events, watching, !load.rootMissing {
                do {
                    try current.watch(load.directories)
                    // Files written into a new folder before its watch existed: read once more.
                    newlyWatched = !load.directories.isSubset(of: watched) && !watched.isEmpty
                    watched = load.directories
                } catch {
                    logger.warning("watching the config folder by polling", metadata: ["reason": "\(error)", "interval": "\(interval)"])
                    watching = false
                }
            }
            // The first load waits for every file to settle, but not forever: a file that
            // never stops changing must not keep the rest of the mesh from being served.
            let startupOver = start.duration(to: clock.now) >= max(settle * 10, .seconds(5))
            if yieldedFirst ? load.changed : (load.nextCheck == nil || startupOver) {
                continuation.yield(load)
                yieldedFirst = true
            }
            var wait = load.nextCheck.map { start.duration(to: clock.now) < $0 ? $0 - start.duration(to: clock.now) : .zero }
            if !watching || load.rootMissing { wait = min(wait ?? interval, interval) }
            if newlyWatched { wait = .zero }
            let timer = wait.map { delay in
                Task { [clock] in
                    try await clock.sleep(for: delay)
                    wake.yield(())
                }
            }
            guard await iterator.next() != nil else { break }
            timer?.cancel()
        }
    }
}

extension ConfigDirectoryWatcher where C == ContinuousClock {
    public init(directory: URL, interval: Duration = .milliseconds(250), settle: Duration = .milliseconds(500),
                useInotify: Bool = true, logger: Logger = Logger(label: "coxswain.files")) {
        self.init(directory: directory, interval: interval, settle: settle, useInotify: useInotify, clock: ContinuousClock(), logger: logger)
    }
}
