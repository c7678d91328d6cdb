import Foundation
import KubernetesAPI
import KubernetesClient
import KubernetesTestServer
import Synchronization
import Testing
@testable import KubernetesRuntime

@Suite("Informer and controller against the test API server", .serialized)
struct InformerTests {
    /// 10,000 changes over 100 objects while every watch is dropped each 100 ms and 410 Gone is forced twice:
    /// the cache ends identical to the server, and per object every delivered version is newer than the last
    /// (no duplicate, no reordering); versions are skipped only across the forced relists.
    @Test func survivesDropsAndExpiry() async throws {
        let changes = 10_000
        let objects = 100
        try await withServer { server, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            for i in 0..<objects { _ = try await maps.create(ConfigMap(name: "o\(i)", data: ["seq": "0"])) }
            let informer = Informer(client: maps, namespace: "default", watchTimeoutSeconds: 60,
                                    backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(200)))
            let events = informer.subscribe()
            let running = Task { await informer.run() }
            await informer.store.waitUntilSynced()

            // Record, per object, the sequence numbers delivered.
            let seen = Locked([String: [Int]]())
            let disorder = Locked(0)
            let consumer = Task {
                for await event in events {
                    guard case .updated(_, let new) = event else { continue }
                    let seq = Int(new.data?["seq"] ?? "0")!
                    seen.withLock { seen in
                        if let last = seen[new.name]?.last, last >= seq { disorder.withLock { $0 += 1 } }
                        seen[new.name, default: []].append(seq)
                    }
                }
            }
            let disruptor = Task {
                var rounds = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    rounds += 1
                    if rounds == 15 || rounds == 40 {
                        await server.faults.forceGoneOnNextWatch(count: 1)
                    }
                    await server.faults.dropAllWatches()
                }
            }
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<10 {
                    group.addTask {
                        for seq in 1...(changes / objects) {
                            for object in (writer * objects / 10)..<((writer + 1) * objects / 10) {
                                _ = try await maps.patch("o\(object)", namespace: "default", .merge(["data": ["seq": .string(String(seq))]]))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let writeTime = ContinuousClock.now - start
            disruptor.cancel()
            let final = try await maps.listAll(namespace: "default")
            let converged = await eventually(timeout: .seconds(30)) {
                informer.store.count == final.items.count && final.items.allSatisfy { informer.store.get(ObjectKey($0))?.metadata.resourceVersion == $0.metadata.resourceVersion }
            }
            running.cancel()
            consumer.cancel()
            #expect(converged)
            for item in final.items {
                #expect(informer.store.get(ObjectKey(item))?.data == item.data)
            }
            let statistics = informer.statistics
            let delivered = seen.withLock { $0.values.reduce(0) { $0 + $1.count } }
            let lastSeq = seen.withLock { $0.values.compactMap(\.last) }
            #expect(disorder.withLock { $0 } == 0)
            #expect(lastSeq.count == objects && lastSeq.allSatisfy { $0 == changes / objects })
            #expect(statistics.expired >= 2)
            #expect(statistics.watches > 10)
            // Every change is delivered except those collapsed into a relist.
            #expect(delivered <= changes)
            if statistics.lists == 1 { #expect(delivered == changes) }
            print("informer: \(changes) changes in \(writeTime), delivered \(delivered), watches \(statistics.watches), lists \(statistics.lists), expired \(statistics.expired), bookmarks \(statistics.bookmarks), errors \(statistics.errors)")
        }
    }

    @Test func relistDeliversDeletesThatHappenedWhileAway() async throws {
        try await withServer { server, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            for i in 0..<5 { _ = try await maps.create(ConfigMap(name: "d\(i)")) }
            let informer = Informer(client: maps, namespace: "default", backoff: Backoff(initial: .milliseconds(10)))
            let events = informer.subscribe()
            let running = Task { await informer.run() }
            await informer.store.waitUntilSynced()
            // Cut the informer off: every watch gets 410 first, and history is compacted.
            await server.faults.forceGoneOnNextWatch(count: 1)
            try await maps.delete("d0", namespace: "default")
            _ = try await maps.create(ConfigMap(name: "d9"))
            await server.faults.compactHistory()
            await server.faults.dropAllWatches()
            #expect(await eventually { informer.store.get(namespace: "default", name: "d0") == nil && informer.store.get(namespace: "default", name: "d9") != nil })
            running.cancel()
            var kinds: [String] = []
            for await event in events {
                switch event {
                case .added(let o): kinds.append("+\(o.name)")
                case .updated(_, let o): kinds.append("~\(o.name)")
                case .deleted(let o): kinds.append("-\(o.name)")
                }
                if kinds.contains("-d0") && kinds.contains("+d9") { break }
            }
            #expect(kinds.filter { $0 == "-d0" }.count == 1)
            #expect(kinds.filter { $0 == "+d9" }.count == 1)
        }
    }

    /// A watch stream of garbage (a truncated event, JSON that is no event): the informer counts an error,
    /// backs off, resumes, and misses nothing.
    @Test func garbageInAWatchStreamIsAnErrorNotACrash() async throws {
        try await withServer { server, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            _ = try await maps.create(ConfigMap(name: "g0"))
            let informer = Informer(client: maps, namespace: "default", backoff: Backoff(initial: .milliseconds(10)))
            let running = Task { await informer.run() }
            defer { running.cancel() }
            await informer.store.waitUntilSynced()
            await server.faults.garbleNextWatch(count: 2)
            await server.faults.dropAllWatches()
            _ = try await maps.create(ConfigMap(name: "g1"))
            #expect(await eventually { informer.store.get(namespace: "default", name: "g1") != nil })
            #expect(informer.statistics.errors >= 1, "\(informer.statistics)")
            #expect(informer.store.count == 2)
        }
    }

    /// A controller whose primary kind is "ConfigMap with a ref" and whose secondary trigger maps a changed
    /// Secret to the ConfigMaps that name it, as a change to a Service enqueues its VirtualServices.
    @Test func controllerReconcilesPrimaryAndMappedSecondaryChanges() async throws {
        try await withServer { _, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            let secrets = client.unstructured(.secret)
            let primary = Informer(client: maps, namespace: "default", store: Store(indexers: ["ref": { [$0.data?["ref"] ?? ""] }]))
            let secondary = Informer(client: secrets, namespace: "default")
            let reconciled = Locked([String: Int]())
            let failedOnce = Locked(false)
            let controller = Controller(name: "test", workers: 3, triggers: [
                .watch(primary),
                .watch(secondary) { event in
                    primary.store.byIndex("ref", event.object.name).map { ObjectKey($0) }
                },
            ]) { key in
                reconciled.withLock { $0[key.name, default: 0] += 1 }
                if key.name == "flaky" && !failedOnce.withLock({ let was = $0; $0 = true; return was }) {
                    throw KubernetesError.configuration("first attempt fails")
                }
                return .done
            }
            let running = Task { try await controller.run() }
            _ = try await maps.create(ConfigMap(name: "uses-s", data: ["ref": "s"]))
            _ = try await maps.create(ConfigMap(name: "other", data: ["ref": "t"]))
            _ = try await maps.create(ConfigMap(name: "flaky"))
            #expect(await eventually { reconciled.withLock { $0["uses-s"] ?? 0 } >= 1 && reconciled.withLock { $0["flaky"] ?? 0 } >= 2 })
            let before = reconciled.withLock { ($0["uses-s"] ?? 0, $0["other"] ?? 0) }
            _ = try await secrets.create(try UnstructuredObject(["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "default"]]))
            #expect(await eventually { reconciled.withLock { $0["uses-s"] ?? 0 } > before.0 })
            try await Task.sleep(for: .milliseconds(200))
            #expect(reconciled.withLock { $0["other"] ?? 0 } == before.1)
            running.cancel()
            _ = try? await running.value
        }
    }
}

@Suite("Event recorder")
struct EventRecorderTests {
    @Test func repeatsAreAggregatedByCount() async throws {
        try await withServer { _, client in
            let recorder = EventRecorder(client: client, component: "coxswain")
            let reference = CoreEvent.ObjectReference(apiVersion: "networking.istio.io/v1", kind: "VirtualService", namespace: "default", name: "vs", uid: "u1")
            await recorder.record(reference, type: "Warning", reason: "InvalidRoute", message: "weights do not sum to 100")
            await recorder.record(reference, type: "Warning", reason: "InvalidRoute", message: "weights do not sum to 100")
            await recorder.record(reference, type: "Warning", reason: "InvalidRoute", message: "weights do not sum to 100")
            await recorder.record(reference, reason: "Accepted", message: "ok")
            let events = try await client.resource(CoreEvent.self, .event).list(namespace: "default").items
            #expect(events.count == 2)
            #expect(events.first { $0.reason == "InvalidRoute" }?.count == 3)
            #expect(events.first { $0.reason == "Accepted" }?.count == 1)
            #expect(events.allSatisfy { $0.involvedObject.name == "vs" && $0.source?.component == "coxswain" })
        }
    }
}

@Suite("Controller lifecycle")
struct ControllerLifecycleTests {
    /// A controller whose server never answers stops promptly when cancelled, before any cache synced.
    @Test func stopsBeforeSyncWhenCancelled() async throws {
        var configuration = ClientConfiguration(server: "https://127.0.0.1:1")
        configuration.requestTimeout = .seconds(2)
        let client = try KubernetesClient(configuration: configuration)
        let informer = Informer(client: client.resource(ConfigMap.self, .configMap), backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50)))
        let controller = Controller(name: "unreachable", triggers: [.watch(informer)]) { _ in .done }
        let running = Task { try await controller.run() }
        #expect(await eventually { informer.statistics.errors > 0 })
        #expect(!informer.store.hasSynced)
        let start = ContinuousClock.now
        running.cancel()
        try await running.value
        #expect(ContinuousClock.now - start < .seconds(20))
        try await client.shutdown()
    }
}
