import Foundation
import KubernetesAPI
import KubernetesClient
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import Timekeeping

/// Leader election settings; the defaults are client-go's.
public struct LeaderElectionConfiguration: Sendable {
    public var leaseName: String
    public var namespace: String
    /// Unique per process (e.g. pod name + random suffix).
    public var identity: String
    /// How long followers wait after the last observed change before taking over.
    public var leaseDuration: Duration = .seconds(15)
    /// How long the leader keeps trying to renew before it gives up leadership. Must be < leaseDuration.
    public var renewDeadline: Duration = .seconds(10)
    /// Pause between attempts.
    public var retryPeriod: Duration = .seconds(2)
    /// Clear the lease on graceful stop so a successor need not wait for it to expire.
    public var releaseOnCancel = true

    public init(leaseName: String, namespace: String, identity: String) {
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
    }
}

/// client-go's leader election on a coordination.k8s.io/v1 Lease: every write carries the
/// resourceVersion read just before, so two candidates can never both win the same round; a
/// follower takes over only after seeing the lease unchanged for `leaseDuration`, and a leader
/// steps down once it could not renew within `renewDeadline` (< leaseDuration), so their terms never overlap.
public final class LeaderElector: Service, Sendable {
    public let configuration: LeaderElectionConfiguration
    private let leases: ResourceClient<Lease>
    private let logger: Logger
    private let statusGauge: Gauge
    /// Every elapsed-time decision (observed time, renew deadline) and every sleep goes through it,
    /// so tests move time instead of waiting; the Lease's wall stamps stay `Date()`.
    private let clock: ElapsedClock

    private struct State {
        var isLeader = false
        var observedSpec: LeaseSpec?
        /// When `observedSpec` last changed, on `clock`.
        var observedTime: Duration = .zero
        var subscribers: [Int: AsyncStream<Bool>.Continuation] = [:]
        var nextID = 0
    }
    private let state = Mutex(State())

    public init(client: KubernetesClient, configuration: LeaderElectionConfiguration, logger: Logger = Logger(label: "coxswain.leader-election"), clock: ElapsedClock = .continuous) {
        precondition(configuration.renewDeadline < configuration.leaseDuration, "renewDeadline must be shorter than leaseDuration")
        precondition(configuration.retryPeriod < configuration.renewDeadline, "retryPeriod must be shorter than renewDeadline")
        self.configuration = configuration
        self.clock = clock
        self.leases = client.resource(Lease.self, .lease)
        var logger = logger
        logger[metadataKey: "identity"] = "\(configuration.identity)"
        logger[metadataKey: "lease"] = "\(configuration.namespace)/\(configuration.leaseName)"
        self.logger = logger
        statusGauge = Gauge(label: "leader_election_master_status", dimensions: [("name", configuration.leaseName)])
        statusGauge.record(0)
    }

    public var isLeader: Bool { state.withLock { $0.isLeader } }

    /// The current leadership (first element) and every change after it.
    public func leadership() -> AsyncStream<Bool> {
        let (stream, continuation) = AsyncStream<Bool>.makeStream(bufferingPolicy: .unbounded)
        let id = state.withLock { state in
            continuation.yield(state.isLeader)
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    private func setLeader(_ leader: Bool) {
        let changed = state.withLock { state -> Bool in
            guard state.isLeader != leader else { return false }
            state.isLeader = leader
            for continuation in state.subscribers.values { continuation.yield(leader) }
            return true
        }
        // Stopping a candidate that was not leading is no change of leadership to log.
        guard changed else { return }
        statusGauge.record(leader ? 1 : 0)
        logger.info(leader ? "became leader" : "stopped leading")
    }

    /// Campaigns, leads, and campaigns again after losing the lease, until cancelled or gracefully shut down.
    /// `whileLeading` runs for each term and is cancelled the moment the term ends.
    public func run(whileLeading: @escaping @Sendable () async -> Void) async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard await self.acquire() else { break }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await whileLeading() }
                    await self.renewUntilLost()
                    group.cancelAll()
                }
            }
        }
        let wasLeader = isLeader
        setLeader(false)
        if wasLeader && configuration.releaseOnCancel {
            await release()
        }
    }

    /// Service conformance: leads with no work of its own (subscribe to `leadership()`).
    public func run() async throws {
        await run(whileLeading: {})
    }

    /// Retries every `retryPeriod` until the lease is ours; false if cancelled.
    private func acquire() async -> Bool {
        while !Task.isCancelled {
            if await attempt(timeout: configuration.renewDeadline) {
                setLeader(true)
                return true
            }
            do { try await clock.sleep(for: configuration.retryPeriod) } catch { return false }
        }
        return false
    }

    /// Renews every `retryPeriod`; returns when a renewal could not be done within `renewDeadline` or on cancellation.
    private func renewUntilLost() async {
        var lastRenew = clock.now
        while !Task.isCancelled {
            let deadline = lastRenew + configuration.renewDeadline
            let pause = min(configuration.retryPeriod, deadline - clock.now)
            if pause > .zero {
                do { try await clock.sleep(for: pause) } catch { return }
            }
            while !Task.isCancelled {
                let now = clock.now
                if now >= deadline {
                    logger.warning("could not renew the lease within the renew deadline")
                    setLeader(false)
                    return
                }
                if await attempt(timeout: deadline - now) {
                    lastRenew = now
                    break
                }
                if !isLeaderAccordingToObservation() {
                    setLeader(false)
                    return
                }
                let wait = min(configuration.retryPeriod, deadline - clock.now)
                if wait > .zero { do { try await clock.sleep(for: wait) } catch { return } }
            }
        }
    }

    private func isLeaderAccordingToObservation() -> Bool {
        state.withLock { state in
            guard let holder = state.observedSpec?.holderIdentity else { return true }
            return holder.isEmpty || holder == configuration.identity
        }
    }

    /// One tryAcquireOrRenew bounded by `timeout`.
    private func attempt(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                do {
                    return try await self.tryAcquireOrRenew()
                } catch is CancellationError {
                    return false
                } catch {
                    self.logger.debug("lease attempt failed", metadata: ["error": "\(error)"])
                    return false
                }
            }
            group.addTask {
                try? await self.clock.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? false
        }
    }

    private var durationSeconds: Int {
        let components = configuration.leaseDuration.components
        return Int(components.seconds) + (components.attoseconds > 0 ? 1 : 0)
    }

    private func tryAcquireOrRenew() async throws -> Bool {
        let now = Date()
        let stamp = MicroTime.format(now)
        let identity = configuration.identity
        let existing: Lease
        do {
            existing = try await leases.get(configuration.leaseName, namespace: configuration.namespace)
        } catch let error as KubernetesError where error.isNotFound {
            let spec = LeaseSpec(holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0)
            let lease = Lease(metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.namespace), spec: spec)
            do {
                _ = try await leases.create(lease)
            } catch let error as KubernetesError where error.isAlreadyExists {
                return false
            }
            observe(spec, changedAt: clock.now)
            return true
        }
        let spec = existing.spec ?? LeaseSpec()
        let observedAt: Duration = state.withLock { state in
            if state.observedSpec != spec {
                state.observedSpec = spec
                state.observedTime = clock.now
            }
            return state.observedTime
        }
        let holder = spec.holderIdentity ?? ""
        let heldByOther = !holder.isEmpty && holder != identity
        if heldByOther {
            let duration = Duration.seconds(spec.leaseDurationSeconds ?? durationSeconds)
            if observedAt + duration > clock.now { return false }
        }
        var updated = existing
        var newSpec = spec
        newSpec.holderIdentity = identity
        newSpec.leaseDurationSeconds = durationSeconds
        newSpec.renewTime = stamp
        if holder != identity {
            newSpec.acquireTime = stamp
            newSpec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
        }
        updated.spec = newSpec
        do {
            _ = try await leases.update(updated)
        } catch let error as KubernetesError where error.isConflict {
            return false
        }
        observe(newSpec, changedAt: clock.now)
        return true
    }

    private func observe(_ spec: LeaseSpec, changedAt: Duration) {
        state.withLock { state in
            state.observedSpec = spec
            state.observedTime = changedAt
        }
    }

    /// Gives the lease up (client-go's ReleaseOnCancel): holder cleared, duration 1 s.
    private func release() async {
        let task = Task {
            do {
                var lease = try await leases.get(configuration.leaseName, namespace: configuration.namespace)
                guard lease.spec?.holderIdentity == configuration.identity else { return }
                let stamp = MicroTime.format(Date())
                lease.spec?.holderIdentity = ""
                lease.spec?.leaseDurationSeconds = 1
                lease.spec?.renewTime = stamp
                lease.spec?.acquireTime = stamp
                _ = try await leases.update(lease)
                logger.info("released the lease")
            } catch {
                logger.warning("could not release the lease", metadata: ["error": "\(error)"])
            }
        }
        await task.value
    }
}
