import Foundation
import KubernetesAPI
import KubernetesTestServer
import Synchronization
import Testing
@testable import KubernetesClient

@Suite("Resource client against the test API server")
struct ResourceClientTests {
    @Test func crudAndTypedErrors() async throws {
        try await withServer { _, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            let created = try await maps.create(ConfigMap(name: "a", data: ["k": "1"]))
            #expect(created.metadata.uid != nil)
            await expectError { _ = try await maps.create(ConfigMap(name: "a")) } matching: { ($0 as? KubernetesError)?.isAlreadyExists == true }
            await expectError { _ = try await maps.get("missing", namespace: "default") } matching: { ($0 as? KubernetesError)?.isNotFound == true }

            var fresh = try await maps.get("a", namespace: "default")
            fresh.data = ["k": "2"]
            let updated = try await maps.update(fresh)
            #expect(updated.data?["k"] == "2")
            // Writing with the old resourceVersion: optimistic concurrency says no.
            var stale = created
            stale.data = ["k": "stale"]
            await expectError { _ = try await maps.update(stale) } matching: { ($0 as? KubernetesError)?.isConflict == true }

            // Invalid name: 422 with causes naming the field.
            await expectError { _ = try await maps.create(ConfigMap(name: "Bad_Name")) } matching: { error in
                guard case .invalid(let status) = error as? KubernetesError else { return false }
                return status.details?.causes?.contains { $0.field == "metadata.name" } == true
            }

            // Delete with a failing precondition, then for real.
            await expectError {
                try await maps.delete("a", namespace: "default", options: DeleteOptions(preconditions: .init(resourceVersion: "1")))
            } matching: { ($0 as? KubernetesError)?.isConflict == true }
            try await maps.delete("a", namespace: "default", options: DeleteOptions(propagationPolicy: .background))
            await expectError { _ = try await maps.get("a", namespace: "default") } matching: { ($0 as? KubernetesError)?.isNotFound == true }
            await expectError { _ = try await maps.get("a") } matching: { "\($0)".contains("namespace is required") }
        }
    }

    @Test func pagingAndSelectors() async throws {
        try await withServer { _, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            for i in 0..<25 { _ = try await maps.create(ConfigMap(name: String(format: "m%02d", i), labels: ["parity": i % 2 == 0 ? "even" : "odd"])) }
            let page = try await maps.list(namespace: "default", options: ListOptions(limit: 10))
            #expect(page.items.count == 10)
            #expect(page.metadata.continue?.isEmpty == false)
            let all = try await maps.listAll(namespace: "default", pageSize: 7)
            #expect(all.items.map(\.name) == (0..<25).map { String(format: "m%02d", $0) })
            #expect(all.metadata.resourceVersion != nil)
            let odd = try await maps.listAll(namespace: "default", options: ListOptions(labelSelector: "parity=odd"), pageSize: 4)
            #expect(odd.items.count == 12)
            let named = try await maps.list(namespace: "default", options: ListOptions(fieldSelector: "metadata.name=m03"))
            #expect(named.items.map(\.name) == ["m03"])
            let everywhere = try await maps.listAll()
            #expect(everywhere.items.count >= 25)
        }
    }

    @Test func patchesApplyAndStatus() async throws {
        try await withServer { _, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            _ = try await maps.create(ConfigMap(name: "p", data: ["a": "1", "b": "2"]))
            let merged = try await maps.patch("p", namespace: "default", .merge(["data": ["b": nil, "c": "3"]]))
            #expect(merged.data == ["a": "1", "c": "3"])
            let patched = try await maps.patch("p", namespace: "default", .json([["op": "replace", "path": "/data/a", "value": "9"]]))
            #expect(patched.data?["a"] == "9")
            await expectError {
                _ = try await maps.patch("p", namespace: "default", .json([["op": "test", "path": "/data/a", "value": "0"]]))
            } matching: { $0 is KubernetesError }

            let applied = try await maps.apply(ConfigMap(name: "s", data: ["x": "1"]), fieldManager: "first")
            #expect(applied.data == ["x": "1"])
            // Another manager changing the same field conflicts unless it forces.
            await expectError { _ = try await maps.apply(ConfigMap(name: "s", data: ["x": "2"]), fieldManager: "second") } matching: {
                ($0 as? KubernetesError)?.isConflict == true
            }
            let forced = try await maps.apply(ConfigMap(name: "s", data: ["x": "2"]), fieldManager: "second", force: true)
            #expect(forced.data == ["x": "2"])

            // Status subresource, untyped.
            let services = client.unstructured(.service)
            let service = try UnstructuredObject([
                "apiVersion": "v1", "kind": "Service", "metadata": ["name": "web", "namespace": "default"],
                "spec": ["ports": [["port": 80]]],
            ])
            var stored = try await services.create(service)
            stored.object["status"] = ["loadBalancer": ["ingress": [["ip": "10.1.1.1"]]]]
            let withStatus = try await services.updateStatus(stored)
            #expect(withStatus.object[path: ["status", "loadBalancer", "ingress"]]?.arrayValue?.first?["ip"] == "10.1.1.1")
            #expect(try await client.resolve(GroupVersionKind(group: "", version: "v1", kind: "Service")).plural == "services")
            #expect(try await client.resolve(GroupVersionKind(group: "", version: "v1", kind: "ServiceAccount")).plural == "serviceaccounts")
        }
    }

    @Test func eightConcurrentWritersLoseNoUpdate() async throws {
        try await withServer { _, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            _ = try await maps.create(ConfigMap(name: "counter", data: ["n": "0"]))
            let conflicts = Locked(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<25 {
                            try await retryOnConflict(maxAttempts: 100, initialBackoff: .milliseconds(1)) {
                                var map = try await maps.get("counter", namespace: "default")
                                let next = Int(map.data?["n"] ?? "0")! + 1
                                map.data?["n"] = String(next)
                                do {
                                    _ = try await maps.update(map)
                                } catch let error as KubernetesError where error.isConflict {
                                    conflicts.withLock { $0 += 1 }
                                    throw error
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await maps.get("counter", namespace: "default").data?["n"] == "200")
            #expect(conflicts.withLock { $0 } > 0) // the writers did race
        }
    }

    @Test func retryAfterIsHonouredAndBounded() async throws {
        try await withServer({ $0.maxRetries = 2 }) { server, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            server.faults.failNextRequests(2, status: 429, retryAfterSeconds: 1)
            let start = ContinuousClock.now
            _ = try await maps.list(namespace: "default")
            #expect(ContinuousClock.now - start >= .seconds(2))
            server.faults.failNextRequests(3, status: 429, retryAfterSeconds: 0)
            await expectError { _ = try await maps.list(namespace: "default") } matching: { error in
                if case .tooManyRequests = error as? KubernetesError { return true }
                return false
            }
            server.faults.failNextRequests(1, status: 500)
            await expectError { _ = try await maps.list(namespace: "default") } matching: { error in
                if case .serverError(let status) = error as? KubernetesError { return status.code == 500 }
                return false
            }
        }
    }

    @Test func rateLimitPacesRequests() async throws {
        try await withServer({ $0.qps = 20; $0.burst = 2 }) { _, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            let start = ContinuousClock.now
            for _ in 0..<12 { _ = try await maps.list(namespace: "default") }
            // 10 requests beyond the burst at 20/s.
            #expect(ContinuousClock.now - start >= .milliseconds(450))
        }
    }

    @Test func noClientSideLimitWhenQPSIsNotPositive() async throws {
        try await withServer({ $0.qps = 0; $0.burst = 1 }) { _, client in
            // A bucket refilling at 0 per second would hold every request after the first for ever.
            #expect(client.transport.rateLimiter == nil)
            let maps = client.resource(ConfigMap.self, .configMap)
            for _ in 0..<12 { _ = try await maps.list(namespace: "default") }
        }
        try await withServer({ $0.qps = 20; $0.burst = 2 }) { _, client in
            #expect(client.transport.rateLimiter?.qps == 20)
        }
    }

    /// A process exits by closing its client after its watches end. TLS waits for the server's
    /// close_notify, which a server streaming a watch may not send: the client gives up quickly
    /// (it took NIOSSL's default of 5 s before).
    @Test func closingTheClientAfterAWatchIsPrompt() async throws {
        let server = try await TestAPIServer.start(TestAPIServerConfiguration())
        let client = try KubernetesClient(configuration: try ClientConfiguration.from(try Kubeconfig.parse(server.kubeconfig())))
        let maps = client.resource(ConfigMap.self, .configMap)
        let watching = Task {
            let stream = try await maps.watch(namespace: "default", options: WatchOptions(allowWatchBookmarks: true, timeoutSeconds: 290))
            for try await _ in stream {}
        }
        try await Task.sleep(for: .seconds(1))
        watching.cancel()
        _ = await watching.result
        let start = ContinuousClock.now
        let closed = await client.shutdown(within: .seconds(4))
        #expect(closed, "the client did not close within 4 s")
        #expect(ContinuousClock.now - start < .seconds(4))
        try await server.shutdown()
    }

    @Test func badInputGivesClearErrors() async throws {
        try await withServer { server, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            // 5 MB object: over the server's request limit.
            let big = String(repeating: "x", count: 5 * 1024 * 1024)
            await expectError { _ = try await maps.create(ConfigMap(name: "big", data: ["blob": big])) } matching: { error in
                guard let error = error as? KubernetesError else { return false }
                return error.status?.code == 413
            }
            // 2 MB object accepted, but larger than a client's response limit.
            _ = try await maps.create(ConfigMap(name: "two", data: ["blob": String(repeating: "y", count: 2 * 1024 * 1024)]))
            #expect(try await maps.get("two", namespace: "default").data?["blob"]?.count == 2 * 1024 * 1024)
            var limited = client.configuration
            limited.maxResponseBytes = 1024 * 1024
            let small = try KubernetesClient(configuration: limited)
            await expectError { _ = try await small.resource(ConfigMap.self, .configMap).get("two", namespace: "default") } matching: { error in
                if case .responseTooLarge = error as? KubernetesError { return true }
                return false
            }
            try await small.shutdown()

            // Wrong CA: TLS verification fails.
            var wrongCA = client.configuration
            let otherServer = try await TestAPIServer.start()
            wrongCA.certificateAuthorityPEM = otherServer.caCertificatePEM
            try await otherServer.shutdown()
            let untrusting = try KubernetesClient(configuration: wrongCA)
            await expectError { _ = try await untrusting.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: { error in
                guard case .transport(let message) = error as? KubernetesError else { return false }
                return message.lowercased().contains("certificate") || message.contains("SSL") || message.contains("handshake")
            }
            try await untrusting.shutdown()

            // No CA at all: the system roots do not know the test CA either.
            var systemRoots = client.configuration
            systemRoots.certificateAuthorityPEM = nil
            let system = try KubernetesClient(configuration: systemRoots)
            await expectError { _ = try await system.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: { $0 is KubernetesError }
            try await system.shutdown()

            // Wrong token.
            var anonymous = client.configuration
            anonymous.credentials = .token("wrong")
            let stranger = try KubernetesClient(configuration: anonymous)
            await expectError { _ = try await stranger.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: { error in
                if case .unauthorized = error as? KubernetesError { return true }
                return false
            }
            try await stranger.shutdown()

            // Garbage PEM.
            var garbage = client.configuration
            garbage.certificateAuthorityPEM = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"
            await expectError { _ = try KubernetesClient(configuration: garbage) } matching: { "\($0)".contains("not valid PEM") }
            _ = server
        }
        // Unreachable: nothing listens on the port.
        var configuration = ClientConfiguration(server: "https://127.0.0.1:1")
        configuration.requestTimeout = .seconds(5)
        let unreachable = try KubernetesClient(configuration: configuration)
        await expectError { _ = try await unreachable.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: { error in
            if case .transport = error as? KubernetesError { return true }
            return false
        }
        try await unreachable.shutdown()
    }

    /// A certificate valid only for a DNS name, reached by IP address: `tls-server-name` names what to
    /// send as SNI and verify, as with a cluster whose API server certificate does not list its address.
    @Test func tlsServerNameIsVerifiedInsteadOfTheAddress() async throws {
        var serverConfiguration = TestAPIServerConfiguration()
        serverConfiguration.certificateHostNames = ["api.coxswain.test"]
        serverConfiguration.certificateIPAddresses = []
        try await withServer(serverConfiguration: serverConfiguration) { server, client in
            #expect(server.httpsURL.hasPrefix("https://127.0.0.1:"))
            await expectError { _ = try await client.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: { error in
                guard case .transport(let message) = error as? KubernetesError else { return false }
                return message.lowercased().contains("certificate") || message.contains("SSL") || message.contains("handshake")
            }

            let kubeconfig = server.kubeconfig().replacingOccurrences(of: "server: \(server.httpsURL)",
                                                                      with: "server: \(server.httpsURL)\n    tls-server-name: api.coxswain.test")
            var named = try ClientConfiguration.from(try Kubeconfig.parse(kubeconfig))
            #expect(named.tlsServerName == "api.coxswain.test")
            named.requestTimeout = .seconds(120)
            let renamed = try KubernetesClient(configuration: named)
            _ = try await renamed.resource(ConfigMap.self, .configMap).create(ConfigMap(name: "via-sni"))
            #expect(try await renamed.resource(ConfigMap.self, .configMap).get("via-sni", namespace: "default").metadata.name == "via-sni")
            try await renamed.shutdown()

            var wrong = named
            wrong.tlsServerName = "localhost"
            let mistaken = try KubernetesClient(configuration: wrong)
            await expectError { _ = try await mistaken.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: { $0 is KubernetesError }
            try await mistaken.shutdown()
        }
        #expect(throws: KubernetesError.self) {
            try ClientConfiguration.from(try Kubeconfig.parse("""
            current-context: x
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:1", tls-server-name: a.example}}]
            contexts: [{name: x, context: {cluster: c}}]
            """))
        }
    }

    /// An exec plugin that returns a client certificate instead of a token (as cloud plugins for
    /// certificate-based clusters do): requests authenticate with it over TLS.
    @Test func execPluginClientCertificatesAuthenticate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func plugin(_ status: [String: String]) throws -> Kubeconfig.ExecConfig {
            let json = try JSONSerialization.data(withJSONObject: [
                "apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": status,
            ] as [String: Any])
            let name = "credential-\(UUID().uuidString).json"
            let file = try directory.write(name, String(decoding: json, as: UTF8.self))
            let script = try directory.write(name + ".sh", "#!/bin/sh\ncat '\(file)'\n", executable: true)
            return Kubeconfig.ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: script)
        }
        try await withServer { server, client in
            let (certificate, key) = try server.issueClientCertificate(commonName: "coxswain-operator")
            var viaCertificate = client.configuration
            viaCertificate.credentials = .exec(try plugin(["clientCertificateData": certificate, "clientKeyData": key]))
            let certified = try KubernetesClient(configuration: viaCertificate)
            _ = try await certified.resource(ConfigMap.self, .configMap).create(ConfigMap(name: "by-certificate"))
            #expect(try await certified.resource(ConfigMap.self, .configMap).list(namespace: "default").items.map(\.metadata.name) == ["by-certificate"])
            try await certified.shutdown()

            // A certificate from a CA the server does not trust is refused in the handshake.
            let stranger = try await TestAPIServer.start()
            let (foreignCertificate, foreignKey) = try stranger.issueClientCertificate(commonName: "intruder")
            try await stranger.shutdown()
            var viaForeign = client.configuration
            viaForeign.credentials = .exec(try plugin(["clientCertificateData": foreignCertificate, "clientKeyData": foreignKey]))
            let refused = try KubernetesClient(configuration: viaForeign)
            await expectError { _ = try await refused.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: { error in
                guard case .transport = error as? KubernetesError else { return false }
                return true
            }
            try await refused.shutdown()

            // Half a key pair, or nothing at all, is a clear configuration error.
            var half = client.configuration
            half.credentials = .exec(try plugin(["clientCertificateData": certificate]))
            let halfClient = try KubernetesClient(configuration: half)
            await expectError { _ = try await halfClient.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: {
                "\($0)".contains("clientCertificateData and status.clientKeyData must be given together")
            }
            try await halfClient.shutdown()
            var empty = client.configuration
            empty.credentials = .exec(try plugin([:]))
            let emptyClient = try KubernetesClient(configuration: empty)
            await expectError { _ = try await emptyClient.resource(ConfigMap.self, .configMap).list(namespace: "default") } matching: {
                "\($0)".contains("neither a token nor clientCertificateData")
            }
            try await emptyClient.shutdown()
        }
    }

    @Test func watchDeliversTypedEventsAndBookmarks() async throws {
        var serverConfiguration = TestAPIServerConfiguration()
        serverConfiguration.bookmarkInterval = .milliseconds(100)
        try await withServer(serverConfiguration: serverConfiguration) { _, client in
            let maps = client.resource(ConfigMap.self, .configMap)
            let list = try await maps.list(namespace: "default")
            // The server ends the watch after timeoutSeconds: long enough that a loaded machine still sees all three events (the loop stops at once when it has).
            let stream = try await maps.watch(namespace: "default", options: WatchOptions(resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 60))
            _ = try await maps.create(ConfigMap(name: "w", data: ["v": "1"]))
            _ = try await maps.patch("w", namespace: "default", .merge(["data": ["v": "2"]]))
            try await maps.delete("w", namespace: "default")
            var seen: [String] = []
            var bookmarks = 0
            for try await event in stream {
                switch event {
                case .added(let map): seen.append("ADDED \(map.data?["v"] ?? "")")
                case .modified(let map): seen.append("MODIFIED \(map.data?["v"] ?? "")")
                case .deleted(let map): seen.append("DELETED \(map.name)")
                case .bookmark: bookmarks += 1
                case .error(let status): Issue.record("unexpected error event \(status)")
                }
                if seen.count == 3 && bookmarks > 0 { break }
            }
            #expect(seen == ["ADDED 1", "MODIFIED 2", "DELETED w"])
            #expect(bookmarks > 0)
        }
    }

    @Test func garbageInAWatchStreamIsAClearError() async throws {
        var decoder = WatchLineDecoder<ConfigMap>(maxLineBytes: 1024)
        let good = #"{"type":"ADDED","object":{"metadata":{"name":"a","namespace":"default","resourceVersion":"5"}}}"#
        let events = try decoder.feed(bytes: Array((good + "\n" + #"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}"# + "\n").utf8))
        #expect(events.count == 2)
        await expectError { _ = try decoder.feed(bytes: Array(("this is not json\n").utf8)) } matching: { error in
            guard case .malformedWatchEvent(let line, _) = error as? KubernetesError else { return false }
            return line == "this is not json"
        }
        var other = WatchLineDecoder<ConfigMap>(maxLineBytes: 1024)
        await expectError { _ = try other.feed(bytes: Array((#"{"type":"EXPLODED","object":{}}"# + "\n").utf8)) } matching: { "\($0)".contains("unknown event type") }
        var split = WatchLineDecoder<ConfigMap>(maxLineBytes: 1024)
        #expect(try split.feed(bytes: Array(good.prefix(30).utf8)).isEmpty)
        #expect(try split.feed(bytes: Array((String(good.dropFirst(30)) + "\n").utf8)).count == 1)
        var huge = WatchLineDecoder<ConfigMap>(maxLineBytes: 1024)
        await expectError { _ = try huge.feed(bytes: Array(String(repeating: "x", count: 2000).utf8)) } matching: { "\($0)".contains("larger than the limit") }
    }
}
