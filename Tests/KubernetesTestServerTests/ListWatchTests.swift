import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import Testing

@Suite("Selectors, paging, watches")
struct ListWatchTests {
    @Test func labelSelectorOperators() async throws {
        try await withServer { _, client async throws in
            let labels: [(String, [String: JSONValue])] = [
                ("a", ["app": "web", "tier": "front"]),
                ("b", ["app": "web", "tier": "back"]),
                ("c", ["app": "db"]),
                ("d", [:]),
            ]
            for (name, set) in labels {
                _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap(name, labels: set))
            }
            func names(_ selector: String) async throws -> [String] {
                let encoded = selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? selector
                let response = try await client.get("/api/v1/namespaces/default/configmaps?labelSelector=\(encoded)")
                return response.json?["items"]?.arrayValue?.compactMap(\.name) ?? []
            }
            #expect(try await names("app=web") == ["a", "b"])
            #expect(try await names("app==web") == ["a", "b"])
            #expect(try await names("app!=web") == ["c", "d"])
            #expect(try await names("tier in (front,back)") == ["a", "b"])
            #expect(try await names("tier notin (front)") == ["b", "c", "d"])
            #expect(try await names("tier") == ["a", "b"])
            #expect(try await names("!tier") == ["c", "d"])
            #expect(try await names("app=web,tier=back") == ["b"])
        }
    }

    @Test func fieldSelectors() async throws {
        try await withServer { _, client async throws in
            for (name, node) in [("p1", "node-a"), ("p2", "node-b")] {
                let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
                                      "spec": ["nodeName": .string(node), "containers": [["name": "c", "image": "busybox"]]]]
                #expect(try await client.post("/api/v1/namespaces/default/pods", pod).status == 201)
            }
            let onA = try await client.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a")
            #expect(onA.json?["items"]?.arrayValue?.compactMap(\.name) == ["p1"])
            let byName = try await client.get("/api/v1/namespaces/default/pods?fieldSelector=metadata.name%21%3Dp1")
            #expect(byName.json?["items"]?.arrayValue?.compactMap(\.name) == ["p2"])
            let byNamespace = try await client.get("/api/v1/pods?fieldSelector=metadata.namespace%3Dkube-system")
            #expect(byNamespace.json?["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func pagingWithLimitAndContinue() async throws {
        try await withServer { _, client async throws in
            for index in 0..<25 {
                _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap(String(format: "cm-%02d", index)))
            }
            var seen: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let suffix = token.map { "&continue=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? ""
                let page = try #require(try await client.get("/api/v1/namespaces/default/configmaps?limit=10\(suffix)").json)
                seen += page["items"]?.arrayValue?.compactMap(\.name) ?? []
                token = page[path: ["metadata", "continue"]]?.stringValue
                if pages == 0 { #expect(page[path: ["metadata", "remainingItemCount"]] == 15) }
                pages += 1
            } while token != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == (0..<25).map { String(format: "cm-%02d", $0) })
            let bad = try await client.get("/api/v1/namespaces/default/configmaps?limit=10&continue=%25%25%25")
            #expect(bad.status == 400)
        }
    }

    @Test func watchFromZeroSendsStateThenChanges() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("existing"))
            let (status, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0")
            #expect(status == 200)
            var iterator = events.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?["type"] == "ADDED")
            #expect(first?["object"]?.name == "existing")
            _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("new"))
            var object = try #require(try await client.get("/api/v1/namespaces/default/configmaps/new").json)
            object["data"] = ["k": "2"]
            _ = try await client.put("/api/v1/namespaces/default/configmaps/new", object)
            _ = try await client.delete("/api/v1/namespaces/default/configmaps/new")
            var types: [String] = []
            for _ in 0..<3 { types.append(try await iterator.next()?["type"]?.stringValue ?? "") }
            #expect(types == ["ADDED", "MODIFIED", "DELETED"])
        }
    }

    @Test func watchResumesFromResourceVersionInOrder() async throws {
        try await withServer { _, client async throws in
            let first = try #require(try await client.post("/api/v1/namespaces/default/configmaps", configMap("w0")).json)
            for index in 1...5 { _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("w\(index)")) }
            let (_, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(first.resourceVersion!)")
            let received = try await collect(events, count: 5)
            #expect(received.compactMap { $0["object"]?.name } == ["w1", "w2", "w3", "w4", "w5"])
            let versions = received.compactMap { $0["object"]?.resourceVersion.flatMap(Int64.init) }
            #expect(versions == versions.sorted())
        }
    }

    @Test func labelSelectedWatchSeesEntryAndExit() async throws {
        try await withServer { _, client async throws in
            let (_, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Dweb")
            _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("x", labels: ["app": "db"]))
            var object = try #require(try await client.get("/api/v1/namespaces/default/configmaps/x").json)
            object.setMetadata("labels", ["app": "web"])
            object = try #require(try await client.put("/api/v1/namespaces/default/configmaps/x", object).json)
            object.setMetadata("labels", ["app": "db"])
            _ = try await client.put("/api/v1/namespaces/default/configmaps/x", object)
            let received = try await collect(events, count: 2)
            #expect(received.compactMap { $0["type"]?.stringValue } == ["ADDED", "DELETED"])
        }
    }

    @Test func bookmarksCarryTheCurrentResourceVersion() async throws {
        try await withServer({ $0.bookmarkInterval = .milliseconds(100) }) { server, client async throws in
            let (_, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=\(await server.resourceVersion)")
            _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("b"))
            let received = try await collect(events, count: 3)
            let bookmark = try #require(received.first { $0["type"] == "BOOKMARK" })
            #expect(bookmark["object"]?["kind"] == "ConfigMap")
            let version = bookmark["object"]?.resourceVersion.flatMap(Int64.init) ?? 0
            #expect(version > 0)
        }
    }

    @Test func oldResourceVersionGets410Expired() async throws {
        try await withServer({ $0.eventHistoryLimit = 5 }) { _, client async throws in
            let first = try #require(try await client.post("/api/v1/namespaces/default/configmaps", configMap("h0")).json)
            for index in 1...10 { _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("h\(index)")) }
            let (status, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(first.resourceVersion!)")
            #expect(status == 200)
            let received = try await collect(events, count: 1)
            #expect(received.first?["type"] == "ERROR")
            #expect(received.first?["object"]?["code"] == 410)
            #expect(received.first?["object"]?["reason"] == "Expired")
        }
    }

    @Test func sendInitialEventsEndsWithAnnotatedBookmark() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("i1"))
            let (_, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan")
            let received = try await collect(events, count: 2)
            #expect(received.first?["type"] == "ADDED")
            #expect(received.last?["type"] == "BOOKMARK")
            #expect(received.last?[path: ["object", "metadata", "annotations", "k8s.io/initial-events-end"]] == "true")
        }
    }

    @Test func legacyWatchPath() async throws {
        try await withServer { _, client async throws in
            let (status, events) = try await client.watch("/api/v1/watch/namespaces/default/configmaps?resourceVersion=0")
            #expect(status == 200)
            _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("legacy"))
            let received = try await collect(events, count: 1)
            #expect(received.first?["object"]?.name == "legacy")
            let head = try await client.request(.HEAD, "/api/v1/namespaces")
            #expect(head.status == 405)
        }
    }

    @Test func watchTimeoutEndsTheStream() async throws {
        try await withServer { server, client async throws in
            let start = ContinuousClock.now
            let (_, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1")
            for try await _ in events {}
            let elapsed = ContinuousClock.now - start
            // Ended by the 1 s timeout, not by the test's own time limit; the upper bound is generous
            // because two-core CI machines run this next to the API machinery's stress tests.
            #expect(elapsed >= .milliseconds(900))
            #expect(elapsed < .seconds(60))
            try await Task.sleep(for: .milliseconds(200))
            #expect(await server.openWatchCount == 0)
        }
    }
}
