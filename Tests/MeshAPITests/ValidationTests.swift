import Foundation
import KubernetesAPI
import Testing
@testable import MeshAPI

/// One file of the invalid corpus: the object and the error it must produce.
struct CorpusCase: Sendable, CustomTestStringConvertible {
    var file: String
    var testDescription: String { file }

    static func all() -> [CorpusCase] {
        let directory = Fixtures.url("invalid")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { CorpusCase(file: $0) }
    }

    /// Parses the `# expect: <field path>: <message substring>` header.
    func expectation() throws -> (path: String, message: String) {
        let text = try Fixtures.text("invalid/\(file)")
        guard let header = text.split(separator: "\n").first, header.hasPrefix("# expect: ") else {
            throw Failure("\(file) has no '# expect:' header")
        }
        let body = header.dropFirst("# expect: ".count)
        guard let separator = body.range(of: ": ") else { throw Failure("\(file): malformed expect header") }
        return (String(body[..<separator.lowerBound]), String(body[separator.upperBound...]))
    }
}

@Suite struct ValidationTests {
    @Test func corpusIsLargeEnough() {
        #expect(CorpusCase.all().count >= 60)
    }

    /// Every invalid object yields its recorded error (from decoding or validation), and nothing crashes.
    @Test(arguments: CorpusCase.all())
    func invalidCorpus(_ corpus: CorpusCase) throws {
        let (path, message) = try corpus.expectation()
        let result = MeshDocumentDecoder().decode(file: Fixtures.url("invalid/\(corpus.file)"))
        var reported = result.errors.map { ($0.fieldPath, $0.message) }
        for decoded in result.objects {
            reported += MeshValidator.validate(decoded.object).errors.map { ($0.fieldPath, $0.message) }
        }
        let matched = reported.contains { $0.0 == path && $0.1.contains(message) }
        #expect(matched, "expected \(path): \(message)\ngot: \(reported.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))")
    }

    @Test func bookinfoSamplesHaveNoFindings() {
        let result = MeshDocumentDecoder().decode(directory: Fixtures.url("bookinfo"))
        #expect(result.errors.isEmpty)
        let findings = MeshValidator.validate(result.objects.map(\.object))
        #expect(findings.isEmpty, "\(findings)")
    }

    @Test func everyFieldFixtureIsValid() {
        let result = MeshDocumentDecoder().decode(file: Fixtures.url("all-fields.yaml"))
        let findings = MeshValidator.validate(result.objects.map(\.object))
        #expect(findings.isValid, "\(findings.errors)")
        // Deprecated fields in the fixture are reported as warnings, not errors.
        let warnings = findings.warnings.map(\.fieldPath)
        #expect(warnings.contains("spec.http[2].mirror_percent"))
        #expect(warnings.contains("spec.trafficPolicy.portLevelSettings[0].outlierDetection.consecutiveErrors"))
        #expect(warnings.contains("spec.subsets[1].trafficPolicy.loadBalancer.consistentHash.minimumRingSize"))
    }

    private func virtualService(_ http: [HTTPRoute], hosts: [String] = ["reviews"]) -> VirtualService {
        var spec = VirtualServiceSpec()
        spec.hosts = hosts
        spec.http = http
        return VirtualService(metadata: ObjectMeta(name: "reviews", namespace: "bookinfo"), spec: spec)
    }

    private func route(_ match: [HTTPMatchRequest]? = nil, name: String? = nil) -> HTTPRoute {
        var route = HTTPRoute()
        route.name = name
        route.match = match
        route.route = [HTTPRouteDestination(destination: Destination(host: "reviews"))]
        return route
    }

    private func uriPrefix(_ prefix: String) -> HTTPMatchRequest {
        var match = HTTPMatchRequest()
        match.uri = StringMatch(prefix: prefix)
        return match
    }

    @Test func rulesAfterCatchAllAreUnreachableWarnings() {
        let findings = MeshValidator.validate(virtualService([route(), route([uriPrefix("/api")], name: "api")]))
        #expect(findings.isValid)
        let warning = findings.warnings.first
        #expect(warning?.fieldPath == "spec.http[1]")
        #expect(warning?.message.contains("virtualService rule \"api\" not used") == true)
    }

    @Test func duplicateMatchIsAnIneffectiveWarning() {
        let findings = MeshValidator.validate(virtualService([route([uriPrefix("/api")]), route([uriPrefix("/api")])]))
        #expect(findings.isValid)
        #expect(findings.warnings.map(\.fieldPath).contains("spec.http[1].match[0]"))
        #expect(findings.warnings.map(\.fieldPath).contains("spec.http[1]"))
    }

    @Test func overlappingPrefixIsAWarning() {
        let findings = MeshValidator.validate(virtualService([route([uriPrefix("/api")]), route([uriPrefix("/api/v1")])]))
        #expect(findings.isValid)
        #expect(findings.warnings.count == 1)
        #expect(findings.warnings.first?.fieldPath == "spec.http[1].match[0]")
        #expect(findings.warnings.first?.message.contains("of prefix /api/v1 is not used") == true)
        // The other order is fine: the longer prefix comes first.
        #expect(MeshValidator.validate(virtualService([route([uriPrefix("/api/v1")]), route([uriPrefix("/api")])])).isEmpty)
    }

    @Test func weightsAreRelativeNotPercentages() {
        var first = HTTPRouteDestination(destination: Destination(host: "reviews", subset: "v1"), weight: 1)
        let second = HTTPRouteDestination(destination: Destination(host: "reviews", subset: "v2"), weight: 3)
        var http = HTTPRoute()
        http.route = [first, second]
        #expect(MeshValidator.validate(virtualService([http])).isEmpty)
        first.weight = -1
        http.route = [first, second]
        let findings = MeshValidator.validate(virtualService([http]))
        #expect(findings.errors.map(\.fieldPath) == ["spec.http[0].route[0].weight"])
        #expect(findings.first?.kind == .virtualService)
        #expect(findings.first?.namespace == "bookinfo")
        #expect(findings.first?.name == "reviews")
    }

    @Test func gatewayBoundVirtualServiceMayUseWildcardHost() {
        var vs = virtualService([route()], hosts: ["*"])
        #expect(!MeshValidator.validate(vs).isValid)
        vs.spec.gateways = ["istio-system/ingress"]
        #expect(MeshValidator.validate(vs).isValid)
        vs.spec.gateways = ["istio-system/ingress", "mesh"]
        #expect(!MeshValidator.validate(vs).isValid)
    }

    @Test func jwtClaimRoutingOnlyOnGateways() {
        var match = HTTPMatchRequest()
        match.headers = ["@request.auth.claims.group": StringMatch(exact: "admin")]
        var vs = virtualService([route([match])], hosts: ["shop.example.com"])
        let meshFindings = MeshValidator.validate(vs)
        #expect(meshFindings.errors.map(\.message) == ["JWT claim based routing (key: @request.auth.claims.group) is only supported for gateway"])
        vs.spec.gateways = ["istio-system/ingress"]
        #expect(MeshValidator.validate(vs).isEmpty)
    }

    @Test func zeroTCPIdleTimeoutDisablesIt() {
        var tcp = ConnectionPoolSettings.TCPSettings()
        tcp.idleTimeout = try? IstioDuration("0s")
        var pool = ConnectionPoolSettings()
        pool.tcp = tcp
        var policy = TrafficPolicy()
        policy.connectionPool = pool
        var spec = DestinationRuleSpec(host: "reviews")
        spec.trafficPolicy = policy
        #expect(MeshValidator.validate(DestinationRule(metadata: ObjectMeta(name: "r"), spec: spec)).isEmpty)
        pool.tcp?.idleTimeout = try? IstioDuration("0.5ms")
        spec.trafficPolicy?.connectionPool = pool
        #expect(!MeshValidator.validate(DestinationRule(metadata: ObjectMeta(name: "r"), spec: spec)).isValid)
    }

    @Test func kubernetesKindsAreNotValidated() {
        #expect(MeshValidator.validate(.service(Service(metadata: ObjectMeta(name: "Not_Valid")))).isEmpty)
    }

    @Test(arguments: [
        "^/api/v[0-9]+/.*$", "(?i)hello", "(?P<name>a+)", "(?<name>b)", "a{2,5}", "a{3}", "a{2,}", "x*?", "[a-z0-9_-]+",
        "[^/]+", "\\d+\\.\\d+", "\\x41\\x{263a}", "\\pL\\p{Greek}", "[[:alpha:]]+", "foo|bar|", "\\Q.*\\E", "a{,3}", "\\012",
        "(?s:.)", "[]a]", "\\b\\w+\\b", "https://.*\\.example\\.org",
    ])
    func validRE2(_ pattern: String) {
        #expect(RE2Syntax.problem(in: pattern) == nil)
    }

    @Test(arguments: [
        ("(a)\\1", "backreferences"), ("foo(?=bar)", "lookahead"), ("foo(?!bar)", "lookahead"), ("(?<=a)b", "lookbehind"),
        ("(?<!a)b", "lookbehind"), ("(?>a)", "atomic"), ("a*+", "possessive"), ("a++", "possessive"), ("a**", "nested repetition"),
        ("(abc", "missing closing )"), ("abc)", "unexpected )"), ("[abc", "missing closing ]"), ("a{1001}", "exceeds 1000"),
        ("a{5,2}", "max below min"), ("*a", "missing argument"), ("\\k<x>", "invalid escape"), ("\\", "trailing backslash"),
        ("[z-a]", "invalid character class range"), ("(?P=name)", "named backreferences"), ("\\Z", "invalid escape"),
        ("(?#comment)", "comments"), ("[[:nope:]]", "invalid character class range"),
    ])
    func invalidRE2(_ pattern: String, reason: String) {
        let problem = RE2Syntax.problem(in: pattern)
        #expect(problem?.contains(reason) == true, "\(pattern): \(problem ?? "accepted")")
    }

    @Test func hostAndNameSyntax() {
        #expect(Names.wildcardDomainProblem("*.example.com") == nil)
        #expect(Names.wildcardDomainProblem("reviews") == nil)
        #expect(Names.wildcardDomainProblem("reviews.bookinfo.svc.cluster.local") == nil)
        #expect(Names.wildcardDomainProblem("*") == nil)
        #expect(Names.wildcardDomainProblem("a.*.example.com") != nil)
        #expect(Names.wildcardDomainProblem("example.123") != nil)
        #expect(Names.wildcardDomainProblem("") == "empty domain name not allowed")
        #expect(Names.hostsOverlap("*.example.com", "api.example.com"))
        #expect(Names.hostsOverlap("*.com", "*.example.com"))
        #expect(!Names.hostsOverlap("a.example.com", "b.example.com"))
        #expect(Names.host("api.example.com", isSubsetOf: "*.example.com"))
        #expect(!Names.host("*.example.com", isSubsetOf: "api.example.com"))
        #expect(Names.isIPv4("10.0.0.1") && !Names.isIPv4("10.0.0.256") && !Names.isIPv4("1.2.3"))
        #expect(Names.isIPv6("::1") && Names.isIPv6("2001:db8::8a2e:370:7334") && !Names.isIPv6("2001:::1"))
        #expect(Names.subnetProblem("10.0.0.0/8") == nil && Names.subnetProblem("2001:db8::/32") == nil)
        #expect(Names.labelKeyProblem("app.kubernetes.io/name") == nil)
        #expect(Names.labelKeyProblem("-app") != nil)
        #expect(Names.isDNS1123Subdomain("reviews.v1") && !Names.isDNS1123Subdomain("Reviews"))
    }

    @Test func maglevPrimality() {
        #expect(DestinationRuleRules.isPrime(65537))
        #expect(DestinationRuleRules.isPrime(2))
        #expect(!DestinationRuleRules.isPrime(65536))
        #expect(!DestinationRuleRules.isPrime(9))
        #expect(DestinationRuleRules.isPrime(4_999_999))
    }

    @Test func hugeMaglevTableSizeIsRejectedWithoutPrimalityWork() {
        var hash = LoadBalancerSettings.ConsistentHashLB()
        hash.useSourceIp = true
        hash.maglev = .init(tableSize: UInt64.max - 58)
        var lb = LoadBalancerSettings()
        lb.consistentHash = hash
        var policy = TrafficPolicy()
        policy.loadBalancer = lb
        var spec = DestinationRuleSpec(host: "reviews")
        spec.trafficPolicy = policy
        let messages = MeshValidator.validate(DestinationRule(metadata: ObjectMeta(name: "r"), spec: spec)).map(\.message)
        #expect(messages == ["tableSize must be less than 5000011 for maglev"])
    }
}

/// Istio reports these as warnings: the object stays valid.
@Suite struct ValidationWarningTests {
    private func findings(_ yaml: String) -> [ValidationFinding] {
        let result = decodeYAML(yaml)
        #expect(result.errors.isEmpty, "\(result.errors)")
        return MeshValidator.validate(result.objects.map(\.object))
    }

    private func expectWarning(_ findings: [ValidationFinding], path: String, containing text: String) {
        #expect(findings.isValid, "\(findings.errors)")
        #expect(findings.contains { $0.level == .warning && $0.fieldPath == path && $0.message.contains(text) }, "\(findings)")
    }

    @Test func unknownCipherSuiteIsAWarning() {
        expectWarning(findings("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: istio-system}
        spec:
          servers:
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: ["shop.example.com"]
            tls:
              mode: SIMPLE
              credentialName: shop
              cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256, TLS_FAKE_SUITE, ECDHE-RSA-AES128-GCM-SHA256]
        """), path: "spec.servers[0].tls.cipherSuites[1]", containing: "ignoring invalid cipher suite: TLS_FAKE_SUITE")
    }

    @Test func oldTLSWithoutCiphersIsAWarning() {
        expectWarning(findings("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          servers:
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: ["shop.example.com"]
            tls: {mode: SIMPLE, credentialName: shop, minProtocolVersion: TLSV1_0}
        """), path: "spec.servers[0].tls.minProtocolVersion", containing: "below TLSV1_2")
    }

    @Test func passthroughWithCertificatesIsAWarning() {
        expectWarning(findings("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          servers:
          - port: {number: 443, name: tls, protocol: TLS}
            hosts: ["shop.example.com"]
            tls: {mode: PASSTHROUGH, credentialName: ignored}
        """), path: "spec.servers[0].tls", containing: "PASSTHROUGH mode does not use certificates")
    }

    @Test func httpsRedirectOnTCPIsAWarning() {
        let result = findings("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw}
        spec:
          servers:
          - port: {number: 443, name: tls, protocol: TLS}
            hosts: ["shop.example.com"]
            tls: {mode: PASSTHROUGH, httpsRedirect: true}
        """)
        expectWarning(result, path: "spec.servers[0].tls.httpsRedirect", containing: "should only be used with http servers")
    }

    @Test func legacyGatewayNameIsAWarning() {
        expectWarning(findings("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs, namespace: shop}
        spec:
          hosts: [shop.example.com]
          gateways: [public-gateway.istio-system]
          http:
          - route:
            - destination: {host: shop}
        """), path: "spec.gateways[0]", containing: "prefer the <namespace>/<name> format: \"istio-system/public-gateway\"")
    }

    @Test func failoverWithoutOutlierDetectionIsAWarning() {
        expectWarning(findings("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: dr}
        spec:
          host: reviews
          trafficPolicy:
            loadBalancer:
              localityLbSetting:
                failover:
                - {from: us-west, to: us-east}
        """), path: "spec.trafficPolicy.loadBalancer.localityLbSetting", containing: "outlier detection policy must be provided for failover")
    }

    @Test func emptyWorkloadSelectorIsAWarning() {
        expectWarning(findings("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: dr}
        spec:
          host: reviews
          workloadSelector: {}
        """), path: "spec.workloadSelector", containing: "workload selector specified without labels")
    }

    @Test func abortWithoutErrorTypeIsAWarning() {
        expectWarning(findings("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs}
        spec:
          hosts: [reviews]
          http:
          - fault:
              abort: {percentage: {value: 10}}
            route:
            - destination: {host: reviews}
        """), path: "spec.http[0].fault.abort", containing: "abort configured, but error type not set")
    }

    @Test func ipSNIHostIsAWarning() {
        expectWarning(findings("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs}
        spec:
          hosts: ["*"]
          gateways: [istio-system/gw]
          tls:
          - match:
            - sniHosts: [10.0.0.1]
            route:
            - destination: {host: reviews}
        """), path: "spec.tls[0].match[0].sniHosts[0]", containing: "goes against SNI spec")
    }

    @Test func findingDescriptionNamesObjectAndPath() {
        let finding = ValidationFinding(level: .error, kind: .virtualService, namespace: "bookinfo", name: "reviews",
                                        fieldPath: "spec.http[0].route[1].weight", message: "weight -5 must be non-negative")
        #expect(finding.description == "error: VirtualService bookinfo/reviews: spec.http[0].route[1].weight: weight -5 must be non-negative")
    }
}
