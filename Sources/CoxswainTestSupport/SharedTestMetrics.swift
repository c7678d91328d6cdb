import CoreMetrics
import MetricsTestKit

/// The metrics factory of the test process. `MetricsSystem.bootstrap` may run once per process,
/// and every suite shares the process, so tests that read a metric go through this one factory;
/// counters that report rare events are made per event, so they land here once it is bootstrapped.
/// Suites run at once: read a counter's growth across what the test did, not its total.
public enum SharedTestMetrics {
    public static let factory: TestMetrics = {
        let factory = TestMetrics()
        MetricsSystem.bootstrap(factory)
        return factory
    }()

    /// The total of every counter named `label` (all dimensions).
    public static func total(_ label: String) -> Int64 {
        factory.counterTotal(label: label)
    }
}
