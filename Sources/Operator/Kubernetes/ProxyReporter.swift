import Foundation
import KubernetesAPI
import KubernetesClient
import KubernetesRuntime
import Logging
import ServiceLifecycle
import Synchronization
import Timekeeping
import XDSServer

/// Every replica's side of cross-replica `Programmed` counts: keeps this replica's `ProxyReport`
/// up to date in its ConfigMap, at most once per `interval`, and at least every `heartbeat` (so a
/// replica that is gone can be told from one with nothing new to say). On shutdown the report is
/// deleted: its proxies reconnect to the other replicas.
public final class ProxyReporter: ServiceLifecycle.Service, Sendable {
    public let identity: String
    public let namespace: String
    private let client: KubernetesClient
    private let board: StatusBoard
    private let snapshotCache: SnapshotCache
    private let registry: ProxyRegistry
    private let interval: Duration
    private let heartbeat: Duration
    private let logger: Logger
    /// Times the heartbeat and the pause between writes, so tests move time instead of waiting for it.
    private let clock: ElapsedClock

    public init(client: KubernetesClient, namespace: String, identity: String, board: StatusBoard, snapshotCache: SnapshotCache,
                registry: ProxyRegistry, interval: Duration = .seconds(1), heartbeat: Duration = .seconds(20),
                logger: Logger = Logger(label: "coxswain.proxy-report"), clock: ElapsedClock = .continuous) {
        self.client = client
        self.namespace = namespace
        self.identity = identity
        self.board = board
        self.snapshotCache = snapshotCache
        self.registry = registry
        self.interval = interval
        self.heartbeat = heartbeat
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.report() }
        // Bounded: an API server that does not answer must not hold up the exit.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.client.unstructured(.configMap).delete(ProxyReport.configMapName(for: self.identity), namespace: self.namespace) }
            group.addTask { try? await Task.sleep(for: .seconds(2)) }
            await group.next()
            group.cancelAll()
        }
    }

    private func report() async {
        let (signal, trigger) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let published = await snapshotCache.subscribe()
        let proxyChanges = await registry.changes()
        await withTaskGroup(of: Void.self) { group in
            ProgressSignals.feed(&group, into: trigger, board: board, published: published.changes, proxyChanges: proxyChanges, tick: heartbeat, on: clock)
            group.addTask {
                var written: (report: ProxyReport, object: UnstructuredObject?, at: Duration)?
                for await _ in signal {
                    guard self.board.passes > 0 else { continue }
                    var report = await self.current()
                    if let written, written.report.proxies == report.proxies, written.report.objects == report.objects,
                       written.report.nacks == report.nacks, self.clock.now - written.at < self.heartbeat {
                        continue
                    }
                    report.renewed = Date()
                    do {
                        let object = try await self.write(report, over: written?.object)
                        written = (report, object, self.clock.now)
                    } catch is CancellationError {
                        return
                    } catch {
                        written = nil
                        self.logger.warning("could not write this replica's proxy report", metadata: ["error": "\(error)"])
                    }
                    try? await self.clock.sleep(for: self.interval)
                }
            }
            await group.next()
            group.cancelAll()
        }
        await snapshotCache.unsubscribe(published.id)
    }

    /// This replica's progress on every object the last pass evaluated.
    func current() async -> ProxyReport {
        let entries = board.entries
        let published = await snapshotCache.generation
        var states: [UInt64: (synced: Int, total: Int, firstNack: ProxyRegistry.Nack?)] = [:]
        var report = ProxyReport(replica: identity, proxies: await registry.connectedCount, renewed: Date())
        for (key, entry) in entries {
            let state: (synced: Int, total: Int, firstNack: ProxyRegistry.Nack?)
            if let known = states[entry.cacheGeneration] {
                state = known
            } else if entry.cacheGeneration > published {
                state = (0, report.proxies, nil)
                states[entry.cacheGeneration] = state
            } else {
                state = await registry.upToDate(generation: entry.cacheGeneration)
                states[entry.cacheGeneration] = state
            }
            report.record(key, generation: entry.evaluation.generation, synced: state.synced, nack: state.firstNack?.message)
        }
        return report
    }

    /// Creates or replaces the ConfigMap; `previous` is what the last write returned.
    private func write(_ report: ProxyReport, over previous: UnstructuredObject?) async throws -> UnstructuredObject {
        let configMaps = client.unstructured(.configMap)
        var object = try UnstructuredObject(try report.configMap(namespace: namespace))
        let name = ProxyReport.configMapName(for: identity)
        var existing = previous
        for _ in 0..<3 {
            if let existing {
                object.metadata.resourceVersion = existing.metadata.resourceVersion
                do {
                    return try await configMaps.update(object)
                } catch let error as KubernetesError where error.isConflict || error.isNotFound {
                    // Someone else wrote it, or it was deleted: read it again.
                }
            }
            do {
                existing = try await configMaps.get(name, namespace: namespace)
            } catch let error as KubernetesError where error.isNotFound {
                object.metadata.resourceVersion = nil
                do {
                    return try await configMaps.create(object, namespace: namespace)
                } catch let error as KubernetesError where error.isConflict || error.status?.code == 409 {
                    existing = try await configMaps.get(name, namespace: namespace)
                }
            }
        }
        throw KubernetesError.configuration("the proxy report \(namespace)/\(name) kept changing under this replica")
    }
}

/// The leader's side: the other replicas' reports, from a watch on their ConfigMaps, decoded once
/// per version and ignored once older than `ttl` (a replica that died without deleting its own).
public final class ReplicaReports: Sendable {
    public let informer: Informer<UnstructuredObject>
    private let identity: String
    private let ttl: TimeInterval
    private let decoded = Mutex<[String: (resourceVersion: String?, report: ProxyReport?)]>([:])

    public init(client: KubernetesClient, namespace: String, identity: String, ttl: Duration = .seconds(60)) {
        informer = Informer(client: client.unstructured(.configMap), namespace: namespace, labelSelector: "\(ProxyReport.label)=true",
                            logger: Logger(label: "coxswain.proxy-report"))
        self.identity = identity
        self.ttl = max(1, TimeInterval(ttl.components.seconds))
    }

    /// Reports of the other replicas that are alive.
    public func others(now: Date = Date()) -> [ProxyReport] {
        let objects = informer.store.all
        return decoded.withLock { cache in
            var reports: [ProxyReport] = []
            var seen: Set<String> = []
            for object in objects {
                let name = object.metadata.name ?? ""
                seen.insert(name)
                let report: ProxyReport?
                if let cached = cache[name], cached.resourceVersion == object.metadata.resourceVersion {
                    report = cached.report
                } else {
                    report = ProxyReport(configMap: object)
                    cache[name] = (object.metadata.resourceVersion, report)
                }
                if let report, report.replica != identity, now.timeIntervalSince(report.renewed) < ttl { reports.append(report) }
            }
            cache = cache.filter { seen.contains($0.key) }
            return reports.sorted { $0.replica < $1.replica }
        }
    }
}
