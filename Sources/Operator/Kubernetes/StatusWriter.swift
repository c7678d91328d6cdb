import Foundation
import KubernetesAPI
import KubernetesClient
import KubernetesRuntime
import Logging
import MeshAPI
import Metrics
import Synchronization
import Timekeeping
import XDSServer

/// Writes the status of VirtualServices, DestinationRules and Gateways; only the leader runs it.
///
/// A sweep compares every object's desired status (from the status board and the proxies'
/// acknowledgements) with what the object carries and queues only the ones that differ on their
/// kind's controller; its workers write them through the `status` subresource with the object's `resourceVersion`, re-reading on
/// a conflict. A status that would not change is never written, so writes cannot feed themselves.
public final class StatusWriter: Sendable {
    public let fieldManager: String
    private let client: KubernetesClient
    private let cache: ClusterCache
    private let board: StatusBoard
    private let snapshotCache: SnapshotCache
    private let registry: ProxyRegistry
    /// Workers per kind's controller.
    private let workers: Int
    private let resyncPeriod: Duration
    private let logger: Logger
    /// Times the count refresh and ticks the resync sweep, so tests move time instead of waiting for it.
    private let clock: ElapsedClock
    private let events: EventRecorder
    /// The other replicas' proxy reports (nil with one replica): their proxies count in `Programmed` too.
    private let reports: ReplicaReports?
    private let writes: Counter
    private let conflicts: Counter
    /// What this writer last wrote per object, and the resourceVersion it wrote over: while the cache
    /// still shows that version, the informer just has not caught up, and writing again would only conflict.
    private let lastWritten = Mutex<[MeshObjectKey: (over: String?, status: ObjectStatus, at: Duration)]>([:])
    /// A Programmed message whose only news is the proxy count ("11/12" → "12/12") is refreshed at most this
    /// often per object: proxies come and go all the time, and each would otherwise rewrite every object.
    public let countRefreshInterval: Duration

    public init(client: KubernetesClient, cache: ClusterCache, board: StatusBoard, snapshotCache: SnapshotCache, registry: ProxyRegistry,
                fieldManager: String = "coxswain", workers: Int = 4, resyncPeriod: Duration = .seconds(10),
                countRefreshInterval: Duration = .seconds(30), reports: ReplicaReports? = nil,
                logger: Logger = Logger(label: "coxswain.status"), clock: ElapsedClock = .continuous) {
        self.reports = reports
        self.client = client
        self.cache = cache
        self.board = board
        self.snapshotCache = snapshotCache
        self.registry = registry
        self.fieldManager = fieldManager
        self.workers = max(1, workers)
        self.resyncPeriod = resyncPeriod
        self.countRefreshInterval = countRefreshInterval
        self.logger = logger
        self.clock = clock
        events = EventRecorder(client: client, component: fieldManager)
        writes = Counter(label: "coxswain_status_writes_total")
        conflicts = Counter(label: "coxswain_status_conflicts_total")
    }

    /// Writes status until the task is cancelled (the end of a leadership term).
    ///
    /// One controller per kind (`virtualservice-status`, `destinationrule-status`, `gateway-status`),
    /// keyed by namespace/name. Each is triggered by its own kind's changes (its status included, e.g.
    /// overwritten by someone else) and by the sweep, which maps everything else — a compile pass that
    /// re-evaluated objects after a Service, EndpointSlice, Pod, Secret or DestinationRule changed, a
    /// publication, an acknowledgement — to the objects whose status is no longer what it should be.
    public func run() async {
        let (signal, trigger) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let published = await snapshotCache.subscribe()
        let proxyChanges = await registry.changes()
        var controllers: [MeshKind: Controller] = [:]
        for kind in WatchedKind.statusKinds {
            let primaries = cache.informers(kind).map { Trigger.watch($0, shared: true) }
            controllers[kind] = Controller(name: "\(kind.rawValue.lowercased())-status", workers: workers, triggers: primaries,
                                           logger: logger) { key in
                guard !Task.isCancelled else { return .done }
                do {
                    try await self.reconcile(MeshObjectKey(kind: kind, namespace: key.namespace ?? "", name: key.name))
                } catch is CancellationError {
                    // The term ended mid-write; the next leader writes it.
                }
                return .done
            }
        }
        let queues = controllers.mapValues(\.queue)
        await withTaskGroup(of: Void.self) { group in
            for controller in controllers.values {
                group.addTask { try? await controller.run() }
            }
            ProgressSignals.feed(&group, into: trigger, board: board, published: published.changes, proxyChanges: proxyChanges, tick: resyncPeriod, on: clock)
            if let reports = self.reports {
                group.addTask { await reports.informer.run() }
                group.addTask { for await _ in reports.informer.subscribe(bufferingPolicy: .bufferingNewest(1)) { trigger.yield() } }
            }
            group.addTask {
                for await _ in signal { await self.sweep(into: queues) }
            }
            // Every child ends when the term's task is cancelled (streams, queues and sleeps all honour it).
            await group.waitForAll()
        }
        await snapshotCache.unsubscribe(published.id)
    }

    /// Queues, on its kind's controller, every object whose status is not what it should be.
    func sweep(into queues: [MeshKind: WorkQueue<ObjectKey>]) async {
        guard board.passes > 0 else { return }
        var programmed = await ProgrammedLookup(snapshotCache: snapshotCache, registry: registry, others: reports?.others() ?? [])
        let now = StatusComputer.timestamp()
        for (kind, queue) in queues {
            for object in cache.objects(kind) {
                let key = MeshObjectKey(kind: kind, namespace: object.metadata.namespace ?? "", name: object.metadata.name ?? "")
                if await statusToWrite(key, object: object, programmed: &programmed, now: now) != nil {
                    await queue.add(ObjectKey(namespace: key.namespace.isEmpty ? nil : key.namespace, name: key.name))
                }
            }
        }
    }

    /// The object's status now and the one to write, or nil when nothing should be written: the pass has
    /// not seen this generation yet, a push or acknowledgement is about to land (writing "Pending" now would
    /// be overwritten a moment later; the publication or the ACK triggers the next sweep), or nothing changed.
    private func statusToWrite(_ key: MeshObjectKey, object: UnstructuredObject, programmed: inout ProgrammedLookup,
                               now: String) async -> (current: ObjectStatus?, desired: ObjectStatus)? {
        guard let entry = board.entry(key), entry.evaluation.generation == (object.metadata.generation ?? 0) else { return nil }
        let state = await programmed.state(of: key, entry)
        if entry.evaluation.isAccepted, await programmed.isSettling(entry.cacheGeneration, state) { return nil }
        let current = ObjectStatus(json: object.object["status"])
        let desired = StatusComputer.desired(entry.evaluation, programmed: state, current: current, now: now)
        return needsWrite(key, object: object, current: current, desired: desired) ? (current, desired) : nil
    }

    /// Whether `desired` should be written over `current`: it differs, this writer's last write of it is not
    /// merely still on its way to the cache, and it is not a count-only refresh that came too soon.
    private func needsWrite(_ key: MeshObjectKey, object: UnstructuredObject, current: ObjectStatus?, desired: ObjectStatus) -> Bool {
        guard desired != current else { return false }
        guard let written = lastWritten.withLock({ $0[key] }) else { return true }
        if written.status == desired && written.over == object.metadata.resourceVersion { return false }
        if let current, Self.onlyProxyCountDiffers(current, desired), clock.now - written.at < countRefreshInterval { return false }
        return true
    }

    static func onlyProxyCountDiffers(_ current: ObjectStatus, _ desired: ObjectStatus) -> Bool {
        var current = current
        current.conditions = current.conditions.map { condition in
            guard condition.type == StatusComputer.programmed, let replacement = desired.condition(StatusComputer.programmed),
                  replacement.status == condition.status, replacement.reason == condition.reason else { return condition }
            var copy = condition
            copy.message = replacement.message
            return copy
        }
        return current == desired
    }

    /// Writes one object's status if it differs, re-reading the object on a conflict.
    func reconcile(_ key: MeshObjectKey) async throws {
        guard let kind = WatchedKind.all.first(where: { $0.mesh == key.kind }),
              var object = cache.object(key.kind, ObjectKey(namespace: key.namespace, name: key.name)) else { return }
        let resource = client.unstructured(kind.resource)
        var fresh = false
        try await retryOnConflict {
            if fresh {
                object = try await resource.get(key.name, namespace: key.namespace)
            }
            fresh = true
            var programmed = await ProgrammedLookup(snapshotCache: snapshotCache, registry: registry, others: reports?.others() ?? [])
            guard let (current, desired) = await statusToWrite(key, object: object, programmed: &programmed, now: StatusComputer.timestamp())
            else { return }
            var updated = object
            updated.object["status"] = try desired.json
            do {
                _ = try await resource.updateStatus(updated, fieldManager: fieldManager)
            } catch let error as KubernetesError where error.isConflict {
                conflicts.increment()
                throw error
            } catch let error as KubernetesError where error.isNotFound {
                return
            }
            writes.increment()
            lastWritten.withLock { $0[key] = (object.metadata.resourceVersion, desired, clock.now) }
            logChange(key, from: current, to: desired)
            await recordEvents(object, kind: kind, from: current, to: desired)
        }
    }

    /// A Warning event (for `kubectl describe`) when a condition turns False.
    private func recordEvents(_ object: UnstructuredObject, kind: WatchedKind, from current: ObjectStatus?, to desired: ObjectStatus) async {
        for condition in desired.conditions where condition.status == "False" && current?.condition(condition.type)?.status != "False" {
            // Pending is transient; Programmed=False for an invalid object repeats Accepted's event.
            guard condition.reason != "Pending", !(condition.type == StatusComputer.programmed && condition.reason == "Invalid") else { continue }
            let reference = CoreEvent.ObjectReference(apiVersion: kind.resource.apiVersion, kind: kind.resource.kind,
                                                      namespace: object.metadata.namespace, name: object.metadata.name, uid: object.metadata.uid)
            await events.record(reference, type: "Warning", reason: condition.reason, message: "\(condition.type): \(condition.message)")
        }
    }

    private func logChange(_ key: MeshObjectKey, from current: ObjectStatus?, to desired: ObjectStatus) {
        let summary = desired.conditions.map { "\($0.type)=\($0.status)" }.joined(separator: ",")
        var metadata = key.logMetadata.merging(["generation": "\(desired.observedGeneration ?? 0)", "conditions": "\(summary)"]) { $1 }
        if let accepted = desired.condition(StatusComputer.accepted), accepted.status == "False" { metadata["error"] = "\(accepted.message)" }
        let statusChanged = current?.conditions.map { "\($0.type)=\($0.status)" } != desired.conditions.map { "\($0.type)=\($0.status)" }
        if statusChanged { logger.info("status written", metadata: metadata) } else { logger.debug("status written", metadata: metadata) }
    }
}

/// Answers "have the proxies got cache generation N" once per distinct N during one sweep.
struct ProgrammedLookup {
    /// How long after a publication proxies that have not acknowledged it yet count as settling, not pending.
    static let settlingTime: Duration = .seconds(5)
    private let current: UInt64
    private let registry: ProxyRegistry
    private let snapshotCache: SnapshotCache
    /// The other replicas' reports, read once per sweep.
    private let others: [ProxyReport]
    private var answers: [UInt64: ProgrammedState] = [:]

    init(snapshotCache: SnapshotCache, registry: ProxyRegistry, others: [ProxyReport] = []) async {
        current = await snapshotCache.generation
        self.registry = registry
        self.snapshotCache = snapshotCache
        self.others = others
    }

    /// An object's state over the proxies of every replica: this one's, plus the others' reports.
    mutating func state(of key: MeshObjectKey, _ entry: StatusBoard.Entry) async -> ProgrammedState {
        ProxyReport.merge(await state(entry.cacheGeneration), key: key, generation: entry.evaluation.generation, reports: others)
    }

    /// Not programmed yet, but about to be: not published yet, or published moments ago and not
    /// acknowledged by everyone (without a rejection).
    func isSettling(_ generation: UInt64, _ state: ProgrammedState) async -> Bool {
        switch state {
        case .waitingForPush: return true
        case .pushed(let synced, let total) where synced < total:
            guard let published = await snapshotCache.publicationTime(of: generation) else { return false }
            return ContinuousClock.now - published < Self.settlingTime
        default: return false
        }
    }

    mutating func state(_ generation: UInt64) async -> ProgrammedState {
        if let known = answers[generation] { return known }
        let answer: ProgrammedState
        if current < generation {
            answer = .waitingForPush
        } else {
            let result = await registry.upToDate(generation: generation)
            if let nack = result.firstNack {
                answer = .rejected(synced: result.synced, total: result.total, error: nack.message)
            } else {
                answer = .pushed(synced: result.synced, total: result.total)
            }
        }
        answers[generation] = answer
        return answer
    }
}
