import CoxswainTestSupport
import EnvoyAPI
import Foundation
import MeshAPI
import SwiftProtobuf
import Testing
import XDSServer
@testable import Operator

/// Which gateway proxies the generator gives private keys to: only one whose credentials name a
/// service account of its own namespace, whose own Pod runs as it and is selected by the Gateway.
@Suite struct GatewaySecretAccessTests {
    static let mesh: MeshSnapshot = {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: istio-ingressgateway, namespace: istio-system}
            spec: {selector: {istio: ingressgateway}, ports: [{name: https, port: 443, targetPort: 8443}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: ingress-0, namespace: istio-system, labels: {istio: ingressgateway}}
            spec: {serviceAccountName: ingress}
            status: {podIP: 10.1.0.5}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: other-0, namespace: istio-system, labels: {app: other}}
            spec: {serviceAccountName: ingress}
            status: {podIP: 10.1.0.6}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: shop-cert, namespace: istio-system}
            type: kubernetes.io/tls
            data: {tls.crt: \(Data(TestCredentials.credential(for: "shop-cert").certificate.utf8).base64EncodedString()), tls.key: \(Data(TestCredentials.credential(for: "shop-cert").key.utf8).base64EncodedString())}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: shop, namespace: istio-system}
            spec: {clusterIP: 10.0.0.20, selector: {app: shop}, ports: [{name: http, port: 8000}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: public, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: ["shop.example.com"]
                tls: {mode: SIMPLE, credentialName: shop-cert}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop, namespace: istio-system}
            spec:
              hosts: [shop.example.com]
              gateways: [public]
              http: [{route: [{destination: {host: shop}}]}]
            """
        let result = MeshDocumentDecoder().decode(yaml: yaml, source: "test.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        return MeshSnapshot(decoded: result.objects)
    }()

    /// A gateway node as Istio's bootstrap writes it; `pod` names the Pod it claims to be.
    static func node(pod: String = "ingress-0", namespace: String = "istio-system") -> Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "router~10.1.0.5~\(pod).\(namespace)~\(namespace).svc.cluster.local"
        node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: namespace)
        node.metadata.fields["LABELS"] = Google_Protobuf_Value(structValue: Google_Protobuf_Struct(fields: ["istio": Google_Protobuf_Value(stringValue: "ingressgateway")]))
        return node
    }

    static func workload(namespace: String = "istio-system", serviceAccount: String = "ingress") -> ProxyCredentials {
        .workload(WorkloadIdentity(trustDomain: "cluster.local", namespace: namespace, serviceAccount: serviceAccount))
    }

    /// The secrets and listeners served to the node with these credentials, and why keys were withheld.
    static func served(_ node: Envoy_Config_Core_V3_Node, _ credentials: ProxyCredentials) async throws -> (secrets: [String], listeners: [String], withheld: String?) {
        let generator = MeshResourceGenerator()
        _ = generator.update(mesh)
        let proxy = try generator.describe(node: node, credentials: credentials)
        let resources = await generator.resources(for: proxy, types: nil)
        return (resources[TypeURL.secret].keys.sorted(), resources[TypeURL.listener].keys.sorted(), proxy.secretsWithheld)
    }

    @Test func aGatewayAuthenticatedAsItsPodsServiceAccountGetsItsGatewaysKey() async throws {
        let served = try await Self.served(Self.node(), Self.workload())
        #expect(served.secrets == ["kubernetes://shop-cert"])
        #expect(served.listeners == ["0.0.0.0_8443"])
        #expect(served.withheld == nil)
    }

    @Test func anUnauthenticatedGatewayGetsNoKeyAndTheHTTPSServerIsLeftOut() async throws {
        let served = try await Self.served(Self.node(), .unauthenticated("plaintext port: clients are not authenticated"))
        #expect(served.secrets.isEmpty)
        #expect(served.listeners.isEmpty, "a listener naming a secret Envoy never gets would stay warming")
        #expect(served.withheld?.contains("plaintext port") == true)
    }

    @Test func theInsecurePlaintextOptionServesKeysAsBefore() async throws {
        let served = try await Self.served(Self.node(), .unrestricted)
        #expect(served.secrets == ["kubernetes://shop-cert"])
    }

    @Test func aNodeClaimingAnotherNamespaceThanItsCertificatesIsRefused() async throws {
        let generator = MeshResourceGenerator()
        _ = generator.update(Self.mesh)
        let error = #expect(throws: UnauthorizedNode.self) {
            _ = try generator.describe(node: Self.node(), credentials: Self.workload(namespace: "attacker"))
        }
        #expect(error?.message.contains("attacker") == true)
    }

    @Test func anotherServiceAccountOfTheNamespaceGetsNoKey() async throws {
        let served = try await Self.served(Self.node(), Self.workload(serviceAccount: "default"))
        #expect(served.secrets.isEmpty)
        #expect(served.withheld?.contains("runs as service account ingress") == true)
    }

    /// The node's LABELS claim the Gateway's selector, but the Pod it names has other labels.
    @Test func labelsTheNodeClaimsDoNotCountOnlyItsPodsDo() async throws {
        let served = try await Self.served(Self.node(pod: "other-0"), Self.workload())
        #expect(served.secrets.isEmpty)
        #expect(served.listeners.isEmpty)
    }

    @Test func aNodeNamingNoPodOfTheMeshGetsNoKey() async throws {
        let served = try await Self.served(Self.node(pod: "ghost-0"), Self.workload())
        #expect(served.secrets.isEmpty)
    }

    /// Two proxies with the same claims but different access must not share one translation.
    @Test func proxiesWithDifferentAccessDoNotShareACacheKey() async throws {
        let generator = MeshResourceGenerator()
        _ = generator.update(Self.mesh)
        let withheld = try generator.describe(node: Self.node(), credentials: .unauthenticated("plaintext port"))
        let allowed = try generator.describe(node: Self.node(), credentials: Self.workload())
        #expect(withheld.cacheKey != allowed.cacheKey)
        let first = await generator.resources(for: withheld, types: nil)
        let second = await generator.resources(for: allowed, types: nil)
        #expect(first[TypeURL.secret].isEmpty)
        #expect(second[TypeURL.secret].keys.sorted() == ["kubernetes://shop-cert"])
    }
}
