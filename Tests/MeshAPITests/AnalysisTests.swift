import Foundation
import KubernetesAPI
import Testing
@testable import MeshAPI

/// Cross-object analysis: every code, with a case that fires and one that does not.
@Suite struct AnalysisTests {
    /// A small mesh: reviews (v1, v2 pods; one port), ratings (two ports), an ingress
    /// gateway workload with its Service and TLS Secret.
    static let base = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: default}
        spec:
          selector: {app: reviews}
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: default}
        spec:
          selector: {app: ratings}
          ports: [{name: http, port: 9080}, {name: grpc, port: 9090}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
        spec: {nodeName: node-a}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v2, namespace: default, labels: {app: reviews, version: v2}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: ratings-v1, namespace: default, labels: {app: ratings, version: v1}}
        ---
        apiVersion: v1
        kind: Node
        metadata: {name: node-a, labels: {topology.kubernetes.io/zone: zone-a}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: ingress, namespace: istio-system, labels: {istio: ingressgateway}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: istio-ingressgateway, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          ports: [{name: http2, port: 80, targetPort: 8080}, {name: https, port: 443, targetPort: 8443}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: ingress, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*/bookinfo.example.com"]
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: ["*/bookinfo.example.com"]
            tls: {mode: SIMPLE, credentialName: bookinfo-cert}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: bookinfo-cert, namespace: istio-system}
        type: kubernetes.io/tls
        stringData:
          tls.crt: "\(TestCredential.quoted(TestCredential.certificate))"
          tls.key: "\(TestCredential.quoted(TestCredential.key))"

        """

    static func analyze(_ extra: String) -> [AnalysisFinding] {
        let result = MeshDocumentDecoder().decode(yaml: base + "---\n" + extra, source: "test.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        return MeshAnalyzer.analyze(MeshSnapshot(decoded: result.objects))
    }

    static func codes(_ findings: [AnalysisFinding]) -> [String] { findings.map(\.type.code) }

    @Test func cleanMeshHasNoFindings() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 90}
                - {destination: {host: reviews, subset: v2}, weight: 10}
            """)
        #expect(findings.isEmpty, "\(findings)")
    }

    @Test func missingHostSubsetGatewayAndPortAreReferencedResourceNotFound() throws {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: broken, namespace: default}
            spec:
              hosts: [reviews.example.com]
              gateways: [missing-gateway, istio-system/ingress]
              http:
              - route:
                - {destination: {host: reviewz}}
                - {destination: {host: reviews, subset: v4}, weight: 0}
                - {destination: {host: reviews, port: {number: 9999}}, weight: 0}
                mirror: {host: ghost}
            """)
        let notFound = findings.filter { $0.type == .referencedResourceNotFound }
        #expect(notFound.map(\.message).sorted() == [
            #"Referenced gateway not found: "missing-gateway""#,
            #"Referenced host not found: "reviewz""#,
            #"Referenced host+subset in destinationrule not found: "reviews+v4""#,
            #"Referenced host:port not found: "reviews:9999""#,
            #"Referenced mirror host not found: "ghost""#,
        ])
        let subset = try #require(notFound.first { $0.message.contains("v4") })
        #expect(subset.fieldPath == "spec.http[0].route[1].destination.subset")
        #expect(subset.level == .error)
        #expect(findings.contains { $0.type == .virtualServiceHostNotFoundInGateway && $0.message.contains("[reviews.example.com]") })
    }

    @Test func multiPortDestinationNeedsAPort() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings, namespace: default}
            spec:
              hosts: [ratings]
              http:
              - route: [{destination: {host: ratings}}]
              - route: [{destination: {host: ratings, port: {number: 9090}}}]
            """)
        let required = findings.filter { $0.type == .virtualServiceDestinationPortSelectorRequired }
        #expect(required.count == 1)
        #expect(required.first?.fieldPath == "spec.http[0].route[0].destination")
        #expect(required.first?.message.contains("multiple ports [9080 9090]") == true)
    }

    @Test func twoMeshVirtualServicesForOneHostConflict() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: a, namespace: default}
            spec:
              hosts: [reviews]
              http: [{route: [{destination: {host: reviews}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: b, namespace: default}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              http: [{route: [{destination: {host: reviews}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: c, namespace: default}
            spec:
              hosts: [reviews]
              gateways: [istio-system/ingress]
              http: [{route: [{destination: {host: reviews}}]}]
            """)
        let conflicts = findings.filter { $0.type == .conflictingMeshGatewayVirtualServiceHosts }
        #expect(conflicts.compactMap(\.name).sorted() == ["a", "b"])
        #expect(conflicts.first?.message.contains("default/a,default/b") == true)
    }

    @Test func invalidRegexIsReportedWithItsField() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: regex, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - match: [{headers: {end-user: {regex: "(?=jason)"}}}]
                route: [{destination: {host: reviews}}]
            """)
        let regex = findings.filter { $0.type == .invalidRegexp }
        #expect(regex.count == 1)
        #expect(regex.first?.fieldPath == #"spec.http[0].match[0].headers["end-user"].regex"#)
        // Validation rejects it too, as Istio's webhook does.
        #expect(findings.contains { $0.type == .schemaValidationError })
    }

    @Test func unreachableAndIneffectiveRulesGetTheirCodes() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: order, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - match: [{uri: {exact: /a}}]
                route: [{destination: {host: reviews}}]
              - match: [{uri: {exact: /a}}, {uri: {exact: /b}}]
                route: [{destination: {host: reviews}}]
              - route: [{destination: {host: reviews}}]
              - route: [{destination: {host: reviews}}]
            """)
        #expect(findings.contains { $0.type == .virtualServiceIneffectiveMatch && $0.level == .info && $0.fieldPath == "spec.http[1].match[0]" })
        #expect(findings.contains { $0.type == .virtualServiceUnreachableRule && $0.fieldPath == "spec.http[3]" })
    }

    @Test func weightsThatDoNotSumTo100AreInformational() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: weights, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 3}
                - {destination: {host: reviews, subset: v2}, weight: 1}
            """)
        let weights = findings.filter { $0.type == .weightsDoNotSumTo100 }
        #expect(weights.count == 1)
        #expect(weights.first?.level == .info)
        #expect(weights.first?.message.contains("75/25") == true)
        #expect(!findings.contains { $0.level == .error })
    }

    @Test func destinationRuleHostsAndSubsets() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: typo, namespace: default}
            spec: {host: reveiws}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews-extra, namespace: default}
            spec:
              host: reviews.default.svc.cluster.local
              subsets:
              - {name: v4, labels: {version: v4}}
              - {name: zoned, labels: {topology.kubernetes.io/zone: zone-a}}
            """)
        #expect(findings.contains { $0.type == .unknownDestinationRuleHost && $0.name == "typo" && $0.message.contains("reveiws") })
        let subsets = findings.filter { $0.type == .destinationRuleSubsetNotSelectPods }
        #expect(subsets.map(\.fieldPath) == ["spec.subsets[0]"], "a subset on a node's topology label selects the pod on that node")
        #expect(subsets.first?.level == .error)
        #expect(findings.filter { $0.type == .multipleDestinationRulesForHost }.compactMap(\.name).sorted() == ["reviews", "reviews-extra"])
    }

    @Test func tlsOriginationWithoutCAIsFlagged() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings, namespace: default}
            spec:
              host: ratings
              trafficPolicy:
                tls: {mode: SIMPLE}
                portLevelSettings:
                - port: {number: 9090}
                  tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem}
                - port: {number: 9080}
                  tls: {mode: SIMPLE, caCertificates: /ca.pem}
            """)
        #expect(findings.filter { $0.type == .noServerCertificateVerificationDestinationLevel }.count == 1)
        let port = findings.filter { $0.type == .noServerCertificateVerificationPortLevel }
        #expect(port.map(\.fieldPath) == ["spec.trafficPolicy.portLevelSettings[0].tls"])
        #expect(port.first?.message.hasSuffix("at port 9090") == true)
    }

    @Test func gatewaySelectorPortsConflictsAndCredentials() {
        let findings = Self.analyze("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: nobody, namespace: default}
            spec:
              selector: {istio: egressgateway}
              servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: rival, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: ["*.example.com"]
                tls: {mode: SIMPLE, credentialName: bookinfo-cert}
              - port: {number: 8081, name: http-extra, protocol: HTTP}
                hosts: ["extra.example.com"]
              - port: {number: 8443, name: https-missing, protocol: HTTPS}
                hosts: ["other.example.com"]
                tls: {mode: SIMPLE, credentialName: no-such-secret}
            """)
        #expect(findings.contains { $0.type == .referencedResourceNotFound && $0.name == "nobody" && $0.message == #"Referenced selector not found: "istio=egressgateway""# })
        let ports = findings.filter { $0.type == .gatewayPortNotDefinedOnService }
        #expect(ports.map(\.fieldPath) == ["spec.servers[1].port"], "8443 is a targetPort of the gateway Service, 8081 is not exposed at all")
        let conflicts = findings.filter { $0.type == .conflictingGateways }
        #expect(conflicts.compactMap(\.name).sorted() == ["ingress", "rival"])
        #expect(conflicts.first { $0.name == "rival" }?.message.contains("port 443") == true)
        #expect(findings.filter { $0.type == .gatewayDuplicateCertificate }.count == 2)
        #expect(findings.contains { $0.type == .referencedResourceNotFound && $0.message == #"Referenced credentialName not found: "no-such-secret""# })
    }

    @Test func unusableCredentialIsInvalidGatewayCredential() {
        let findings = Self.analyze("""
            apiVersion: v1
            kind: Secret
            metadata: {name: half, namespace: istio-system}
            type: kubernetes.io/tls
            stringData: {tls.crt: "not a certificate"}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: mtls, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https-half, protocol: HTTPS}
                hosts: ["half.example.com"]
                tls: {mode: SIMPLE, credentialName: half}
              - port: {number: 443, name: https-mutual, protocol: HTTPS}
                hosts: ["mutual.example.com"]
                tls: {mode: MUTUAL, credentialName: bookinfo-cert}
            """)
        let invalid = findings.filter { $0.type == .invalidGatewayCredential }
        #expect(invalid.map(\.fieldPath) == ["spec.servers[0].tls.credentialName", "spec.servers[1].tls.credentialName"],
                "a Secret without a key, and MUTUAL without a CA, are both unusable")
    }

    @Test func findingsPrintLikeIstioctl() {
        let finding = AnalysisFinding(.referencedResourceNotFound, kind: .virtualService, namespace: "default", name: "reviews",
                                      fieldPath: "spec.gateways[0]", message: #"Referenced gateway not found: "x""#)
        #expect(finding.description == #"Error [IST0101] (VirtualService/default/reviews spec.gateways[0]) Referenced gateway not found: "x""#)
        #expect(AnalysisMessageType.destinationRuleSubsetNotSelectPods.documentationURL == "https://istio.io/latest/docs/reference/config/analysis/ist0173/")
    }
}

/// A snapshot built from objects whose validation is already known (as the operator caches it per
/// resourceVersion) hands that validation to analysis instead of validating again.
@Suite struct KnownValidationTests {
    @Test func analysisReadsTheValidationHandedIn() {
        var virtualService = VirtualService(metadata: ObjectMeta(name: "reviews", namespace: "default"))
        virtualService.spec.hosts = ["reviews"]
        let object = MeshObject.virtualService(virtualService)

        let handedIn = ValidationFinding(level: .error, kind: .virtualService, namespace: "default", name: "reviews",
                                         fieldPath: "spec.hosts[0]", message: "recorded when it was decoded")
        let known = MeshSnapshot(validated: [(object: object, findings: [handedIn])])
        #expect(known.validation(of: object) == [handedIn])
        #expect(MeshAnalyzer.analyze(known).contains { $0.message.contains("recorded when it was decoded") })

        let plain = MeshSnapshot(objects: [object])
        #expect(plain.validation(of: object) == MeshValidator.validate(object))
        #expect(!MeshAnalyzer.analyze(plain).contains { $0.message.contains("recorded when it was decoded") })
    }
}
