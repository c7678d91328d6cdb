import CoxswainTestSupport
import Foundation
import MeshAPI
import Testing
import Translator

/// Field by field, the values of Istio's API that Envoy's own rules (protoc-gen-validate
/// annotations and the checks Envoy makes when it loads a resource) constrain: each case adds
/// one object with one such value at its edge to the sample mesh. Either validation refuses it
/// where it enters (an error finding with the field path), or a real Envoy, as gateway and as
/// sidecar, ACKs the update. No case may reach Envoy and be rejected (issue #15: "every value
/// that reaches Envoy is checked where it enters").
@Suite(.serialized) struct EnvoyValueRuleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// What Envoy requires of the value, from its `.proto` rules or its loader.
        var rule: String
        /// The object, YAML, in the sample mesh's namespaces and hosts.
        var yaml: String
        /// Where validation must refuse it when it does (nil: either outcome, Envoy decides).
        var refusedAt: String?
        var testDescription: String { name }
    }

    static func virtualService(_ http: String, name: String = "edge") -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: \(name), namespace: default}
        spec:
          hosts: [ratings]
          gateways: [mesh, istio-system/bookinfo-gateway]
          http:
          - \(http)
            route:
            - destination: {host: ratings}
        """
    }

    /// A VirtualService whose one HTTP rule is `rule` alone (a redirect or a direct response: no route).
    static func virtualServiceRule(_ rule: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: edge, namespace: default}
        spec:
          hosts: [ratings]
          http:
          - \(rule)
        """
    }

    static func destinationRule(_ trafficPolicy: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: edge, namespace: default}
        spec:
          host: ratings
          trafficPolicy: \(trafficPolicy)
        """
    }

    static func gatewayServer(_ server: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - \(server)
        ---
        \(edgeCredential)
        """
    }

    /// A TLS Secret with a CA, so MUTUAL servers are translated.
    static let edgeCredential: String = {
        let pair = TestCredentials.credential(for: "edge-credential")
        func encoded(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        return """
            apiVersion: v1
            kind: Secret
            metadata: {name: edge-credential, namespace: istio-system}
            type: kubernetes.io/tls
            data: {tls.crt: \(encoded(pair.certificate)), tls.key: \(encoded(pair.key)), ca.crt: \(encoded(pair.ca))}
            """
    }()

    static let long = String(repeating: "x", count: 17_000)

    static let cases: [Case] = [
        // Route matches.
        Case(name: "header prefix match empty", rule: "StringMatcher.prefix: min_len 1",
             yaml: virtualService("match: [{headers: {x-canary: {prefix: \"\"}}}]")),
        Case(name: "query parameter prefix match empty", rule: "StringMatcher.prefix: min_len 1",
             yaml: virtualService("match: [{queryParams: {v: {prefix: \"\"}}}]")),
        Case(name: "authority prefix match empty", rule: "StringMatcher.prefix: min_len 1",
             yaml: virtualService("match: [{authority: {prefix: \"\"}}]")),
        Case(name: "withoutHeaders prefix match empty", rule: "StringMatcher.prefix: min_len 1",
             yaml: virtualService("match: [{withoutHeaders: {x-canary: {prefix: \"\"}}}]")),
        Case(name: "header match name too long", rule: "HeaderMatcher.name: max_bytes 16384",
             yaml: virtualService("match: [{headers: {? \(long) : {exact: a}}}]"), refusedAt: "spec.http[0].match[0].headers"),
        Case(name: "uri exact empty", rule: "RouteMatch.path",
             yaml: virtualService("match: [{uri: {exact: \"\"}}]")),
        Case(name: "uri prefix without slash", rule: "RouteMatch.prefix",
             yaml: virtualService("match: [{uri: {prefix: \"api\"}}]")),
        Case(name: "exact header value with NUL", rule: "StringMatcher.exact (no NUL in header values)",
             yaml: virtualService("match: [{headers: {x-a: {exact: \"a\\0b\"}}}]")),
        // Header operations.
        Case(name: "set header name with a colon inside", rule: "HeaderValue.key: HTTP_HEADER_NAME",
             yaml: virtualService("headers: {request: {set: {\"x:y\": a}}}"), refusedAt: "spec.http[0].headers.request.set[\"x:y\"]"),
        Case(name: "set header name with a space", rule: "HeaderValue.key: HTTP_HEADER_NAME",
             yaml: virtualService("headers: {request: {set: {\"x y\": a}}}"), refusedAt: "spec.http[0].headers.request.set[\"x y\"]"),
        Case(name: "set header name too long", rule: "HeaderValue.key: max_bytes 16384",
             yaml: virtualService("headers: {response: {set: {? \(long) : a}}}"), refusedAt: "spec.http[0].headers.response.set"),
        Case(name: "set header value too long", rule: "HeaderValue.value: max_bytes 16384",
             yaml: virtualService("headers: {response: {set: {x-a: \(long)}}}"), refusedAt: "spec.http[0].headers.response.set[\"x-a\"]"),
        Case(name: "remove header name with a newline", rule: "request_headers_to_remove: HTTP_HEADER_NAME",
             yaml: virtualService("headers: {request: {remove: [\"x\\nb\"]}}"), refusedAt: "spec.http[0].headers.request.remove[0]"),
        Case(name: "route destination set header with a space", rule: "HeaderValue.key: HTTP_HEADER_NAME",
             yaml: """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: edge, namespace: default}
                spec:
                  hosts: [ratings]
                  http:
                  - route:
                    - destination: {host: ratings}
                      headers: {request: {add: {"a b": c}}}
                """, refusedAt: "spec.http[0].route[0].headers.request.add[\"a b\"]"),
        // Durations and numbers.
        Case(name: "timeout at the largest duration", rule: "Duration: seconds ≤ 315576000000; Envoy converts to ms",
             yaml: virtualService("timeout: 9223372036s")),
        Case(name: "retry perTryTimeout at the largest duration", rule: "Duration range",
             yaml: virtualService("retries: {attempts: 2, perTryTimeout: 9223372036s}")),
        Case(name: "retry attempts huge", rule: "RetryPolicy.num_retries: UInt32",
             yaml: virtualService("retries: {attempts: 2147483647}")),
        Case(name: "fault delay at the largest duration", rule: "FaultDelay.fixed_delay: gt 0",
             yaml: virtualService("fault: {delay: {fixedDelay: 9223372036s, percentage: {value: 100}}}")),
        Case(name: "fault abort status 99", rule: "FaultAbort.http_status: [200, 600)",
             yaml: virtualService("fault: {abort: {httpStatus: 99, percentage: {value: 1}}}"), refusedAt: "spec.http[0].fault.abort.httpStatus"),
        Case(name: "fault abort status 600", rule: "FaultAbort.http_status: [200, 600)",
             yaml: virtualService("fault: {abort: {httpStatus: 600, percentage: {value: 1}}}"), refusedAt: "spec.http[0].fault.abort.httpStatus"),
        Case(name: "fault abort status 100", rule: "FaultAbort.http_status: [200, 600)",
             yaml: virtualService("fault: {abort: {httpStatus: 100, percentage: {value: 1}}}"), refusedAt: "spec.http[0].fault.abort.httpStatus"),
        Case(name: "fault abort grpc status huge", rule: "FaultAbort.grpc_status: UInt32",
             yaml: virtualService("fault: {abort: {grpcStatus: \"99999999999\", percentage: {value: 1}}}")),
        Case(name: "cors maxAge at the largest duration", rule: "CorsPolicy.max_age: string of seconds",
             yaml: virtualService("corsPolicy: {allowOrigins: [{exact: \"https://a.example\"}], maxAge: 9223372036s}")),
        Case(name: "cors allowOrigin prefix empty", rule: "StringMatcher.prefix: min_len 1",
             yaml: virtualService("corsPolicy: {allowOrigins: [{prefix: \"\"}]}")),
        Case(name: "mirror percentage 100", rule: "RuntimeFractionalPercent numerator ≤ denominator",
             yaml: virtualService("mirror: {host: reviews}\n    mirrorPercentage: {value: 100}")),
        // Redirects, rewrites and direct responses.
        Case(name: "redirect code 299", rule: "RedirectAction.response_code: defined enum",
             yaml: virtualServiceRule("redirect: {uri: /x, redirectCode: 299}"), refusedAt: "spec.http[0].redirect.redirectCode"),
        Case(name: "redirect code 306", rule: "RedirectAction.response_code: defined enum",
             yaml: virtualServiceRule("redirect: {uri: /x, redirectCode: 306}")),
        Case(name: "redirect authority with a newline", rule: "RedirectAction.host_redirect: HTTP_HEADER_VALUE",
             yaml: virtualServiceRule("redirect: {authority: \"a\\nb\"}"), refusedAt: "spec.http[0].redirect.authority"),
        Case(name: "redirect uri with a newline", rule: "RedirectAction.path_redirect: HTTP_HEADER_VALUE",
             yaml: virtualServiceRule("redirect: {uri: \"/a\\nb\"}"), refusedAt: "spec.http[0].redirect.uri"),
        Case(name: "rewrite authority with a newline", rule: "RouteAction.host_rewrite_literal: HTTP_HEADER_VALUE",
             yaml: virtualService("rewrite: {authority: \"a\\nb\"}"), refusedAt: "spec.http[0].rewrite.authority"),
        Case(name: "rewrite uri with a newline", rule: "RouteAction.prefix_rewrite: HTTP_HEADER_VALUE",
             yaml: virtualService("rewrite: {uri: \"/a\\nb\"}"), refusedAt: "spec.http[0].rewrite.uri"),
        Case(name: "direct response status 99", rule: "DirectResponseAction.status: [100, 600)",
             yaml: virtualServiceRule("directResponse: {status: 99}"), refusedAt: "spec.http[0].directResponse.status"),
        Case(name: "direct response status 600", rule: "DirectResponseAction.status: [100, 600)",
             yaml: virtualServiceRule("directResponse: {status: 600}"), refusedAt: "spec.http[0].directResponse.status"),
        Case(name: "direct response body over Envoy's default limit", rule: "DirectResponseAction.body: Envoy's max_direct_response_body_size_bytes (4096 by default)",
             yaml: virtualServiceRule("directResponse: {status: 200, body: {string: \(String(repeating: "y", count: 5000))}}")),
        // Load balancing.
        Case(name: "ring hash minimum ring size huge", rule: "RingHashLbConfig.minimum_ring_size: lte 8388608",
             yaml: destinationRule("{loadBalancer: {consistentHash: {httpHeaderName: x-user, minimumRingSize: 9999999999}}}")),
        Case(name: "ring hash ring size beyond Envoy's maximum", rule: "RingHashLbConfig.minimum_ring_size: lte 8388608",
             yaml: destinationRule("{loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 8388609}}}}")),
        Case(name: "maglev table size not prime", rule: "Maglev.table_size: a prime ≤ 5000011",
             yaml: destinationRule("{loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1000}}}}"),
             refusedAt: "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize"),
        Case(name: "maglev table size too large", rule: "Maglev.table_size: a prime ≤ 5000011",
             yaml: destinationRule("{loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 5000101}}}}"),
             refusedAt: "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize"),
        Case(name: "hash header name with a space", rule: "HashPolicy.Header.header_name: HTTP_HEADER_NAME",
             yaml: destinationRule("{loadBalancer: {consistentHash: {httpHeaderName: \"x user\"}}}"),
             refusedAt: "spec.trafficPolicy.loadBalancer.consistentHash.httpHeaderName"),
        Case(name: "hash cookie name empty", rule: "HashPolicy.Cookie.name: min_len 1",
             yaml: destinationRule("{loadBalancer: {consistentHash: {httpCookie: {name: \"\", ttl: 0s}}}}"),
             refusedAt: "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name"),
        Case(name: "hash query parameter name empty", rule: "HashPolicy.QueryParameter.name: min_len 1",
             yaml: destinationRule("{loadBalancer: {consistentHash: {httpQueryParameterName: \"\"}}}"),
             refusedAt: "spec.trafficPolicy.loadBalancer.consistentHash.httpQueryParameterName"),
        Case(name: "warmup duration huge", rule: "SlowStartConfig.slow_start_window",
             yaml: destinationRule("{loadBalancer: {simple: LEAST_REQUEST, warmupDurationSecs: 9223372036s}}")),
        Case(name: "locality distribute weights not 100", rule: "LocalityLbConfig",
             yaml: destinationRule("{loadBalancer: {localityLbSetting: {distribute: [{from: \"r1/*\", to: {\"r1/*\": 50}}]}}, outlierDetection: {consecutive5xxErrors: 3}}"),
             refusedAt: "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to"),
        // Connection pool and outlier detection.
        Case(name: "connect timeout 0", rule: "Cluster.connect_timeout: gt 0",
             yaml: destinationRule("{connectionPool: {tcp: {connectTimeout: 0s}}}"), refusedAt: "spec.trafficPolicy.connectionPool.tcp.connectTimeout"),
        Case(name: "keepalive time huge", rule: "TcpKeepalive.keepalive_time: UInt32",
             yaml: destinationRule("{connectionPool: {tcp: {tcpKeepalive: {time: 9223372036s, interval: 9223372036s, probes: 4294967295}}}}")),
        Case(name: "http idle timeout huge", rule: "HttpProtocolOptions.idle_timeout",
             yaml: destinationRule("{connectionPool: {http: {idleTimeout: 9223372036s, maxRequestsPerConnection: 2147483647, http2MaxRequests: 2147483647}}}")),
        Case(name: "max concurrent streams beyond HTTP/2", rule: "Http2ProtocolOptions.max_concurrent_streams: [1, 2147483647]",
             yaml: destinationRule("{connectionPool: {http: {h2UpgradePolicy: UPGRADE, maxConcurrentStreams: 2147483647}}}")),
        Case(name: "outlier max ejection percent 200", rule: "OutlierDetection.max_ejection_percent: lte 100",
             yaml: destinationRule("{outlierDetection: {consecutive5xxErrors: 3, maxEjectionPercent: 200}}"),
             refusedAt: "spec.trafficPolicy.outlierDetection.maxEjectionPercent"),
        Case(name: "outlier min health percent 200", rule: "min_health_percent",
             yaml: destinationRule("{outlierDetection: {consecutive5xxErrors: 3, minHealthPercent: 200}}"),
             refusedAt: "spec.trafficPolicy.outlierDetection.minHealthPercent"),
        Case(name: "outlier interval largest", rule: "OutlierDetection.interval: gt 0",
             yaml: destinationRule("{outlierDetection: {consecutive5xxErrors: 3, interval: 9223372036s, baseEjectionTime: 9223372036s}}")),
        Case(name: "upstream tls sni with a space", rule: "UpstreamTlsContext.sni: max_bytes 255, a host name",
             yaml: destinationRule("{tls: {mode: SIMPLE, sni: \"a b\"}}")),
        Case(name: "upstream tls sni too long", rule: "UpstreamTlsContext.sni: max_bytes 255",
             yaml: destinationRule("{tls: {mode: SIMPLE, sni: \(String(repeating: "a", count: 256))}}"), refusedAt: "spec.trafficPolicy.tls.sni"),
        Case(name: "upstream tls san without a CA", rule: "SAN-based verification needs a trusted CA (the system roots stand in)",
             yaml: destinationRule("{tls: {mode: SIMPLE, subjectAltNames: [ratings.example]}}")),
        Case(name: "timeout of ten years", rule: "Duration range; Envoy converts to ms",
             yaml: virtualService("timeout: 315360000s\n    retries: {attempts: 3, perTryTimeout: 0.001s}")),
        Case(name: "outlier interval 1ms", rule: "OutlierDetection.interval: gt 0",
             yaml: destinationRule("{outlierDetection: {consecutive5xxErrors: 3, interval: 0.001s, baseEjectionTime: 315360000s}}")),
        Case(name: "direct response body of 1 MiB", rule: "RouteConfiguration.max_direct_response_body_size_bytes raised for it",
             yaml: virtualServiceRule("directResponse: {status: 200, body: {string: \(String(repeating: "z", count: 1024 * 1024))}}")),
        Case(name: "upstream tls san empty", rule: "SubjectAltNameMatcher",
             yaml: destinationRule("{tls: {mode: SIMPLE, subjectAltNames: [\"\"]}}")),
        // Gateway servers.
        Case(name: "tls cipher suite unknown", rule: "TlsParameters.cipher_suites: names BoringSSL knows",
             yaml: gatewayServer("{port: {number: 443, name: https-edge, protocol: HTTPS}, hosts: [edge.example], tls: {mode: SIMPLE, credentialName: edge-credential, cipherSuites: [NOT-A-CIPHER]}}")),
        Case(name: "tls min version above max", rule: "TlsParameters: minimum ≤ maximum",
             yaml: gatewayServer("{port: {number: 443, name: https-edge, protocol: HTTPS}, hosts: [edge.example], tls: {mode: SIMPLE, credentialName: edge-credential, minProtocolVersion: TLSV1_3, maxProtocolVersion: TLSV1_2}}"),
             refusedAt: "spec.servers[0].tls"),
        Case(name: "tls SAN verification empty", rule: "SubjectAltNameMatcher",
             yaml: gatewayServer("{port: {number: 443, name: https-edge, protocol: HTTPS}, hosts: [edge.example], tls: {mode: MUTUAL, credentialName: edge-credential, subjectAltNames: [\"\"]}}")),
        Case(name: "tls hash verification not hex", rule: "CertificateValidationContext.verify_certificate_hash: hex SHA-256",
             yaml: gatewayServer("{port: {number: 443, name: https-edge, protocol: HTTPS}, hosts: [edge.example], tls: {mode: MUTUAL, credentialName: edge-credential, verifyCertificateHash: [zz]}}"),
             refusedAt: "spec.servers[0].tls.verifyCertificateHash[0]"),
        Case(name: "tls spki verification not base64", rule: "CertificateValidationContext.verify_certificate_spki: base64 SHA-256",
             yaml: gatewayServer("{port: {number: 443, name: https-edge, protocol: HTTPS}, hosts: [edge.example], tls: {mode: MUTUAL, credentialName: edge-credential, verifyCertificateSpki: [\"!!\"]}}"),
             refusedAt: "spec.servers[0].tls.verifyCertificateSpki[0]"),
        Case(name: "wildcard gateway host answers on any port", rule: "VirtualHost.domains: `*.host:*`",
             yaml: """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: wild, namespace: istio-system}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - {port: {number: 80, name: http-wild, protocol: HTTP}, hosts: ["*.wild.example"]}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: wild, namespace: default}
                spec:
                  hosts: ["*.wild.example"]
                  gateways: [istio-system/wild]
                  http:
                  - route:
                    - destination: {host: ratings}
                """),
        Case(name: "gateway host with a space", rule: "VirtualHost.domains",
             yaml: gatewayServer("{port: {number: 80, name: http-edge, protocol: HTTP}, hosts: [\"a b.example\"]}"),
             refusedAt: "spec.servers[0].hosts[0]"),
    ]

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func samples() -> [MeshObject] {
        MeshDocumentDecoder().decode(paths: [repository.appendingPathComponent("config/samples")]).objects.map(\.object)
    }

    /// The case's objects and the error findings validation has for them, or the decoding errors.
    static func refusal(_ test: Case) -> (objects: [MeshObject], errors: [String]) {
        let decoded = MeshDocumentDecoder().decode(yaml: test.yaml, source: test.name)
        if !decoded.errors.isEmpty { return ([], decoded.errors.map { "\($0.fieldPath): \($0.message)" }) }
        let objects = decoded.objects.map(\.object)
        let errors = objects.flatMap(MeshValidator.validate).filter { $0.level == .error }.map { "\($0.fieldPath): \($0.message)" }
        return (objects, errors)
    }

    /// Installs the samples until both proxies ACK a generation of them.
    func restore(_ samples: [MeshObject], xds: InProcessXDS) async throws {
        for _ in 0..<5 {
            // A snapshot equal to the last accepted one pushes nothing; the reset forces new versions.
            _ = await xds.install(MeshSnapshot(objects: []))
            if case .synced = try await xds.waitForSync(generation: await xds.install(MeshSnapshot(objects: samples)), proxies: 2) { return }
        }
        Issue.record("the proxies did not come back to the samples")
    }

    @Test func everyEdgeValueIsRefusedWhereItEntersOrAcceptedByRealEnvoy() async throws {
        let samples = Self.samples()
        #expect(samples.count > 20)
        try await InProcessXDS.run(MeshSnapshot(objects: samples)) { xds in
            try await EnvoyProcess.run(xds: xds.socketPath, as: .gateway) { gatewayEnvoy in
                try await EnvoyProcess.run(xds: xds.socketPath, as: .sidecar, delta: true) { sidecarEnvoy in
                    if case .rejected(let nack) = try await xds.waitForSync(generation: await xds.cache.generation, proxies: 2) {
                        Issue.record("the samples alone were rejected: \(nack.message)")
                        return
                    }
                    var refused: [String] = []
                    var installed = 0
                    for test in Self.cases {
                        let (objects, errors) = Self.refusal(test)
                        if let path = test.refusedAt {
                            #expect(errors.contains { $0.hasPrefix(path) }, "\(test.name) (\(test.rule)): expected an error at \(path), got \(errors)")
                        }
                        if !errors.isEmpty { refused.append("\(test.name): \(errors.first!.prefix(160))") }
                        // An invalid object is left out of translation (MeshIndex); a valid one must be taken by Envoy.
                        guard errors.isEmpty, !objects.isEmpty else { continue }
                        installed += 1
                        let generation = await xds.install(MeshSnapshot(objects: samples + objects))
                        if case .rejected(let nack) = try await xds.waitForSync(generation: generation, proxies: 2) {
                            Issue.record("\(test.name) (\(test.rule)) reached Envoy and was rejected: \(nack.message.prefix(400))")
                            // Back to the samples (a new generation with an accepted state), so the next case starts clean.
                            try await restore(samples, xds: xds)
                        }
                    }
                    print("EnvoyValueRuleTests: \(refused.count) of \(Self.cases.count) refused where they enter:\n  " + refused.joined(separator: "\n  "))
                    #expect(installed + refused.count == Self.cases.count && installed >= 10, "\(installed) cases reached Envoy")
                    for (role, envoy) in [("gateway", gatewayEnvoy), ("sidecar", sidecarEnvoy)] {
                        let rejected = try envoy.rejections()
                        #expect(rejected.isEmpty, "the \(role) Envoy rejected updates: \(rejected)")
                    }
                }
            }
        }
    }
}
