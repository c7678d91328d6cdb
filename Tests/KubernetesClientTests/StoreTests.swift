import KubernetesAPI
import Testing
@testable import KubernetesRuntime

@Suite("Store")
struct StoreTests {
    func object(_ name: String, _ namespace: String, rv: String, labels: [String: String] = [:], data: [String: String]? = nil) -> ConfigMap {
        var map = ConfigMap(name: name, namespace: namespace, data: data, labels: labels)
        map.metadata.resourceVersion = rv
        return map
    }

    @Test func indexesFollowUpdatesAndDeletes() {
        let store = Store<ConfigMap>(indexers: ["owner": { [$0.data?["owner"] ?? ""] }])
        store.upsert(object("a", "n1", rv: "1", labels: ["app": "web"], data: ["owner": "x"]))
        store.upsert(object("b", "n1", rv: "2", labels: ["app": "db"], data: ["owner": "x"]))
        store.upsert(object("c", "n2", rv: "3", labels: ["app": "web"], data: ["owner": "y"]))
        #expect(Set(store.inNamespace("n1").map(\.name)) == ["a", "b"])
        #expect(Set(store.withLabel("app", "web").map(\.name)) == ["a", "c"])
        #expect(Set(store.byIndex("owner", "x").map(\.name)) == ["a", "b"])
        store.upsert(object("a", "n1", rv: "4", labels: ["app": "db"], data: ["owner": "y"]))
        #expect(Set(store.withLabel("app", "web").map(\.name)) == ["c"])
        #expect(Set(store.byIndex("owner", "y").map(\.name)) == ["a", "c"])
        store.remove(ObjectKey(namespace: "n2", name: "c"))
        #expect(store.withLabel("app", "web").isEmpty)
        #expect(store.count == 2)
        #expect(store.get(namespace: "n1", name: "a")?.metadata.resourceVersion == "4")
    }

    @Test func replaceReportsTheDifference() {
        let store = Store<ConfigMap>()
        store.upsert(object("keep", "n", rv: "1"))
        store.upsert(object("change", "n", rv: "2"))
        store.upsert(object("gone", "n", rv: "3"))
        let diff = store.replace(with: [object("keep", "n", rv: "1"), object("change", "n", rv: "5"), object("new", "n", rv: "6")])
        #expect(diff.added.map(\.name) == ["new"])
        #expect(diff.updated.map(\.new.name) == ["change"])
        #expect(diff.updated.first?.old.metadata.resourceVersion == "2")
        #expect(diff.deleted.map(\.name) == ["gone"])
        #expect(Set(store.keys.map(\.name)) == ["keep", "change", "new"])
        #expect(store.inNamespace("n").count == 3)
    }

    @Test func waitUntilSyncedResumesWaiters() async {
        let store = Store<ConfigMap>()
        #expect(!store.hasSynced)
        let waiter = Task { await store.waitUntilSynced(); return store.hasSynced }
        try? await Task.sleep(for: .milliseconds(20))
        store.markSynced()
        #expect(await waiter.value)
        await store.waitUntilSynced() // already synced: returns at once
    }

    @Test func readableWhileWritersChangeIt() async {
        let store = Store<ConfigMap>()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for i in 0..<2000 { store.upsert(self.object("o\(i % 50)", "n", rv: "\(i)", labels: ["v": "\(i % 3)"])) }
            }
            group.addTask {
                for _ in 0..<2000 {
                    let all = store.inNamespace("n")
                    #expect(all.count <= 50)
                }
            }
        }
        #expect(store.count == 50)
    }
}

@Suite("Store sync wait")
struct StoreSyncCancellationTests {
    @Test func waitingIsCancellable() async {
        let store = Store<ConfigMap>()
        let waiter = Task { await store.waitUntilSynced(); return store.hasSynced }
        try? await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        #expect(await waiter.value == false)
    }
}
