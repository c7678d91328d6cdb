import Crypto
import Foundation
import Testing
import X509
@testable import MeshAPI

/// Services, EndpointSlices, Pods and Secrets are checked for every value that reaches Envoy,
/// with kube-apiserver's messages and field paths (issue #15, items 1 and 2).
@Suite struct KubernetesValueTests {
    static func findings(_ yaml: String) -> [ValidationFinding] {
        let decoded = decodeYAML(yaml)
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        return decoded.objects.flatMap { MeshValidator.validate($0.object) }
    }

    static func paths(_ findings: [ValidationFinding]) -> [String] { findings.errors.map(\.fieldPath) }

    @Test func negativeAndHugeServicePortsAreErrorsAtTheirFieldPaths() {
        let found = Self.findings("""
            apiVersion: v1
            kind: Service
            metadata: {name: huge, namespace: default}
            spec:
              ports:
              - {name: http, port: -80, targetPort: 0}
              - {name: tcp, port: 99999999, nodePort: 70000}
              - {name: http-ok, port: 8080, targetPort: "not_a port"}
              - {name: dup, port: 8080}
            """)
        #expect(Self.paths(found) == ["spec.ports[0].port", "spec.ports[0].targetPort", "spec.ports[1].port", "spec.ports[1].nodePort",
                                      "spec.ports[2].targetPort", "spec.ports[3]"], "\(found)")
        #expect(found.first?.message == "Invalid value: -80: must be between 1 and 65535, inclusive")
        #expect(found.first?.kind == .service)
    }

    @Test func addressesAreCheckedPerAddressType() {
        let found = Self.findings("""
            apiVersion: v1
            kind: Service
            metadata: {name: bad-ip, namespace: default}
            spec: {clusterIP: "999.1.1.1", clusterIPs: ["::zz"], ports: [{port: 80}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s4, namespace: default, labels: {kubernetes.io/service-name: bad-ip}}
            addressType: IPv4
            endpoints: [{addresses: ["10.0.0.1", "999.1.1.1", "", "fd00::1"]}]
            ports: [{port: -5}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s6, namespace: default, labels: {kubernetes.io/service-name: bad-ip}}
            addressType: IPv6
            endpoints: [{addresses: ["fd00::1", "::zz", "10.0.0.1", "fe80::1%eth0"]}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: default}
            status: {podIP: "10.0.0.256", podIPs: [{ip: "10.0.0.1"}, {ip: "x"}]}
            """)
        #expect(Self.paths(found) == [
            "spec.clusterIP", "spec.clusterIPs[0]",
            "endpoints[0].addresses[1]", "endpoints[0].addresses[2]", "endpoints[0].addresses[3]", "ports[0].port",
            "endpoints[0].addresses[1]", "endpoints[0].addresses[2]", "endpoints[0].addresses[3]",
            "status.podIP", "status.podIPs[1].ip",
        ], "\(found)")
    }

    @Test func validObjectsHaveNoFindings() {
        let found = Self.findings("""
            apiVersion: v1
            kind: Service
            metadata: {name: ok, namespace: default}
            spec: {clusterIP: "10.0.0.1", clusterIPs: ["10.0.0.1", "fd00::a"], ports: [{name: http, port: 80, targetPort: http-web, nodePort: 30080}, {name: grpc, port: 81, targetPort: 8081}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: ok, namespace: default, labels: {kubernetes.io/service-name: ok}}
            addressType: IPv6
            endpoints: [{addresses: ["fd00::1", "::ffff:10.0.0.1"]}]
            ports: [{name: http, port: 8080}]
            """)
        #expect(found.isEmpty, "\(found)")
    }

    // MARK: Secrets

    static func selfSigned() throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("bookinfo.example.com") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(3600),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(),
            issuerPrivateKey: Certificate.PrivateKey(key))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    static func secret(_ data: [String: String]) -> Secret {
        Secret(metadata: .init(name: "credential", namespace: "istio-system"), type: Secret.tlsType,
               data: data.mapValues { Data($0.utf8).base64EncodedString() })
    }

    @Test func aMatchingCertificateAndKeyPass() throws {
        let pair = try Self.selfSigned()
        let found = MeshValidator.validate(.secret(Self.secret(["tls.crt": pair.certificate, "tls.key": pair.key, "ca.crt": pair.certificate])))
        #expect(found.isEmpty, "\(found)")
    }

    @Test func aKeyOfAnotherCertificateIsAnError() throws {
        let pair = try Self.selfSigned()
        let other = try Self.selfSigned()
        let found = MeshValidator.validate(.secret(Self.secret(["tls.crt": pair.certificate, "tls.key": other.key])))
        #expect(found.map(\.fieldPath) == [#"data["tls.key"]"#])
        #expect(found.first?.message == "the private key does not match the certificate's public key")
    }

    @Test func pemThatDoesNotParseIsAnError() throws {
        let pair = try Self.selfSigned()
        let truncated = String(pair.certificate.prefix(120)) + "\n-----END CERTIFICATE-----\n"
        let found = MeshValidator.validate(.secret(Self.secret(["tls.crt": truncated, "tls.key": "hello", "ca.crt": "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----"])))
        #expect(found.map(\.fieldPath) == [#"data["tls.crt"]"#, #"data["tls.key"]"#, #"data["ca.crt"]"#], "\(found)")
    }

    @Test func invalidBase64AndMissingKeysAreErrors() {
        var secret = Self.secret([:])
        secret.data = ["tls.crt": "%%%not base64"]
        let found = MeshValidator.validate(.secret(secret))
        #expect(found.map(\.fieldPath) == [#"data["tls.crt"]"#, #"data["tls.key"]"#], "\(found)")
        #expect(found.first?.message == "illegal base64 data")
    }
}
