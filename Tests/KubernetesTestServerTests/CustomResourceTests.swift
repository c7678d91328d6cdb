import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import Testing

/// A small CRD with two served versions, a status subresource, a schema with a
/// default, a bounded integer and a preserved free-form map.
let widgetCRD: JSONValue = [
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": ["name": "widgets.example.com"],
    "spec": [
        "group": "example.com", "scope": "Namespaced",
        "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"], "categories": ["all"]],
        "versions": [
            [
                "name": "v1", "served": true, "storage": true, "subresources": ["status": [:]],
                "additionalPrinterColumns": [["name": "Size", "type": "integer", "jsonPath": ".spec.size"]],
                "schema": ["openAPIV3Schema": [
                    "type": "object",
                    "properties": [
                        "spec": ["type": "object", "required": ["size"], "properties": [
                            "size": ["type": "integer", "minimum": 1, "maximum": 10],
                            "color": ["type": "string", "default": "blue"],
                            "extra": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                        ]],
                        "status": ["type": "object", "properties": ["ready": ["type": "boolean"]]],
                    ],
                ]],
            ],
            [
                "name": "v1beta1", "served": true, "storage": false, "subresources": ["status": [:]],
                "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
            ],
        ],
    ],
]

func widget(_ name: String, size: JSONValue = 3, version: String = "v1") -> JSONValue {
    ["apiVersion": .string("example.com/\(version)"), "kind": "Widget", "metadata": ["name": .string(name)], "spec": ["size": size]]
}

@Suite("Custom resources")
struct CustomResourceTests {
    let widgets = "/apis/example.com/v1/namespaces/default/widgets"

    @Test func crdLifecycleServesTheNewKind() async throws {
        try await withServer { _, client async throws in
            #expect(try await client.get(widgets).status == 404)
            let created = try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCRD)
            #expect(created.status == 201)
            let conditions = created.json?[path: ["status", "conditions"]]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Established" && $0["status"] == "True" })
            #expect(conditions.contains { $0["type"] == "NamesAccepted" && $0["status"] == "True" })

            let groups = try await client.get("/apis")
            let group = groups.json?["groups"]?.arrayValue?.first { $0["name"] == "example.com" }
            #expect(group?[path: ["preferredVersion", "version"]] == "v1")
            let resources = try await client.get("/apis/example.com/v1")
            let entry = resources.json?["resources"]?.arrayValue?.first { $0["name"] == "widgets" }
            #expect(entry?["shortNames"] == ["wd"])
            #expect(entry?["namespaced"] == true)
            #expect(resources.json?["resources"]?.arrayValue?.contains { $0["name"] == "widgets/status" } == true)

            let object = try await client.post(widgets, widget("w1"))
            #expect(object.status == 201)
            // Served in both versions; the other version is the same object with its apiVersion rewritten.
            let beta = try await client.get("/apis/example.com/v1beta1/namespaces/default/widgets/w1")
            #expect(beta.json?["apiVersion"] == "example.com/v1beta1")
            #expect(beta.json?[path: ["spec", "size"]] == 3)

            // Deleting the CRD removes the kind and its objects.
            #expect(try await client.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status == 200)
            #expect(try await client.get(widgets).status == 404)
        }
    }

    @Test func invalidCRDIsRejectedWithFieldPaths() async throws {
        try await withServer { _, client async throws in
            var crd = widgetCRD
            crd["metadata"] = ["name": "wrong.example.com"]
            let response = try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
            #expect(response.status == 422)
            #expect(response.json?[path: ["details", "causes"]]?.arrayValue?.first?["field"] == "metadata.name")
            var badSchema = widgetCRD
            badSchema["spec"]?["versions"] = [["name": "v1", "served": true, "storage": true,
                                               "schema": ["openAPIV3Schema": ["type": "object", "properties": ["spec": ["type": 5]]]]]]
            let schemaResponse = try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", badSchema)
            #expect(schemaResponse.status == 422)
            let field = schemaResponse.json?[path: ["details", "causes"]]?.arrayValue?.first?["field"]?.stringValue ?? ""
            #expect(field.hasPrefix("spec.versions[0].schema.openAPIV3Schema"), "\(field)")
        }
    }

    @Test func statusSubresourceOfCustomResource() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCRD)
            var sent = widget("w2")
            sent["status"] = ["ready": true]
            let created = try #require(try await client.post(widgets, sent).json)
            #expect(created["status"] == nil)
            #expect(created[path: ["metadata", "generation"]] == 1)
            var withStatus = created
            withStatus["status"] = ["ready": true]
            let statusWrite = try #require(try await client.put("\(widgets)/w2/status", withStatus).json)
            #expect(statusWrite[path: ["status", "ready"]] == true)
            #expect(statusWrite[path: ["metadata", "generation"]] == 1)
            let merged = try await client.patch("\(widgets)/w2", ["spec": ["size": 4]], type: "application/merge-patch+json")
            #expect(merged.json?[path: ["metadata", "generation"]] == 2)
            #expect(merged.json?[path: ["status", "ready"]] == true)
            let strategic = try await client.patch("\(widgets)/w2", ["spec": ["size": 5]], type: "application/strategic-merge-patch+json")
            #expect(strategic.status == 415)
        }
    }

    @Test func clusterScopedCustomResource() async throws {
        try await withServer { _, client async throws in
            var crd = widgetCRD
            crd["metadata"] = ["name": "gadgets.example.com"]
            crd["spec"]?["scope"] = "Cluster"
            crd["spec"]?["names"] = ["plural": "gadgets", "kind": "Gadget"]
            #expect(try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201)
            let gadget: JSONValue = ["apiVersion": "example.com/v1", "kind": "Gadget", "metadata": ["name": "g"], "spec": ["size": 2]]
            #expect(try await client.post("/apis/example.com/v1/gadgets", gadget).status == 201)
            #expect(try await client.get("/apis/example.com/v1/gadgets/g").json?.namespace == nil)
            #expect(try await client.get("/apis/example.com/v1/namespaces/default/gadgets/g").status == 404)
        }
    }

    @Test func tableOutputUsesPrinterColumns() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCRD)
            _ = try await client.post(widgets, widget("t1", size: 7))
            let table = try await client.request(.GET, widgets, headers: [("accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")])
            #expect(table.json?["kind"] == "Table")
            let names = table.json?["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(names == ["Name", "Size", "Age"])
            #expect(table.json?["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.prefix(2).map { $0 } == ["t1", 7])
        }
    }
}

@Suite("Custom resource schemas")
struct CustomResourceSchemaTests {
    let widgets = "/apis/example.com/v1/namespaces/default/widgets"

    @Test func defaultsAndPruning() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCRD)
            var sent = widget("d1")
            sent["spec"]?["unknown"] = "dropped"
            sent["spec"]?["extra"] = ["anything": ["goes": 1]]
            sent["topLevelJunk"] = true
            let created = try await client.post(widgets, sent)
            #expect(created.status == 201)
            let object = try #require(created.json)
            #expect(object[path: ["spec", "color"]] == "blue")
            #expect(object[path: ["spec", "unknown"]] == nil)
            #expect(object["topLevelJunk"] == nil)
            #expect(object[path: ["spec", "extra", "anything", "goes"]] == 1)
        }
    }

    @Test func strictFieldValidationRejectsUnknownFields() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCRD)
            var sent = widget("s1")
            sent["spec"]?["unknown"] = "x"
            let strict = try await client.post("\(widgets)?fieldValidation=Strict", sent)
            #expect(strict.status == 400)
            #expect(strict.json?["message"]?.stringValue?.contains("strict decoding error: unknown field \"spec.unknown\"") == true)
            let ignored = try await client.post("\(widgets)?fieldValidation=Ignore", sent)
            #expect(ignored.status == 201)
            #expect(ignored.headers["warning"].isEmpty)
            sent.setMetadata("name", "s2")
            let warned = try await client.post("\(widgets)?fieldValidation=Warn", sent)
            #expect(warned.status == 201)
            #expect(warned.headers.first(name: "warning") == #"299 - "unknown field \"spec.unknown\"""#)
        }
    }

    @Test func schemaViolationsAre422WithFieldPaths() async throws {
        try await withServer { _, client async throws in
            _ = try await client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCRD)
            let tooBig = try await client.post(widgets, widget("big", size: 11))
            #expect(tooBig.status == 422)
            #expect(tooBig.json?["reason"] == "Invalid")
            let cause = tooBig.json?[path: ["details", "causes"]]?.arrayValue?.first
            #expect(cause?["field"] == "spec.size")
            #expect(cause?["reason"] == "FieldValueInvalid")
            #expect(tooBig.json?["message"]?.stringValue?.hasPrefix("Widget.example.com \"big\" is invalid: spec.size") == true)
            let wrongType = try await client.post(widgets, widget("str", size: "three"))
            #expect(wrongType.status == 422)
            let missing = try await client.post(widgets, ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "m"], "spec": [:]])
            #expect(missing.status == 422)
            #expect(missing.json?[path: ["details", "causes"]]?.arrayValue?.first?["reason"] == "FieldValueRequired")
            // Updates are checked too.
            var good = try #require(try await client.post(widgets, widget("ok")).json)
            good["spec"]?["size"] = 0
            #expect(try await client.put("\(widgets)/ok", good).status == 422)
            let patched = try await client.patch("\(widgets)/ok", ["spec": ["size": 100]], type: "application/merge-patch+json")
            #expect(patched.status == 422)
        }
    }
}
