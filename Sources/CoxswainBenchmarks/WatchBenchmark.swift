import ArgumentParser
import Foundation
import KubernetesAPI
import KubernetesClient
import KubernetesRuntime
import KubernetesTestServer

/// A small object for the benchmark: a ConfigMap with one key.
private struct SmallObject: KubernetesObject {
    var apiVersion: String?
    var kind: String?
    var metadata: ObjectMeta
    var data: [String: String]?
}

/// `coxswain-bench watch`: an in-process test API server with N small objects; times an informer's
/// initial list into its cache, then the watch path (events per second into the cache) while N more are
/// created, and reports the memory the cache takes per object.
struct WatchBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Informer list and watch throughput and memory per cached object against the in-process test API server."
    )

    @Option(name: .long, help: "Objects to preload, and then to create while watching.")
    var objects: Int = 100_000

    func run() async throws {
        var serverConfiguration = TestAPIServerConfiguration()
        serverConfiguration.watchBufferLimit = objects * 2
        serverConfiguration.eventHistoryLimit = objects * 2
        let server = try await TestAPIServer.start(serverConfiguration)
        func batch(_ range: Range<Int>) -> [JSONValue] {
            range.map { i in
                ["apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": ["name": .string("cm-\(i)"), "namespace": "default", "labels": ["app": .string("a\(i % 100)")]],
                 "data": ["key": .string("value-\(i)")]]
            }
        }
        try await server.seed(batch(0..<objects))
        print("seeded \(objects) objects")

        var configuration = try ClientConfiguration.from(try Kubeconfig.parse(server.kubeconfig()))
        configuration.qps = 10_000
        configuration.burst = 10_000
        let client = try KubernetesClient(configuration: configuration)
        let informer = Informer(client: client.resource(SmallObject.self, .configMap), namespace: "default", pageSize: 500)

        let rssBefore = residentBytes()
        let listStart = ContinuousClock.now
        let running = Task { await informer.run() }
        await informer.store.waitUntilSynced()
        let listTime = ContinuousClock.now - listStart
        let rssAfter = residentBytes()
        print("list: \(informer.store.count) objects in \(listTime) (\(Int(Double(objects) / listTime.secondsValue)) objects/s)")
        print("memory: RSS +\((rssAfter - rssBefore) / 1024 / 1024) MiB for the cache, \((rssAfter - rssBefore) / max(1, objects)) bytes per cached object (includes allocator slack)")

        let watchStart = ContinuousClock.now
        let seeding = Task { try await server.seed(batch(objects..<(2 * objects))) }
        while informer.store.count < 2 * objects {
            try await Task.sleep(for: .milliseconds(5))
        }
        let watchTime = ContinuousClock.now - watchStart
        try await seeding.value
        print("watch: \(objects) ADDED events into the cache in \(watchTime) (\(Int(Double(objects) / watchTime.secondsValue)) events/s, server-side creation included)")
        running.cancel()
        await running.value
        try await client.shutdown()
        try await server.shutdown()
    }
}

private extension Duration {
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
