import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import NIOHTTP1
import Testing

@Suite("Malformed input")
struct FuzzTests {
    /// Random methods, paths, queries, content types and bodies: every answer is a proper HTTP
    /// status below 500 with a Status body, and the server keeps serving.
    @Test func randomRequestsNeverCrashOrFailInternally() async throws {
        try await withServer { _, client async throws in
            var generator = SystemRandomNumberGenerator()
            let paths = ["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/configmaps/x",
                         "/api/v1/namespaces/default/services/x/status", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                         "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/a.b", "/api/v1/namespaces", "/api/v1/nodes/n",
                         "/apis/coordination.k8s.io/v1/namespaces/default/leases/l", "/api/v1/namespaces/%00/pods", "/apis/x/y/z/w/v/u"]
            let queries = ["", "?watch=false", "?limit=-5", "?continue=@@", "?labelSelector=%21%21", "?fieldSelector=a", "?resourceVersion=abc",
                           "?fieldManager=&force=true", "?dryRun=All", "?fieldValidation=Strict", "?timeoutSeconds=-1"]
            let types = ["application/json", "application/merge-patch+json", "application/json-patch+json",
                         "application/strategic-merge-patch+json", "application/apply-patch+yaml", "text/plain"]
            let bodies: [String] = [
                "", "{", "null", "[]", "42", "\"x\"", "{\"metadata\":5}", "{\"metadata\":{\"name\":[1]}}",
                "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b\"}]", "[{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":\"f\"}]",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"b\"}},\"data\":{\"k\":1}}",
                "{\"spec\":{\"$patch\":\"bogus\"}}", "{\"spec\":{\"ports\":[{\"$patch\":\"delete\"}]}}", "- a\n- b\n", "a: [1, {b: c}]\n",
                "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"a.b\"},\"spec\":{\"group\":\"b\",\"names\":{\"plural\":\"a\",\"kind\":\"A\"},\"scope\":\"Namespaced\",\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":\"nonsense\"}}}]}}",
                "\u{FEFF}{}", "{\"a\":\"\\ud800\"}", String(repeating: "{\"a\":", count: 600),
            ]
            let methods: [HTTPMethod] = [.GET, .POST, .PUT, .PATCH, .DELETE, .HEAD, .OPTIONS]
            for _ in 0..<400 {
                let method = methods.randomElement(using: &generator)!
                let path = paths.randomElement(using: &generator)! + queries.randomElement(using: &generator)!
                let body = bodies.randomElement(using: &generator)!
                let response = try await client.request(method, path, rawBody: body.isEmpty ? nil : .init(string: body),
                                                        contentType: types.randomElement(using: &generator)!)
                #expect(response.status < 500, "\(method) \(path) \(body.prefix(80)) → \(response.status) \(response.text.prefix(200))")
                if response.status >= 400 && method != .HEAD {
                    #expect(response.json?["kind"] == "Status", "\(method) \(path) → \(response.text.prefix(200))")
                }
            }
            #expect(try await client.get("/version").status == 200)
        }
    }
}
