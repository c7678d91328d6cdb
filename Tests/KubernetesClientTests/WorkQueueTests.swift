import CoxswainTestSupport
import Timekeeping
import Synchronization
import Testing
@testable import KubernetesRuntime

@Suite("Work queue")
struct WorkQueueTests {
    @Test func deduplicatesQueuedKeys() async {
        let queue = WorkQueue<String>(name: "dedup")
        await queue.add("a")
        await queue.add("b")
        await queue.add("a")
        #expect(await queue.count == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
        #expect(await queue.count == 0)
    }

    @Test func keyAddedWhileProcessingIsQueuedAgainOnlyAfterDone() async {
        let queue = WorkQueue<String>(name: "processing")
        await queue.add("a")
        let first = await queue.get()
        #expect(first == "a")
        await queue.add("a")
        // Still processing: not handed out again.
        #expect(await queue.count == 0)
        await queue.done("a")
        #expect(await queue.count == 1)
        #expect(await queue.get() == "a")
    }

    @Test func noKeyIsProcessedByTwoWorkersAtOnce() async {
        let queue = WorkQueue<Int>(name: "workers")
        let inFlight = Locked(Set<Int>())
        let violations = Locked(0)
        let processed = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while let key = await queue.get() {
                        let clash = inFlight.withLock { !$0.insert(key).inserted }
                        if clash { violations.withLock { $0 += 1 } }
                        try? await Task.sleep(for: .microseconds(200))
                        inFlight.withLock { _ = $0.remove(key) }
                        processed.withLock { $0 += 1 }
                        await queue.done(key)
                    }
                }
            }
            group.addTask {
                for round in 0..<400 { await queue.add(round % 5) ; if round % 20 == 0 { await Task.yield() } }
                try? await Task.sleep(for: .milliseconds(100))
                await queue.shutDownWithDrain()
            }
        }
        #expect(violations.withLock { $0 } == 0)
        #expect(processed.withLock { $0 } >= 5)
        #expect(processed.withLock { $0 } < 400) // deduplicated
    }

    @Test func perItemBackoffDoublesUpToTheCap() {
        var limiter = ItemExponentialFailureRateLimiter<String>()
        let delays = (0..<5).map { _ in limiter.when("a") }
        #expect(delays == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80)])
        #expect(limiter.retries("a") == 5)
        #expect(limiter.when("b") == .milliseconds(5))
        for _ in 0..<40 { _ = limiter.when("a") }
        #expect(limiter.when("a") == .seconds(1000))
        limiter.forget("a")
        #expect(limiter.retries("a") == 0)
        #expect(limiter.when("a") == .milliseconds(5))
    }

    @Test func defaultControllerLimiterIsBoundByTheBucketAfterTheBurst() {
        var limiter = DefaultControllerRateLimiter<Int>()
        // 100 different keys use the burst; the 101st waits about 1/10 s for the bucket.
        for key in 0..<100 { #expect(limiter.when(key) == .milliseconds(5)) }
        let delay = limiter.when(1000)
        #expect(delay > .zero && delay <= .milliseconds(101))
    }

    @Test func addAfterDelaysAndKeepsTheEarliest() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(name: "after", clock: ElapsedClock(clock))
        await queue.addAfter("late", .seconds(300))
        await queue.addAfter("late", .milliseconds(100)) // earlier wins
        await queue.addAfter("late", .seconds(500)) // later ignored
        await clock.waitForSleepers()
        await clock.advance(by: .milliseconds(99))
        #expect(await queue.count == 0, "not due before 100 ms")
        await clock.advance(by: .milliseconds(1))
        let key = await queue.get()
        #expect(key == "late")
        #expect(clock.now.offset == .milliseconds(100))
        await queue.done("late")
        await clock.advance(by: .seconds(600))
        #expect(await queue.count == 0, "the later requests were dropped, not kept as timers")
    }

    @Test func rateLimitedRetriesWaitTheLimitersGrowingDelays() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(name: "retries", rateLimiter: ItemExponentialFailureRateLimiter<String>(base: .milliseconds(5), maximum: .seconds(1000)),
                                      clock: ElapsedClock(clock))
        for attempt in 0..<5 {
            let delay = Duration.milliseconds(5) * (1 << attempt)
            await queue.addRateLimited("k")
            await clock.waitForSleepers()
            await clock.advance(by: delay - .milliseconds(1))
            #expect(await queue.count == 0, "attempt \(attempt) not due before \(delay)")
            await clock.advance(by: .milliseconds(1))
            #expect(await queue.get() == "k")
            await queue.done("k")
        }
        #expect(await queue.numRequeues("k") == 5)
        await queue.forget("k")
        #expect(await queue.numRequeues("k") == 0)
    }

    @Test func shutDownWithDrainWaitsForRunningWorkAndHandsOutQueuedKeys() async {
        let queue = WorkQueue<String>(name: "drain")
        await queue.add("running")
        await queue.add("queued")
        let running = await queue.get()
        #expect(running == "running")
        let finished = Locked(false)
        let drained = Task {
            await queue.shutDownWithDrain()
            return finished.withLock { $0 }
        }
        try? await Task.sleep(for: .milliseconds(50))
        await queue.add("ignored") // after shutdown
        #expect(await queue.get() == "queued")
        await queue.done("queued")
        finished.withLock { $0 = true }
        await queue.done("running")
        #expect(await drained.value == true)
        #expect(await queue.get() == nil)
    }

    @Test func getReturnsNilForWaitingWorkersOnShutdown() async {
        let queue = WorkQueue<String>(name: "idle")
        let waiter = Task { await queue.get() }
        try? await Task.sleep(for: .milliseconds(20))
        await queue.shutDown()
        #expect(await waiter.value == nil)
    }
}
