import CoxswainTestSupport
import Testing
import Timekeeping
@testable import XDSServer

/// The debouncer on a manual clock: publications happen at exact moments, not within wall-time slack.
@Suite struct ChangeDebouncerTests {
    static func make(quiet: Duration = .milliseconds(100), maxDelay: Duration = .seconds(1)) -> (ChangeDebouncer, ManualClock, SnapshotCache) {
        let clock = ManualClock()
        let cache = SnapshotCache(generator: TestGenerator(mesh: TestMesh()))
        return (ChangeDebouncer(cache: cache, quiet: quiet, maxDelay: maxDelay, clock: ElapsedClock(clock)), clock, cache)
    }

    @Test func aChangeIsPublishedOnceTheQuietPeriodHasPassed() async {
        let (debouncer, clock, cache) = Self.make()
        await debouncer.changed(.all)
        await clock.waitForSleepers()
        await clock.advance(by: .milliseconds(99))
        #expect(await debouncer.publications == 0)
        await clock.advance(by: .milliseconds(1))
        await Self.waitForPublications(debouncer, 1)
        #expect(await debouncer.publications == 1)
        #expect(await cache.generation == 2)
    }

    @Test func aBurstIsPublishedOnceAtTheLatestAfterMaxDelay() async {
        let (debouncer, clock, _) = Self.make()
        // A change every 60 ms never leaves 100 ms of quiet; the burst goes out 1 s after its first change.
        for _ in 0..<20 {
            await debouncer.changed(.endpoints)
            await clock.waitForSleepers()
            await clock.advance(by: .milliseconds(60))
            if await debouncer.publications > 0 { break }
        }
        await Self.waitForPublications(debouncer, 1)
        #expect(await debouncer.publications == 1)
        #expect(clock.now.offset == .milliseconds(1020), "published at the first 60 ms step past 1 s")
    }

    @Test func scopesOfABurstAreMerged() async {
        let (debouncer, clock, cache) = Self.make()
        await debouncer.changed(.endpoints)
        await debouncer.changed(.all)
        await clock.waitForSleepers()
        await clock.advance(by: .milliseconds(100))
        await Self.waitForPublications(debouncer, 1)
        #expect(await cache.scopeSince(1) == .all, "endpoints and all merge into all")
    }

    @Test func flushPublishesAtOnceAndDisarmsTheTimer() async {
        let (debouncer, clock, _) = Self.make()
        await debouncer.changed(.all)
        await clock.waitForSleepers()
        await debouncer.flush()
        #expect(await debouncer.publications == 1)
        await clock.advance(by: .seconds(5))
        #expect(await debouncer.publications == 1, "nothing was pending any more")
    }

    /// Waits (bounded by yields, not time) for the timer task that the clock woke to publish.
    static func waitForPublications(_ debouncer: ChangeDebouncer, _ count: Int) async {
        for _ in 0..<10_000 where await debouncer.publications < count { await Task.yield() }
    }
}
