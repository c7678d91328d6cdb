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
    }
}
