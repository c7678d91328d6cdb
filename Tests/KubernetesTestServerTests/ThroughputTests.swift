import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import Testing

@Suite("Throughput")
struct ThroughputTests {
    /// Many concurrent writers and two watchers: every change reaches every watcher once, in
    /// resourceVersion order. Prints the rate (debug builds are several times slower than release).
    @Test func concurrentWritesReachEveryWatcherInOrder() async throws {
        try await withServer { server, client async throws in
            let start = await server.resourceVersion
            let (_, first) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(start)")
            let (_, second) = try await client.watch("/api/v1/configmaps?watch=true&resourceVersion=\(start)")
            let writers = 8
            let perWriter = 250
            let clock = ContinuousClock()
            let began = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<perWriter {
                            let response = try await client.post("/api/v1/namespaces/default/configmaps", configMap("w\(writer)-\(index)"))
                            #expect(response.status == 201)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let total = writers * perWriter
            async let firstEvents = collect(first, count: total, timeout: .seconds(60))
            async let secondEvents = collect(second, count: total, timeout: .seconds(60))
            let (a, b) = try await (firstEvents, secondEvents)
            let elapsed = clock.now - began
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("throughput: \(total) creates by \(writers) writers, delivered to 2 watches in \(String(format: "%.2f", seconds)) s = \(Int(Double(total) / seconds)) writes/s")
            for events in [a, b] {
                #expect(events.count == total)
                let versions = events.compactMap { $0["object"]?.resourceVersion.flatMap(Int64.init) }
                #expect(versions == versions.sorted())
                #expect(Set(versions).count == total)
            }
        }
    }

    /// Memory held per stored small object (a labelled ConfigMap with managedFields), from resident set growth.
    @Test func memoryPerStoredObject() async throws {
        let store = APIStore(historyLimit: 1000, schemaBuilder: nil)
        let scope = RequestScope(resource: ResourceType.builtIns.first { $0.plural == "configmaps" }!, version: "v1", namespace: "default")
        func residentBytes() -> Int {
            let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
            return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * 4096
        }
        let count = 20_000
        let before = residentBytes()
        let clock = ContinuousClock()
        let began = clock.now
        for index in 0..<count {
            _ = try await store.create(scope, object: configMap("m-\(index)", labels: ["app": "bench", "index": .string(String(index % 100))]),
                                       options: WriteOptions(fieldManager: "bench"))
        }
        let elapsed = clock.now - began
        let perObject = (residentBytes() - before) / count
        print("memory: \(count) ConfigMaps stored in \(elapsed), about \(perObject) bytes each (resident set growth)")
        #expect(await store.resourceVersion >= Int64(count))
        #expect(perObject < 20_000)
    }

    /// A large list pages through every object exactly once.
    @Test func largeListPages() async throws {
        try await withServer { server, client async throws in
            let scope = RequestScope(resource: ResourceType.builtIns.first { $0.plural == "configmaps" }!, version: "v1", namespace: "default")
            let clock = ContinuousClock()
            let began = clock.now
            for index in 0..<5000 {
                _ = try await server.store.create(scope, object: configMap(String(format: "cm-%05d", index)),
                                                  options: WriteOptions(fieldManager: "bench"))
            }
            let created = clock.now - began
            var names = Set<String>()
            var token: String?
            repeat {
                let suffix = token.map { "&continue=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? ""
                let page = try #require(try await client.get("/api/v1/namespaces/default/configmaps?limit=500\(suffix)").json)
                for item in page["items"]?.arrayValue ?? [] { names.insert(item.name ?? "") }
                token = page[path: ["metadata", "continue"]]?.stringValue
            } while token != nil
            print("store: 5000 creates in \(created), paged list of \(names.count) objects in \(clock.now - began - created)")
            #expect(names.count == 5000)
        }
    }
}
