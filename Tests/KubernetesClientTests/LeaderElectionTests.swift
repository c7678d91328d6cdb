import CoxswainTestSupport
import Foundation
import KubernetesAPI
import KubernetesClient
import KubernetesTestServer
import Synchronization
import Testing
import Timekeeping
@testable import KubernetesRuntime

@Suite("Leader election against the test API server", .serialized)
struct LeaderElectionTests {
    /// Settings for the tests on a manual clock: whole seconds, so the duration written into the lease is exact.
    static func configuration(_ identity: String, releaseOnCancel: Bool) -> LeaderElectionConfiguration {
        var configuration = LeaderElectionConfiguration(leaseName: "coxswain-leader", namespace: "default", identity: identity)
        configuration.leaseDuration = .seconds(3)
        configuration.renewDeadline = .seconds(2)
        configuration.retryPeriod = .milliseconds(500)
        configuration.releaseOnCancel = releaseOnCancel
        return configuration
    }

    /// One candidate: its own client (User-Agent names it, so faults can target it) and elector task.
    final class Candidate: Sendable {
        let identity: String
        let elector: LeaderElector
        let task: Task<Void, Never>
        let client: KubernetesClient

        /// On `clock`, which the test moves.
        init(identity: String, base: ClientConfiguration, releaseOnCancel: Bool = false, clock: ManualClock) throws {
            self.identity = identity
            var configuration = base
            configuration.userAgent = "coxswain-test/\(identity)"
            configuration.requestTimeout = .seconds(1)
            client = try KubernetesClient(configuration: configuration)
            let elector = LeaderElector(client: client, configuration: LeaderElectionTests.configuration(identity, releaseOnCancel: releaseOnCancel),
                                        clock: ElapsedClock(clock))
            self.elector = elector
            task = Task { await elector.run(whileLeading: {}) }
        }
    }

    /// 20 rounds of killing or partitioning the leader among three candidates, on a manual clock moved in retry
    /// periods: never two leaders, every takeover comes no sooner than the lease duration after the old holder's
    /// last renewal, and no later than the lease duration plus two retry periods after the kill or partition.
    @Test func neverTwoLeadersAcrossKillsAndPartitions() async throws {
        try await withServer { server, client in
            let clock = ManualClock()
            let configuration = Self.configuration("", releaseOnCancel: false)
            let retry = configuration.retryPeriod
            let leases = client.resource(Lease.self, .lease)
            let candidates = Locked<[Candidate]>(try (0..<3).map { try Candidate(identity: "e\($0)-gen0", base: client.configuration, clock: clock) })
            let overlaps = Locked(0)
            // Sampling between clock moves too: at no moment does more than one candidate believe it leads.
            let monitor = Task {
                while !Task.isCancelled {
                    let leaders = candidates.withLock { $0.filter { $0.elector.isLeader }.count }
                    if leaders > 1 { overlaps.withLock { $0 += 1 } }
                    try? await Task.sleep(for: .milliseconds(2))
                }
            }
            var leaseViolations: [String] = []
            // The lease as last read, and the clock time its holder's latest renewal was first seen.
            var seen: (spec: LeaseSpec, renewedAt: Duration)?
            /// Reads the lease after a settled step and checks a change of holder against the last renewal.
            func inspectLease() async throws {
                let lease: Lease
                do {
                    lease = try await leases.get("coxswain-leader", namespace: "default")
                } catch let error as KubernetesError where error.isNotFound {
                    return  // Not created yet (no candidate has acquired it): nothing to check.
                }
                guard let spec = lease.spec else { return }
                let now = clock.now.offset
                defer { if seen?.spec != spec { seen = (spec, now) } }
                guard let old = seen, let oldHolder = old.spec.holderIdentity, !oldHolder.isEmpty,
                      let newHolder = spec.holderIdentity, !newHolder.isEmpty, newHolder != oldHolder else { return }
                if now - old.renewedAt < .seconds(old.spec.leaseDurationSeconds ?? 0) {
                    leaseViolations.append("\(oldHolder)→\(newHolder) after \(now - old.renewedAt)")
                }
            }
            /// Waits for every candidate to sleep until its next retry.
            func settle() async {
                let count = candidates.withLock { $0.count }
                let now = clock.now.offset
                if !(await Self.settled(clock, sleepingUntil: Array(repeating: now + retry, count: count))) {
                    Issue.record("at \(now): not settled, \(clock.sleeperDeadlines)")
                }
            }
            /// Moves the clock one retry period and checks what the candidates and the lease show then.
            func step() async throws {
                await clock.advance(by: retry)
                await settle()
                if candidates.withLock({ $0.filter { $0.elector.isLeader }.count }) > 1 { overlaps.withLock { $0 += 1 } }
                try await inspectLease()
            }
            func nextLeader(besides old: Candidate?, within steps: Int) async throws -> Candidate? {
                for _ in 0...steps {
                    if let leader = candidates.withLock({ $0.first { $0.elector.isLeader && $0 !== old } }) { return leader }
                    try await step()
                }
                return nil
            }
            await settle()
            try await inspectLease()
            // The first acquisition may still be in flight on a loaded machine: allow a few retries.
            guard var leader = try await nextLeader(besides: nil, within: 5) else {
                Issue.record("no leader elected")
                return
            }
            var takeovers: [Duration] = []
            var retired: [KubernetesClient] = []
            for round in 0..<20 {
                let start = clock.now.offset
                if round % 2 == 0 {
                    // Kill: cancel without release, start a replacement process under a new identity.
                    leader.task.cancel()
                    await leader.task.value
                    let replacement = try Candidate(identity: "\(leader.identity.split(separator: "-")[0])-gen\(round + 1)",
                                                    base: client.configuration, clock: clock)
                    candidates.withLock { list in list = list.filter { $0 !== leader } + [replacement] }
                    retired.append(leader.client)
                    await settle()
                } else {
                    // Partition: the server drops every request from this candidate.
                    server.faults.partition(FaultScope(userAgentContains: leader.identity))
                }
                // The partitioned one believes it leads until its renew deadline; wait for someone else.
                guard let next = try await nextLeader(besides: leader, within: 20) else {
                    Issue.record("round \(round): no new leader")
                    break
                }
                takeovers.append(clock.now.offset - start)
                leader = next
                server.faults.healPartitions()
            }
            monitor.cancel()
            await monitor.value
            for client in retired { _ = await client.shutdown(within: .seconds(5)) }
            for candidate in candidates.withLock({ $0 }) {
                candidate.task.cancel()
                await candidate.task.value
                try? await candidate.client.shutdown()
            }
            #expect(overlaps.withLock { $0 } == 0)
            #expect(leaseViolations.isEmpty, "\(leaseViolations)")
            #expect(takeovers.count == 20)
            // Exact on moved time: the lease duration + two retry periods (the follower may see the last renewal
            // one retry late, and takes over at its first retry after the lease duration).
            let worst = takeovers.max() ?? .zero
            #expect(worst <= configuration.leaseDuration + retry * 2)
            let lease = try await leases.get("coxswain-leader", namespace: "default")
            #expect((lease.spec?.leaseTransitions ?? 0) >= 20)
            print("leader election: 20 takeovers, worst \(worst), mean \(takeovers.reduce(.zero, +) / takeovers.count) of moved time")
        }
    }

    /// Waits until the candidates have finished what the last move of `clock` started and sleep until
    /// exactly `deadlines`: each one's next retry, with no lease request (and its timeout) still in flight.
    static func settled(_ clock: ManualClock, sleepingUntil deadlines: [Duration]) async -> Bool {
        await eventually { clock.sleeperDeadlines == deadlines }
    }

    @Test func gracefulStopReleasesTheLease() async throws {
        try await withServer { _, client in
            let clock = ManualClock()
            let retry = Self.configuration("", releaseOnCancel: true).retryPeriod
            let first = try Candidate(identity: "first", base: client.configuration, releaseOnCancel: true, clock: clock)
            #expect(await eventually { first.elector.isLeader })
            let second = try Candidate(identity: "second", base: client.configuration, releaseOnCancel: true, clock: clock)
            // The leader waits to renew and the second has seen the lease held: both sleep one retry period.
            #expect(await Self.settled(clock, sleepingUntil: [retry, retry]))
            #expect(!second.elector.isLeader)
            let changes = second.elector.leadership()
            first.task.cancel()
            await first.task.value
            let lease = try await client.resource(Lease.self, .lease).get("coxswain-leader", namespace: "default")
            #expect(lease.spec?.holderIdentity == "")
            // Released: the successor takes over at its next retry, not after the lease duration (3 s).
            await clock.advance(by: retry)
            var iterator = changes.makeAsyncIterator()
            while let leading = await iterator.next(), !leading {}
            #expect(second.elector.isLeader)
            #expect(clock.now.offset == retry)
            second.task.cancel()
            await second.task.value
            try await first.client.shutdown()
            try await second.client.shutdown()
        }
    }

    /// A leader cut off from the API server steps down once it could not renew within the renew deadline (2 s),
    /// and the follower takes over at its first retry once the lease has stood unchanged for the lease
    /// duration (3 s), with time moved by hand in retry periods (0.5 s) and never waited for.
    @Test func partitionedLeaderStepsDownAndFollowerTakesOverOnMovedTime() async throws {
        try await withServer { server, client in
            let clock = ManualClock()
            let configuration = Self.configuration("", releaseOnCancel: false)
            let retry = configuration.retryPeriod
            let leader = try Candidate(identity: "stale-leader", base: client.configuration, clock: clock)
            #expect(await eventually { leader.elector.isLeader })
            #expect(await Self.settled(clock, sleepingUntil: [retry]))
            server.faults.partition(FaultScope(userAgentContains: "stale-leader"))
            let follower = try Candidate(identity: "follower", base: client.configuration, clock: clock)
            #expect(await Self.settled(clock, sleepingUntil: [retry, retry]))
            #expect(!follower.elector.isLeader)

            var leaderLeads: [Duration: Bool] = [:]
            var followerLeads: [Duration: Bool] = [:]
            var now = Duration.zero
            while now < .seconds(4) {
                await clock.advance(by: retry)
                now += retry
                #expect(await Self.settled(clock, sleepingUntil: [now + retry, now + retry]), "at \(now): \(clock.sleeperDeadlines)")
                leaderLeads[now] = leader.elector.isLeader
                followerLeads[now] = follower.elector.isLeader
                #expect(!(leaderLeads[now]! && followerLeads[now]!), "two leaders at \(now)")
            }
            for (at, leads) in leaderLeads.sorted(by: { $0.key < $1.key }) {
                #expect(leads == (at < configuration.renewDeadline), "partitioned leader at \(at): \(leads)")
            }
            for (at, leads) in followerLeads.sorted(by: { $0.key < $1.key }) {
                #expect(leads == (at >= configuration.leaseDuration), "follower at \(at): \(leads)")
            }
            let lease = try await client.resource(Lease.self, .lease).get("coxswain-leader", namespace: "default")
            #expect(lease.spec?.holderIdentity == "follower")
            #expect(lease.spec?.leaseTransitions == 1)
            server.faults.healPartitions()
            for candidate in [leader, follower] {
                candidate.task.cancel()
                await candidate.task.value
                try await candidate.client.shutdown()
            }
        }
    }

    @Test func microTimeRoundTrips() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let text = MicroTime.format(date)
        #expect(text == "2023-11-14T22:13:20.123456Z")
        #expect(abs(MicroTime.parse(text)!.timeIntervalSince(date)) < 0.000002)
        #expect(MicroTime.parse("2023-11-14T22:13:20Z") != nil)
        #expect(MicroTime.parse("2023-11-14T23:13:20.5+01:00")!.timeIntervalSince1970 == 1_700_000_000.5)
    }
}
