import CoxswainTestSupport
import Testing
import Timekeeping
@testable import Operator

/// The periodic tick that wakes the status writer (resync) and the proxy reporter (heartbeat), on a manual clock.
@Suite struct ProgressSignalsTests {
    @Test func ticksOnceAtStartAndOncePerPeriodOfMovedTime() async {
        let clock = ManualClock()
        let (signal, trigger) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .unbounded)
        let (published, publishing) = AsyncStream.makeStream(of: UInt64.self)
        let (proxyChanges, proxiesChanging) = AsyncStream.makeStream(of: Void.self)
        let ticks = Task {
            var count = 0
            for await _ in signal { count += 1 }
            return count
        }
        let feeding = Task {
            await withTaskGroup(of: Void.self) { group in
                ProgressSignals.feed(&group, into: trigger, board: StatusBoard(), published: published, proxyChanges: proxyChanges,
                                     tick: .seconds(10), on: ElapsedClock(clock))
                await group.waitForAll()
            }
        }
        await clock.waitForSleepers()
        #expect(clock.sleeperDeadlines == [.seconds(10)])
        // Just short of the period: no tick yet; at it: the next, and the one after is armed.
        await clock.advance(by: .seconds(9))
        #expect(clock.sleeperDeadlines == [.seconds(10)])
        await clock.advance(by: .seconds(1))
        #expect(clock.sleeperDeadlines == [.seconds(20)])
        await clock.advance(by: .seconds(25))
        #expect(clock.sleeperDeadlines == [.seconds(40)])
        feeding.cancel()
        publishing.finish()
        proxiesChanging.finish()
        await feeding.value
        trigger.finish()
        // At 0, 10, 20 and 30 s.
        #expect(await ticks.value == 4)
    }
}
