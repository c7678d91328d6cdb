import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import Testing

@Suite("Patches and server-side apply")
struct PatchApplyTests {
    let path = "/api/v1/namespaces/default/configmaps"

    @Test func mergePatchMergesAndNullDeletes() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post(path, configMap("m", data: ["a": "1", "b": "2"]))
            let patched = try await client.patch("\(path)/m", ["data": ["b": nil, "c": "3"]], type: "application/merge-patch+json")
            #expect(patched.status == 200)
            #expect(patched.json?["data"] == ["a": "1", "c": "3"])
        }
    }

    @Test func jsonPatchIncludingTest() async throws {
        try await withServer { _, client async throws in
            let created = try #require(try await client.post(path, configMap("j", data: ["a": "1"])).json)
            let operations: JSONValue = [
                ["op": "test", "path": "/metadata/resourceVersion", "value": .string(created.resourceVersion!)],
                ["op": "add", "path": "/data/b", "value": "2"],
                ["op": "replace", "path": "/data/a", "value": "one"],
                ["op": "copy", "from": "/data/b", "path": "/data/c"],
                ["op": "move", "from": "/data/c", "path": "/data/d"],
                ["op": "remove", "path": "/data/b"],
            ]
            let patched = try await client.patch("\(path)/j", operations, type: "application/json-patch+json")
            #expect(patched.status == 200)
            #expect(patched.json?["data"] == ["a": "one", "d": "2"])
            let failing = try await client.patch("\(path)/j", [["op": "test", "path": "/data/a", "value": "nope"]], type: "application/json-patch+json")
            #expect(failing.status == 422)
            let missing = try await client.patch("\(path)/j", [["op": "remove", "path": "/data/zzz"]], type: "application/json-patch+json")
            #expect(missing.status == 422)
        }
    }

    @Test func strategicMergePatchMergesListsByKey() async throws {
        try await withServer { _, client async throws in
            let service: JSONValue = [
                "apiVersion": "v1", "kind": "Service", "metadata": ["name": "s"],
                "spec": ["selector": ["app": "s"], "ports": [["name": "http", "port": 80], ["name": "grpc", "port": 9090]]],
            ]
            _ = try await client.post("/api/v1/namespaces/default/services", service)
            let patch: JSONValue = [
                "spec": [
                    "$setElementOrder/ports": [["port": 9090], ["port": 80], ["port": 443]],
                    "ports": [["port": 80, "name": "web"], ["port": 443, "name": "https"]],
                ],
            ]
            let patched = try await client.patch("/api/v1/namespaces/default/services/s", patch, type: "application/strategic-merge-patch+json")
            #expect(patched.status == 200)
            let ports = patched.json?[path: ["spec", "ports"]]?.arrayValue ?? []
            #expect(ports.compactMap { $0["port"]?.integerValue } == [9090, 80, 443])
            #expect(ports[1]["name"] == "web")
            let delete: JSONValue = ["spec": ["ports": [["port": 9090, "$patch": "delete"]]]]
            let afterDelete = try await client.patch("/api/v1/namespaces/default/services/s", delete, type: "application/strategic-merge-patch+json")
            #expect(afterDelete.json?[path: ["spec", "ports"]]?.arrayValue?.count == 2)
        }
    }

    @Test func serverSideApplyOwnsFieldsAndReportsConflicts() async throws {
        try await withServer { _, client async throws in
            let applied: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "ssa"], "data": ["a": "1", "b": "2"]]
            let first = try await client.patch("\(path)/ssa?fieldManager=alice", applied, type: "application/apply-patch+yaml")
            #expect(first.status == 201)
            let entries = first.json?[path: ["metadata", "managedFields"]]?.arrayValue ?? []
            #expect(entries.first?["manager"] == "alice")
            #expect(entries.first?["operation"] == "Apply")
            #expect(entries.first?[path: ["fieldsV1", "f:data", "f:a"]] == [:])

            // Re-applying the same configuration is a no-op.
            let again = try await client.patch("\(path)/ssa?fieldManager=alice", applied, type: "application/apply-patch+yaml")
            #expect(again.json?.resourceVersion == first.json?.resourceVersion)

            // Another manager changing alice's field conflicts, unless forced.
            let bob: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "ssa"], "data": ["a": "bob"]]
            let conflict = try await client.patch("\(path)/ssa?fieldManager=bob", bob, type: "application/apply-patch+yaml")
            #expect(conflict.status == 409)
            #expect(conflict.json?["reason"] == "Conflict")
            #expect(conflict.json?[path: ["details", "causes"]]?.arrayValue?.first?["field"] == ".data.a")
            let forced = try await client.patch("\(path)/ssa?fieldManager=bob&force=true", bob, type: "application/apply-patch+yaml")
            #expect(forced.status == 200)
            #expect(forced.json?[path: ["data", "a"]] == "bob")

            // Alice stops applying b: it is removed; a now belongs to bob and stays.
            let aliceLess: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "ssa"], "data": ["c": "3"]]
            let shrunk = try await client.patch("\(path)/ssa?fieldManager=alice", aliceLess, type: "application/apply-patch+yaml")
            #expect(shrunk.json?["data"] == ["a": "bob", "c": "3"])

            let noManager = try await client.patch("\(path)/ssa", aliceLess, type: "application/apply-patch+yaml")
            #expect(noManager.status == 400)
        }
    }

    @Test func applyAcceptsYAML() async throws {
        try await withServer { _, client async throws in
            let yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: yaml
              labels:
                app: "web"
            data:
              port: "8080"
              enabled: "true"
            """
            let response = try await client.request(.PATCH, "\(path)/yaml?fieldManager=y", rawBody: .init(string: yaml),
                                                    contentType: "application/apply-patch+yaml")
            #expect(response.status == 201)
            #expect(response.json?[path: ["data", "port"]] == "8080")
            #expect(response.json?[path: ["metadata", "labels", "app"]] == "web")
        }
    }

    @Test func updateByAnotherManagerTakesOwnership() async throws {
        try await withServer { _, client async throws in
            let applied: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "own"], "data": ["a": "1"]]
            _ = try await client.patch("\(path)/own?fieldManager=alice", applied, type: "application/apply-patch+yaml")
            _ = try await client.patch("\(path)/own?fieldManager=editor", ["data": ["a": "edited"]], type: "application/merge-patch+json")
            let conflict = try await client.patch("\(path)/own?fieldManager=alice", ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "own"], "data": ["a": "2"]], type: "application/apply-patch+yaml")
            #expect(conflict.status == 409)
            #expect(conflict.json?["message"]?.stringValue?.contains("conflict with \"editor\"") == true)
        }
    }
}
