import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import Testing

@Suite("Fault injection")
struct FaultInjectionTests {
    @Test func failNextRequestsWith500Then429RetryAfter() async throws {
        try await withServer { server, client async throws in
            server.faults.failNextRequests(2, status: 500)
            #expect(try await client.get("/api/v1/namespaces").status == 500)
            #expect(try await client.get("/api/v1/namespaces").status == 500)
            #expect(try await client.get("/api/v1/namespaces").status == 200)
            server.faults.failNextRequests(1, status: 429, retryAfterSeconds: 3)
            let throttled = try await client.get("/api/v1/namespaces")
            #expect(throttled.status == 429)
            #expect(throttled.headers.first(name: "retry-after") == "3")
            #expect(throttled.json?[path: ["details", "retryAfterSeconds"]] == 3)
        }
    }

    @Test func faultsCanBeScopedToOneClient() async throws {
        try await withServer { server, client async throws in
            server.faults.failNextRequests(5, status: 500, scope: FaultScope(userAgentContains: "victim"))
            #expect(try await client.get("/api/v1/namespaces").status == 200)
            let victim = try await client.request(.GET, "/api/v1/namespaces", headers: [("user-agent", "victim/1.0")])
            #expect(victim.status == 500)
            server.faults.partition(FaultScope(headerName: "x-client", headerValue: "b"))
            await #expect(throws: (any Error).self) {
                _ = try await client.request(.GET, "/api/v1/namespaces", headers: [("x-client", "b")])
            }
            #expect(try await client.request(.GET, "/api/v1/namespaces", headers: [("x-client", "a")]).status == 200)
            server.faults.healPartitions()
            #expect(try await client.request(.GET, "/api/v1/namespaces", headers: [("x-client", "b")]).status == 200)
        }
    }

    @Test func latencyIsAdded() async throws {
        try await withServer { server, client async throws in
            server.faults.addLatency(.milliseconds(300))
            let start = ContinuousClock.now
            #expect(try await client.get("/version").status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            server.faults.clear()
        }
    }

    @Test func latencyBeyondTheRequestTimeoutIs504() async throws {
        try await withServer({ $0.requestTimeout = .milliseconds(200) }) { server, client async throws in
            server.faults.addLatency(.seconds(5))
            let response = try await client.get("/version")
            #expect(response.status == 504)
            #expect(response.json?["reason"] == "Timeout")
        }
    }

    @Test func dropAllWatchesEndsStreams() async throws {
        try await withServer { server, client async throws in
            let (_, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(await server.resourceVersion)")
            try await Task.sleep(for: .milliseconds(100))
            #expect(await server.openWatchCount == 1)
            await server.faults.dropAllWatches()
            var count = 0
            for try await _ in events { count += 1 }
            #expect(count == 0)
            #expect(await server.openWatchCount == 0)
        }
    }

    @Test func forcedGoneOnNextWatch() async throws {
        try await withServer { server, client async throws in
            await server.faults.forceGoneOnNextWatch()
            let (_, events) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(await server.resourceVersion)")
            let received = try await collect(events, count: 1)
            #expect(received.first?["type"] == "ERROR")
            #expect(received.first?[path: ["object", "code"]] == 410)
            // Only the next one.
            let (_, next) = try await client.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(await server.resourceVersion)")
            _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("after"))
            let normal = try await collect(next, count: 1)
            #expect(normal.first?["type"] == "ADDED")
        }
    }

    @Test func faultEndpointOverHTTP() async throws {
        try await withServer { _, client async throws in
            #expect(try await client.request(.POST, "/_fault/fail?count=1&status=429&retryAfter=2").status == 200)
            let throttled = try await client.get("/version")
            #expect(throttled.status == 429)
            #expect(throttled.headers.first(name: "retry-after") == "2")
            #expect(try await client.request(.POST, "/_fault/nonsense").status == 404)
        }
    }
}
