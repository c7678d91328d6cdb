import Foundation
import KubernetesAPI
import Testing

/// The test API server refuses the values kube-apiserver refuses in the kinds Coxswain turns
/// into Envoy config, with the same status, field path and message (issue #15).
@Suite struct BuiltInValidationTests {
    static func causes(_ response: APIResponse) -> [String] {
        (response.json?["details"]?["causes"]?.arrayValue ?? []).map { "\($0["field"]?.stringValue ?? ""): \($0["message"]?.stringValue ?? "")" }
    }

    @Test func serviceWithANegativePortIsUnprocessable() async throws {
        try await withServer { _, client async throws in
            let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "neg"],
                                      "spec": ["ports": [["port": -80, "targetPort": 9080], ["name": "b", "port": 99999999, "targetPort": "http_x"]]]]
            let response = try await client.post("/api/v1/namespaces/default/services", service)
            #expect(response.status == 422)
            #expect(Self.causes(response) == [
                "spec.ports[0].port: Invalid value: -80: must be between 1 and 65535, inclusive",
                "spec.ports[1].port: Invalid value: 99999999: must be between 1 and 65535, inclusive",
                "spec.ports[1].targetPort: Invalid value: \"http_x\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            ])
            #expect(response.json?["message"]?.stringValue?.hasPrefix("Service \"neg\" is invalid: [spec.ports[0].port: Invalid value: -80: must be between 1 and 65535, inclusive") == true)
            let badIP: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "ip"], "spec": ["clusterIP": "999.1.1.1", "ports": [["port": 80]]]]
            let refused = try await client.post("/api/v1/namespaces/default/services", badIP)
            #expect(refused.status == 422)
            #expect(Self.causes(refused) == [#"spec.clusterIPs[0]: Invalid value: "999.1.1.1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#])
        }
    }

    @Test func endpointSliceAddressesAndPortsAreChecked() async throws {
        try await withServer { _, client async throws in
            let slice: JSONValue = ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": ["name": "s"], "addressType": "IPv4",
                                    "endpoints": [["addresses": ["10.0.0.1", "999.1.1.1", "::1"]]], "ports": [["name": "http", "port": -5]]]
            let response = try await client.post("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", slice)
            #expect(response.status == 422)
            #expect(Self.causes(response) == [
                #"endpoints[0].addresses[1]: Invalid value: "999.1.1.1": must be a valid IPv4 address"#,
                #"endpoints[0].addresses[2]: Invalid value: "::1": must be a valid IPv4 address"#,
                "ports[0].port: Invalid value: -5: must be between 1 and 65535, inclusive",
            ])
            var good = slice
            good["endpoints"] = [["addresses": ["10.0.0.1"]]]
            good["ports"] = [["name": "http", "port": 9080]]
            #expect(try await client.post("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", good).status == 201)
        }
    }

    @Test func podIPsAreChecked() async throws {
        try await withServer { _, client async throws in
            let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
                                  "spec": ["containers": [["name": "c", "image": "x"]]], "status": ["podIP": "::zz"]]
            let response = try await client.post("/api/v1/namespaces/default/pods", pod)
            #expect(response.status == 422)
            #expect(Self.causes(response) == [#"status.podIP: Invalid value: "::zz": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#])
        }
    }

    @Test func secretDataThatIsNotBase64IsABadRequest() async throws {
        try await withServer { _, client async throws in
            let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"], "data": ["tls.crt": "ab!d"]]
            let response = try await client.post("/api/v1/namespaces/default/secrets", secret)
            #expect(response.status == 400)
            #expect(response.json?["message"] == "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 2")
            let fine: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "t"], "data": ["tls.crt": "YWJj"]]
            #expect(try await client.post("/api/v1/namespaces/default/secrets", fine).status == 201)
        }
    }
}
