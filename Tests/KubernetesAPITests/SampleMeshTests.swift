import Foundation
import KubernetesAPI
import Testing

/// The sample mesh in config/samples must hang together the way istiod and `istioctl analyze` need:
/// every reference resolves, endpoints agree with pods, and the TLS credential is a real certificate.
@Suite struct SampleMeshTests {
    private let objects: [JSONValue]

    init() throws {
        objects = try Repository.yamlFiles(under: Repository.url("config/samples")).flatMap { try YAMLDocuments.load($0) }
    }

    private func all(_ kind: String) -> [JSONValue] { objects.filter { $0["kind"]?.stringValue == kind } }
    private func name(_ object: JSONValue) -> String { object[path: ["metadata", "name"]]?.stringValue ?? "" }
    private func namespace(_ object: JSONValue) -> String { object[path: ["metadata", "namespace"]]?.stringValue ?? "default" }
    private func labels(_ object: JSONValue) -> [String: JSONValue] { object[path: ["metadata", "labels"]]?.objectValue ?? [:] }
    private func selects(_ selector: [String: JSONValue], _ pod: JSONValue) -> Bool {
        !selector.isEmpty && selector.allSatisfy { labels(pod)[$0.key] == $0.value }
    }

    @Test func kustomizationListsEveryFile() throws {
        let kustomization = try #require(try YAMLDocuments.load(Repository.url("config/samples/kustomization.yaml")).first)
        let listed = Set((kustomization["resources"]?.arrayValue ?? []).compactMap(\.stringValue))
        let files = Set(Repository.yamlFiles(under: Repository.url("config/samples")).map {
            String(Repository.relativePath($0).dropFirst("config/samples/".count))
        }).subtracting(["kustomization.yaml"])
        #expect(listed == files)
        let crds = try #require(try YAMLDocuments.load(Repository.url("crds/Kustomization")).first)
        #expect(Set((crds["resources"]?.arrayValue ?? []).compactMap(\.stringValue)) == Set(
            Repository.yamlFiles(under: Repository.url("crds")).map(\.lastPathComponent)))
    }

    @Test func endpointSlicesAgreeWithServicesAndPods() throws {
        let pods = all("Pod")
        let services = all("Service")
        #expect(Set(services.filter { namespace($0) == "default" }.map(name)) == ["productpage", "details", "ratings", "reviews"])
        #expect(Set(pods.map { labels($0)["app"]?.stringValue ?? "" }) ==
            ["productpage", "details", "ratings", "reviews", "istio-ingressgateway"])
        for slice in all("EndpointSlice") {
            #expect(slice["apiVersion"] == "discovery.k8s.io/v1")
            let serviceName = try #require(labels(slice)["kubernetes.io/service-name"]?.stringValue)
            let service = try #require(services.first { name($0) == serviceName && namespace($0) == namespace(slice) })
            let selector = service[path: ["spec", "selector"]]?.objectValue ?? [:]
            let selected = Set(pods.filter { namespace($0) == namespace(slice) && selects(selector, $0) }.map(name))
            var referenced = Set<String>()
            for endpoint in slice["endpoints"]?.arrayValue ?? [] {
                let podName = try #require(endpoint[path: ["targetRef", "name"]]?.stringValue)
                let pod = try #require(pods.first { name($0) == podName }, "\(podName) is not a sample pod")
                #expect(endpoint["addresses"] == [pod[path: ["status", "podIP"]] ?? .null])
                #expect(endpoint["nodeName"] == pod[path: ["spec", "nodeName"]])
                #expect(endpoint[path: ["conditions", "ready"]] == true)
                #expect(pod[path: ["status", "podIP"]]?.stringValue?.hasPrefix("10.") == true)
                referenced.insert(podName)
            }
            #expect(referenced == selected, "\(name(slice)) endpoints vs pods selected by \(serviceName)")
            let servicePorts = (service[path: ["spec", "ports"]]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            let slicePorts = (slice["ports"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            #expect(servicePorts == slicePorts)
        }
        #expect(all("EndpointSlice").count == services.count)
    }

    @Test func istioReferencesResolve() throws {
        let rules = all("DestinationRule")
        let pods = all("Pod")
        for virtualService in all("VirtualService") {
            for route in virtualService[path: ["spec", "http"]]?.arrayValue ?? [] {
                for destination in (route["route"]?.arrayValue ?? []).compactMap({ $0["destination"] }) {
                    let host = try #require(destination["host"]?.stringValue)
                    #expect(all("Service").contains { name($0) == host && namespace($0) == namespace(virtualService) })
                    guard let subset = destination["subset"]?.stringValue else { continue }
                    let rule = try #require(rules.first { $0[path: ["spec", "host"]]?.stringValue == host })
                    let definition = try #require((rule[path: ["spec", "subsets"]]?.arrayValue ?? []).first { $0["name"]?.stringValue == subset })
                    let selector = definition["labels"]?.objectValue ?? [:]
                    #expect(pods.contains { labels($0)["app"]?.stringValue == host && selects(selector, $0) }, "\(host)/\(subset) selects no pod")
                }
            }
            for gatewayReference in (virtualService[path: ["spec", "gateways"]]?.arrayValue ?? []).compactMap(\.stringValue) {
                let parts = gatewayReference.split(separator: "/").map(String.init)
                let (gatewayNamespace, gatewayName) = parts.count == 2 ? (parts[0], parts[1]) : (namespace(virtualService), parts[0])
                let gateway = try #require(all("Gateway").first { name($0) == gatewayName && namespace($0) == gatewayNamespace })
                let gatewayHosts = (gateway[path: ["spec", "servers"]]?.arrayValue ?? []).flatMap { $0["hosts"]?.arrayValue ?? [] }
                for host in virtualService[path: ["spec", "hosts"]]?.arrayValue ?? [] {
                    #expect(gatewayHosts.contains(host))
                }
            }
        }
        let canary = try #require(all("VirtualService").first { name($0) == "reviews" })
        let weights = (canary[path: ["spec", "http"]]?.arrayValue ?? []).last?["route"]?.arrayValue?.compactMap { $0["weight"]?.integerValue }
        #expect(weights == [90, 10])
    }

    @Test func gatewaySelectsTheIngressPodAndItsCredentialIsACertificate() throws {
        let gateway = try #require(all("Gateway").first)
        let selector = try #require(gateway[path: ["spec", "selector"]]?.objectValue)
        let ingress = all("Pod").filter { selects(selector, $0) }
        #expect(ingress.map(namespace) == ["istio-system"])
        let ports = (gateway[path: ["spec", "servers"]]?.arrayValue ?? []).compactMap { $0[path: ["port", "number"]]?.integerValue }
        #expect(ports == [80, 443])
        let service = try #require(all("Service").first { name($0) == "istio-ingressgateway" })
        let mapping = (service[path: ["spec", "ports"]]?.arrayValue ?? []).compactMap { port -> [Int64]? in
            guard let number = port["port"]?.integerValue, let target = port["targetPort"]?.integerValue else { return nil }
            return [number, target]
        }
        #expect(mapping == [[80, 8080], [443, 8443]])

        let https = try #require((gateway[path: ["spec", "servers"]]?.arrayValue ?? []).first { $0[path: ["tls", "mode"]] == "SIMPLE" })
        let credential = try #require(https[path: ["tls", "credentialName"]]?.stringValue)
        let secret = try #require(all("Secret").first { name($0) == credential })
        #expect(namespace(secret) == namespace(gateway))
        #expect(secret["type"] == "kubernetes.io/tls")
        let certificate = try #require(secret[path: ["data", "tls.crt"]]?.stringValue.flatMap { Data(base64Encoded: $0) })
        let key = try #require(secret[path: ["data", "tls.key"]]?.stringValue.flatMap { Data(base64Encoded: $0) })
        #expect(String(decoding: certificate, as: UTF8.self).hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(String(decoding: key, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }
}

/// `kubectl apply -k crds` and `kubectl apply -k config/samples` must work: the real kubectl renders
/// both kustomizations to exactly the objects in their files.
@Suite struct KustomizeRenderTests {
    private func render(_ directory: String) throws -> (status: Int32, documents: [JSONValue], errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["kubectl", "kustomize", Repository.url(directory).path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let diagnostics = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, try YAMLDocuments.parse(String(decoding: data, as: UTF8.self)), diagnostics)
    }

    @Test(arguments: ["crds", "config/samples"])
    func kubectlRendersEveryObject(directory: String) throws {
        let rendered = try render(directory)
        #expect(rendered.status == 0, "kubectl kustomize \(directory): \(rendered.errors)")
        let files = Repository.yamlFiles(under: Repository.url(directory)).filter { $0.lastPathComponent != "kustomization.yaml" }
        let expected = try files.flatMap { try YAMLDocuments.load($0) }
        #expect(rendered.documents.count == expected.count)
        #expect(Set(rendered.documents) == Set(expected))
    }
}
