import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import Testing

@Suite("CRUD, resourceVersion, generation, errors")
struct CRUDTests {
    @Test func discoveryListsBuiltInKinds() async throws {
        try await withServer { _, client async throws in
            let version = try await client.get("/version")
            #expect(version.status == 200)
            #expect(version.json?["major"] == "1")
            let core = try await client.get("/api/v1")
            let resources = core.json?["resources"]?.arrayValue ?? []
            let pods = resources.first { $0["name"] == "pods" }
            #expect(pods?["namespaced"] == true)
            #expect(pods?["shortNames"] == ["po"])
            #expect(resources.contains { $0["name"] == "pods/status" })
            #expect(resources.first { $0["name"] == "nodes" }?["namespaced"] == false)
            let groups = try await client.get("/apis")
            let names = groups.json?["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("discovery.k8s.io"))
            #expect(names.contains("coordination.k8s.io"))
            #expect(names.contains("apiextensions.k8s.io"))
            let leases = try await client.get("/apis/coordination.k8s.io/v1")
            #expect(leases.json?["resources"]?.arrayValue?.first?["kind"] == "Lease")
        }
    }

    @Test func unauthenticatedHTTPSRequestsAreRejected() async throws {
        try await withServer { server, _ async throws in
            let anonymous = try APITestClient(server: server, token: "wrong")
            let response = try await anonymous.get("/api/v1/namespaces")
            try await anonymous.shutdown()
            #expect(response.status == 401)
            #expect(response.json?["reason"] == "Unauthorized")
        }
    }

    @Test func createGetUpdateDeleteWithResourceVersions() async throws {
        try await withServer { server, client async throws in
            let before = await server.resourceVersion
            let created = try await client.post("/api/v1/namespaces/default/configmaps", configMap("one"))
            #expect(created.status == 201)
            let object = try #require(created.json)
            let version = try #require(object.resourceVersion.flatMap(Int64.init))
            #expect(version > before)
            #expect(object.uid?.count == 36)
            #expect(object[path: ["metadata", "creationTimestamp"]]?.stringValue?.hasSuffix("Z") == true)
            #expect(object[path: ["metadata", "generation"]] == 1)

            let duplicate = try await client.post("/api/v1/namespaces/default/configmaps", configMap("one"))
            #expect(duplicate.status == 409)
            #expect(duplicate.json?["reason"] == "AlreadyExists")
            #expect(duplicate.json?["details"]?["name"] == "one")

            var changed = object
            changed["data"] = ["k": "changed"]
            let updated = try await client.put("/api/v1/namespaces/default/configmaps/one", changed)
            #expect(updated.status == 200)
            let newVersion = try #require(updated.json?.resourceVersion.flatMap(Int64.init))
            #expect(newVersion > version)
            #expect(updated.json?[path: ["metadata", "generation"]] == 2)

            // A write based on the old version conflicts.
            let stale = try await client.put("/api/v1/namespaces/default/configmaps/one", changed)
            #expect(stale.status == 409)
            #expect(stale.json?["reason"] == "Conflict")
            #expect(stale.json?["message"]?.stringValue?.contains("the object has been modified") == true)

            let missing = try await client.get("/api/v1/namespaces/default/configmaps/nope")
            #expect(missing.status == 404)
            #expect(missing.json?["reason"] == "NotFound")
            #expect(missing.json?["message"] == "configmaps \"nope\" not found")

            let deleted = try await client.delete("/api/v1/namespaces/default/configmaps/one")
            #expect(deleted.status == 200)
            let gone = try await client.get("/api/v1/namespaces/default/configmaps/one")
            #expect(gone.status == 404)
        }
    }

    @Test func seedingAndReadingBackWithoutHTTP() async throws {
        try await withServer { server, client async throws in
            try await server.seed((0..<50).map { configMap("seed-\($0)") } + [
                ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "extra"]],
            ])
            #expect(try await server.objects(apiVersion: "v1", kind: "ConfigMap").count == 50)
            #expect(try await client.get("/api/v1/namespaces/extra").status == 200)
            await #expect(throws: (any Error).self) { try await server.seed([["apiVersion": "nope/v1", "kind": "Thing"]]) }
        }
    }

    @Test func noOpUpdateKeepsResourceVersion() async throws {
        try await withServer { _, client async throws in
            let created = try #require(try await client.post("/api/v1/namespaces/default/configmaps", configMap("same")).json)
            let again = try await client.put("/api/v1/namespaces/default/configmaps/same", created)
            #expect(again.status == 200)
            #expect(again.json?.resourceVersion == created.resourceVersion)
        }
    }

    @Test func missingNamespaceIsNotFound() async throws {
        try await withServer { _, client async throws in
            let response = try await client.post("/api/v1/namespaces/absent/configmaps", configMap("x", namespace: "absent"))
            #expect(response.status == 404)
            #expect(response.json?["message"] == "namespaces \"absent\" not found")
        }
    }

    @Test func invalidNameIsUnprocessableWithFieldPath() async throws {
        try await withServer { _, client async throws in
            let response = try await client.post("/api/v1/namespaces/default/configmaps", configMap("Not_Valid"))
            #expect(response.status == 422)
            #expect(response.json?["reason"] == "Invalid")
            #expect(response.json?["details"]?["causes"]?.arrayValue?.first?["field"] == "metadata.name")
        }
    }

    @Test func generationMovesOnlyWithSpec() async throws {
        try await withServer { _, client async throws in
            let service: JSONValue = [
                "apiVersion": "v1", "kind": "Service",
                "metadata": ["name": "web", "namespace": "default"],
                "spec": ["ports": [["port": 80, "name": "http"]]],
            ]
            var object = try #require(try await client.post("/api/v1/namespaces/default/services", service).json)
            #expect(object[path: ["metadata", "generation"]] == 1)
            object.setMetadata("labels", ["a": "b"])
            object = try #require(try await client.put("/api/v1/namespaces/default/services/web", object).json)
            #expect(object[path: ["metadata", "generation"]] == 1)
            object["status"] = ["loadBalancer": ["ingress": [["ip": "10.0.0.1"]]]]
            let statusWrite = try #require(try await client.put("/api/v1/namespaces/default/services/web/status", object).json)
            #expect(statusWrite[path: ["metadata", "generation"]] == 1)
            #expect(statusWrite[path: ["status", "loadBalancer", "ingress"]]?.arrayValue?.count == 1)
            var specChange = statusWrite
            specChange["spec"] = ["ports": [["port": 8080, "name": "http"]]]
            specChange["status"] = ["loadBalancer": [:]]
            let specWrite = try #require(try await client.put("/api/v1/namespaces/default/services/web", specChange).json)
            #expect(specWrite[path: ["metadata", "generation"]] == 2)
            // The main resource ignores status; the status subresource ignores spec.
            #expect(specWrite[path: ["status", "loadBalancer", "ingress"]]?.arrayValue?.count == 1)
            var statusWithSpec = specWrite
            statusWithSpec["spec"] = ["ports": [["port": 9, "name": "x"]]]
            let ignored = try #require(try await client.put("/api/v1/namespaces/default/services/web/status", statusWithSpec).json)
            #expect(ignored[path: ["spec", "ports"]]?.arrayValue?.first?["port"] == 8080)
        }
    }

    @Test func serviceDefaultsLikeKubeAPIServer() async throws {
        try await withServer { _, client async throws in
            let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "d"],
                                      "spec": ["selector": ["app": "d"], "ports": [["port": 80]]]]
            let created = try #require(try await client.post("/api/v1/namespaces/default/services", service).json)
            let clusterIP = try #require(created[path: ["spec", "clusterIP"]]?.stringValue)
            #expect(clusterIP.hasPrefix("10.96."))
            #expect(created[path: ["spec", "type"]] == "ClusterIP")
            #expect(created[path: ["spec", "ports"]]?.arrayValue?.first?["protocol"] == "TCP")
            #expect(created[path: ["spec", "ports"]]?.arrayValue?.first?["targetPort"] == 80)
            var replacement = service
            replacement.setMetadata("resourceVersion", created["metadata"]?["resourceVersion"])
            let updated = try #require(try await client.put("/api/v1/namespaces/default/services/d", replacement).json)
            #expect(updated[path: ["spec", "clusterIP"]]?.stringValue == clusterIP)
            let other = try #require(try await client.post("/api/v1/namespaces/default/services",
                                                           ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "e"], "spec": ["ports": [["port": 81]]]]).json)
            #expect(other[path: ["spec", "clusterIP"]]?.stringValue != clusterIP)
        }
    }

    @Test func secretStringDataBecomesData() async throws {
        try await withServer { _, client async throws in
            let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"], "stringData": ["password": "hunter2"]]
            let created = try #require(try await client.post("/api/v1/namespaces/default/secrets", secret).json)
            #expect(created[path: ["data", "password"]] == .string(Data("hunter2".utf8).base64EncodedString()))
            #expect(created["stringData"] == nil)
            #expect(created["type"] == "Opaque")
        }
    }

    @Test func concurrentWritersWithRetryLoseNoUpdate() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/api/v1/namespaces/default/configmaps", configMap("counter", data: ["n": "0"]))
            let writers = 8
            let increments = 10
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        var conflicts = 0
                        for _ in 0..<increments {
                            while true {
                                var object = try #require(try await client.get("/api/v1/namespaces/default/configmaps/counter").json)
                                let value = Int(object[path: ["data", "n"]]?.stringValue ?? "") ?? -1
                                object["data"] = ["n": .string(String(value + 1))]
                                let response = try await client.put("/api/v1/namespaces/default/configmaps/counter", object)
                                if response.status == 200 { break }
                                #expect(response.status == 409)
                                conflicts += 1
                            }
                        }
                        return conflicts
                    }
                }
                var totalConflicts = 0
                for try await conflicts in group { totalConflicts += conflicts }
                print("concurrent writers: \(totalConflicts) conflicts retried")
            }
            let final = try await client.get("/api/v1/namespaces/default/configmaps/counter")
            #expect(final.json?[path: ["data", "n"]] == .string(String(writers * increments)))
        }
    }

    @Test func finalizersHoldDeletion() async throws {
        try await withServer { _, client async throws in
            var map = configMap("held")
            map.setMetadata("finalizers", ["example.com/hold"])
            _ = try await client.post("/api/v1/namespaces/default/configmaps", map)
            let deleting = try await client.delete("/api/v1/namespaces/default/configmaps/held")
            #expect(deleting.status == 200)
            var object = try #require(try await client.get("/api/v1/namespaces/default/configmaps/held").json)
            #expect(object.deletionTimestamp != nil)
            object.setMetadata("finalizers", [])
            let released = try await client.put("/api/v1/namespaces/default/configmaps/held", object)
            #expect(released.status == 200)
            let gone = try await client.get("/api/v1/namespaces/default/configmaps/held")
            #expect(gone.status == 404)
        }
    }

    @Test func deletePreconditions() async throws {
        try await withServer { _, client async throws in
            let object = try #require(try await client.post("/api/v1/namespaces/default/configmaps", configMap("pre")).json)
            let wrongUID = try await client.delete("/api/v1/namespaces/default/configmaps/pre",
                                                   ["kind": "DeleteOptions", "apiVersion": "v1", "preconditions": ["uid": "nope"]])
            #expect(wrongUID.status == 409)
            #expect(wrongUID.json?["message"]?.stringValue?.contains("Precondition failed: UID in precondition") == true)
            let wrongVersion = try await client.delete("/api/v1/namespaces/default/configmaps/pre",
                                                       ["preconditions": ["resourceVersion": "1"], "propagationPolicy": "Background"])
            #expect(wrongVersion.status == 409)
            let right = try await client.delete("/api/v1/namespaces/default/configmaps/pre",
                                                ["preconditions": ["uid": .string(object.uid ?? ""), "resourceVersion": .string(object.resourceVersion ?? "")]])
            #expect(right.status == 200)
        }
    }

    @Test func malformedRequestsGet400NotACrash() async throws {
        try await withServer { server, client async throws in
            let garbage = try await client.request(.POST, "/api/v1/namespaces/default/configmaps", rawBody: .init(string: "{not json"))
            #expect(garbage.status == 400)
            #expect(garbage.json?["kind"] == "Status")
            let wrongKind = try await client.post("/api/v1/namespaces/default/configmaps", ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "x"]])
            #expect(wrongKind.status == 400)
            let array = try await client.request(.POST, "/api/v1/namespaces/default/configmaps", rawBody: .init(string: "[1,2]"))
            #expect(array.status == 400)
            let badSelector = try await client.get("/api/v1/pods?labelSelector=a%20in%20b")
            #expect(badSelector.status == 400)
            let badField = try await client.get("/api/v1/pods?fieldSelector=spec.bogus%3Dx")
            #expect(badField.status == 400)
            let badPatch = try await client.request(.PATCH, "/api/v1/namespaces/default/configmaps/x", rawBody: .init(string: "{}"),
                                                    contentType: "text/plain")
            #expect(badPatch.status == 415)
            let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
            let deepResponse = try await client.request(.POST, "/api/v1/namespaces/default/configmaps", rawBody: .init(string: deep))
            #expect(deepResponse.status == 400)
            let deepYAML = String(repeating: "{a: ", count: 20000) + String(repeating: "}", count: 20000)
            let yamlResponse = try await client.request(.PATCH, "/api/v1/namespaces/default/configmaps/x?fieldManager=t",
                                                        rawBody: .init(string: deepYAML), contentType: "application/apply-patch+yaml")
            #expect(yamlResponse.status == 400)
            var badLabels = configMap("labels")
            badLabels.setMetadata("labels", ["n": 5])
            #expect(try await client.post("/api/v1/namespaces/default/configmaps", badLabels).status == 400)
            badLabels.setMetadata("labels", ["n": "not a valid value!"])
            let invalidLabel = try await client.post("/api/v1/namespaces/default/configmaps", badLabels)
            #expect(invalidLabel.status == 422)
            #expect(invalidLabel.json?[path: ["details", "causes"]]?.arrayValue?.first?["field"] == "metadata.labels")
            let notYAML = try await client.request(.PATCH, "/api/v1/namespaces/default/configmaps/x?fieldManager=t",
                                                   rawBody: .init(string: "key: [unclosed\n  - :"), contentType: "application/apply-patch+yaml")
            #expect(notYAML.status == 400)
            let unknown = try await client.get("/apis/nope.example.com/v1/things")
            #expect(unknown.status == 404)

            // Raw garbage on the socket: the HTTP layer answers 400 and the server keeps serving.
            let port = try #require(server.httpPort)
            let reply = try rawExchange(port: port, bytes: Array("THIS IS NOT HTTP\r\n\r\n".utf8))
            #expect(reply.hasPrefix("HTTP/1.1 400"))
            let still = try await client.get("/version")
            #expect(still.status == 200)
        }
    }

    @Test func requestBodiesOverTheLimitGet413() async throws {
        try await withServer({ $0.maxRequestBodyBytes = 64 * 1024 }) { _, client async throws in
            let big = configMap("big", data: ["blob": .string(String(repeating: "x", count: 100 * 1024))])
            let response = try await client.post("/api/v1/namespaces/default/configmaps", big)
            #expect(response.status == 413)
            #expect(response.json?["reason"] == "RequestEntityTooLarge")
            let small = try await client.post("/api/v1/namespaces/default/configmaps", configMap("small"))
            #expect(small.status == 201)
        }
    }

    @Test func defaultLimitAcceptsTwoMebibytesAndRejectsFive() async throws {
        try await withServer { _, client async throws in
            let two = configMap("two", data: ["blob": .string(String(repeating: "y", count: 2 * 1024 * 1024))])
            #expect(try await client.post("/api/v1/namespaces/default/configmaps", two).status == 201)
            let five = configMap("five", data: ["blob": .string(String(repeating: "z", count: 5 * 1024 * 1024))])
            #expect(try await client.post("/api/v1/namespaces/default/configmaps", five).status == 413)
        }
    }

    @Test func namespaceDeletionRemovesContents() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "temp"]])
            #expect(try await client.post("/api/v1/namespaces/temp/configmaps", configMap("a", namespace: "temp")).status == 201)
            let namespace = try await client.get("/api/v1/namespaces/temp")
            #expect(namespace.json?[path: ["status", "phase"]] == "Active")
            #expect(try await client.delete("/api/v1/namespaces/temp").status == 200)
            #expect(try await client.get("/api/v1/namespaces/temp/configmaps/a").status == 404)
            #expect(try await client.get("/api/v1/namespaces/temp").status == 404)
        }
    }

    @Test func namespaceStaysTerminatingWhileAnObjectHasFinalizers() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "held"]])
            var map = configMap("pinned", namespace: "held")
            map.setMetadata("finalizers", ["example.com/hold"])
            _ = try await client.post("/api/v1/namespaces/held/configmaps", map)
            _ = try await client.post("/api/v1/namespaces/held/configmaps", configMap("free", namespace: "held"))
            #expect(try await client.delete("/api/v1/namespaces/held").status == 200)
            let namespace = try await client.get("/api/v1/namespaces/held")
            #expect(namespace.json?[path: ["status", "phase"]] == "Terminating")
            #expect(try await client.get("/api/v1/namespaces/held/configmaps/free").status == 404)
            let refused = try await client.post("/api/v1/namespaces/held/configmaps", configMap("late", namespace: "held"))
            #expect(refused.status == 403)
            let pinned = try #require(try await client.get("/api/v1/namespaces/held/configmaps/pinned").json)
            #expect(pinned.deletionTimestamp != nil)
            #expect(pinned[path: ["metadata", "generation"]] == 2)
            _ = try await client.patch("/api/v1/namespaces/held/configmaps/pinned", ["metadata": ["finalizers": nil]], type: "application/merge-patch+json")
            #expect(try await client.get("/api/v1/namespaces/held/configmaps/pinned").status == 404)
            #expect(try await client.get("/api/v1/namespaces/held").status == 404)
        }
    }
}

/// Sends raw bytes to 127.0.0.1:port and returns what comes back (until close or 2 s).
func rawExchange(port: Int, bytes: [UInt8]) throws -> String {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw POSIXError(.EIO) }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    _ = bytes.withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count, 0) }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(socketFD, &buffer, buffer.count, 0)
        if count <= 0 { break }
        received += buffer[..<count]
    }
    return String(decoding: received, as: UTF8.self)
}
