import EnvoyAPI
import Foundation
import KubernetesAPI
import MeshAPI
import SwiftProtobuf
import Testing
@testable import Translator

/// A bad value in a Kubernetes object leaves out that part only, and never traps the
/// translator (issue #15: a port of -5 killed the control plane; 99999999 made every Envoy
/// reject the listener update).
@Suite struct ValueLeaveOutTests {
    static let crashers = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: reviews-negative, namespace: default, labels: {kubernetes.io/service-name: reviews}}
        addressType: IPv4
        ports: [{name: http, port: -5}]
        endpoints: [{addresses: [10.1.0.7]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: reviews-addresses, namespace: default, labels: {kubernetes.io/service-name: reviews}}
        addressType: IPv4
        ports: [{name: http, port: 9080}]
        endpoints: [{addresses: ["999.1.1.1", "::zz", "", 10.1.0.8]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: huge, namespace: default}
        spec:
          clusterIP: "::zz"
          ports: [{name: http, port: 99999999}, {name: tcp, port: -80}, {name: http-ok, port: 8080}, {name: http-dup, port: 8080}]
        """

    static func resources(kind: ProxyIdentity.Kind) -> EnvoyResources {
        TranslatorTests.translate(crashers, kind: kind)
    }

    @Test(arguments: [ProxyIdentity.Kind.sidecar, .gateway, .grpc])
    func badPortsAndAddressesDoNotTrap(kind: ProxyIdentity.Kind) {
        let resources = Self.resources(kind: kind)
        for listener in resources.listeners {
            #expect(listener.address.socketAddress.portValue <= 65535, "\(listener.name)")
        }
        for assignment in resources.endpoints {
            for endpoint in assignment.endpoints.flatMap(\.lbEndpoints) {
                let address = endpoint.endpoint.address.socketAddress
                #expect((1...65535).contains(address.portValue), "\(assignment.clusterName)")
                #expect(KubernetesValues.isIP(address.address), "\(assignment.clusterName): \(address.address)")
            }
        }
    }

    @Test func aBadPortOfAServiceDropsThatPortOnly() {
        let resources = Self.resources(kind: .sidecar)
        let clusters = Set(resources.clusters.map(\.name))
        #expect(clusters.contains("outbound|8080||huge.default.svc.cluster.local"), "the valid port is still served")
        #expect(!clusters.contains { $0.hasPrefix("outbound|99999999|") || $0.hasPrefix("outbound|-80|") })
        #expect(clusters.filter { $0.hasPrefix("outbound|8080||huge") }.count == 1, "a repeated port number is left out")
        #expect(resources.findings.contains { $0.contains("Service default/huge: spec.ports[0].port left out: Invalid value: 99999999") }, "\(resources.findings)")
        #expect(resources.findings.contains { $0.contains("Service default/huge: spec.clusterIP left out") }, "\(resources.findings)")
        #expect(!resources.listeners.contains { $0.name.contains("::zz") }, "a bad cluster IP never names a listener")
    }

    @Test func aBadEndpointDropsThatEndpointOnly() {
        let resources = Self.resources(kind: .sidecar)
        let reviews = resources.endpoints.first { $0.clusterName == "outbound|9080||reviews.default.svc.cluster.local" }
        let addresses = Set(reviews?.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.address) ?? [])
        #expect(addresses == ["10.1.0.1", "10.1.0.2", "10.1.0.8"], "the slice with port -5 and the bad addresses are left out")
        #expect(resources.findings.contains { $0.contains("EndpointSlice default/reviews-negative: ports[0].port left out") }, "\(resources.findings)")
        #expect(resources.findings.contains { $0.contains("EndpointSlice default/reviews-addresses: endpoints[0].addresses[0] left out") })
    }

    /// Found by the property test: `tls: {}` on an HTTPS server sent Envoy a TlsCertificate with
    /// empty file names, and Envoy rejected the whole listener update.
    @Test func aTerminatingServerWithoutACertificateIsLeftOut() {
        let resources = RouteFixtures.gateway("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: web, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: ["*"]
                tls: {}
            """)
        #expect(resources.listeners.map(\.name) == ["0.0.0.0_8080"], "the plain HTTP server is still served")
        #expect(resources.findings.contains { $0.contains("spec.servers[1]") && $0.contains("terminating TLS needs credentialName") }, "\(resources.findings)")
    }

    /// A credential whose key belongs to another certificate is not served, and the server naming it says why.
    @Test func aCredentialThatDoesNotParseIsNotServed() throws {
        let certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        let resources = RouteFixtures.gateway("""
            apiVersion: v1
            kind: Secret
            metadata: {name: bad-credential, namespace: istio-system}
            type: kubernetes.io/tls
            data: {tls.crt: \(Data(certificate.utf8).base64EncodedString()), tls.key: \(Data(key.utf8).base64EncodedString())}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: web, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: ["*"]
                tls: {mode: SIMPLE, credentialName: bad-credential}
            """)
        #expect(resources.secrets.isEmpty, "the credential is not served")
        #expect(resources.listeners.isEmpty)
        #expect(resources.findings.contains { $0.contains(#"credentialName bad-credential: Secret data["tls.crt"]: PEM block 1 is not an X.509 certificate"#) }, "\(resources.findings)")
    }

    /// Found by the property test: `abort: {}` sent Envoy a FaultAbort without an error type, and
    /// Envoy rejected the route configuration.
    @Test func anAbortWithoutAnErrorTypeIsNotSent() throws {
        let fault = try #require(FaultTranslator.perRouteConfig(HTTPFaultInjection(delay: nil, abort: HTTPFaultInjection.Abort())))
        let config = try Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault(unpackingAny: fault)
        #expect(!config.hasAbort)
    }
}
