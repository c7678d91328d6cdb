import KubernetesAPI
import NIOCore

/// The OpenAPI documents kubectl reads before it writes.
///
/// kubectl's default validation ("strict") builds a validator from `/openapi/v2`
/// (protobuf) and then asks `/openapi/v3/<group-version>` whether the PATCH
/// operation of the kind accepts the `fieldValidation` query parameter; if it
/// does, kubectl leaves validation to the server (sending `fieldValidation=Strict`).
/// So v3 lists, per kind, the PATCH operation with that parameter and the patch
/// media types (no strategic merge: kubectl then computes strategic merge patches
/// for built-in kinds from its compiled-in types, and JSON merge patches for custom ones).
enum OpenAPI {
    /// A protobuf `openapi_v2.Document` holding just `swagger: "2.0"` (field 1, a string).
    static let v2Protobuf: [UInt8] = [0x0A, 0x03] + Array("2.0".utf8)

    static let v2ProtobufContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    static func v2JSON() -> JSONValue {
        ["swagger": "2.0", "info": ["title": "Kubernetes", "version": .string(Discovery.kubernetesVersion.git)], "paths": [:], "definitions": [:]]
    }

    /// `api/v1` or `apis/<group>/<version>` for every served group-version.
    static func groupVersionPaths(_ types: [ResourceType]) -> [String] {
        var paths = Set<String>()
        for type in types {
            for version in type.versions {
                paths.insert(type.group.isEmpty ? "api/\(version)" : "apis/\(type.group)/\(version)")
            }
        }
        return paths.sorted()
    }

    static func root(_ types: [ResourceType]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for path in groupVersionPaths(types) {
            guard let document = groupVersionDocument(path: path, types: types) else { continue }
            let hash = fnv1a(JSONCoding.encode(document).readableBytesView)
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(String(hash, radix: 16, uppercase: true))")]
        }
        return ["paths": .object(paths)]
    }

    static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        return hash
    }

    /// The document for `api/v1` or `apis/<group>/<version>`, or nil if not served.
    static func groupVersionDocument(path: String, types: [ResourceType]) -> JSONValue? {
        let parts = path.split(separator: "/").map(String.init)
        let group: String
        let version: String
        if parts.count == 2 && parts[0] == "api" {
            (group, version) = ("", parts[1])
        } else if parts.count == 3 && parts[0] == "apis" {
            (group, version) = (parts[1], parts[2])
        } else {
            return nil
        }
        let served = types.filter { $0.group == group && $0.versions.contains(version) }
        guard !served.isEmpty else { return nil }
        var paths: [String: JSONValue] = [:]
        let prefix = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        for type in served {
            let gvk: JSONValue = ["group": .string(group), "version": .string(version), "kind": .string(type.kind)]
            let objectPath = type.namespaced ? "\(prefix)/namespaces/{namespace}/\(type.plural)/{name}" : "\(prefix)/\(type.plural)/{name}"
            let schemaReference: JSONValue = ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
            let patchMediaTypes: [String: JSONValue] = [
                "application/json-patch+json": ["schema": schemaReference],
                "application/merge-patch+json": ["schema": schemaReference],
                "application/apply-patch+yaml": ["schema": schemaReference],
            ]
            let response: JSONValue = ["200": ["description": "OK", "content": ["application/json": ["schema": schemaReference]]]]
            func parameter(_ name: String, _ location: String = "query") -> JSONValue {
                ["name": .string(name), "in": .string(location), "schema": ["type": "string"], "required": .bool(location == "path")]
            }
            var pathParameters: [JSONValue] = [parameter("name", "path")]
            if type.namespaced { pathParameters.append(parameter("namespace", "path")) }
            paths[objectPath] = [
                "parameters": .array(pathParameters),
                "get": ["operationId": .string("read\(type.kind)"), "x-kubernetes-action": "get",
                        "x-kubernetes-group-version-kind": gvk, "responses": response],
                "put": ["operationId": .string("replace\(type.kind)"), "x-kubernetes-action": "put",
                        "x-kubernetes-group-version-kind": gvk,
                        "parameters": [parameter("dryRun"), parameter("fieldManager"), parameter("fieldValidation")],
                        "requestBody": ["content": ["application/json": ["schema": schemaReference]], "required": true],
                        "responses": response],
                "patch": ["operationId": .string("patch\(type.kind)"), "x-kubernetes-action": "patch",
                          "x-kubernetes-group-version-kind": gvk,
                          "parameters": [parameter("dryRun"), parameter("fieldManager"), parameter("fieldValidation"), parameter("force")],
                          "requestBody": ["content": .object(patchMediaTypes), "required": true],
                          "responses": response],
                "delete": ["operationId": .string("delete\(type.kind)"), "x-kubernetes-action": "delete",
                           "x-kubernetes-group-version-kind": gvk, "responses": response],
            ]
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": .string(Discovery.kubernetesVersion.git)],
            "paths": .object(paths),
            "components": ["schemas": [:]],
        ]
    }
}
