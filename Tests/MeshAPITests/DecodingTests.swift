import Foundation
import KubernetesAPI
import Testing
import Yams
@testable import MeshAPI

@Suite struct DecodingTests {
    @Test func bookinfoSamplesDecodeWithoutErrors() throws {
        let result = MeshDocumentDecoder().decode(directory: Fixtures.url("bookinfo"))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.notices.isEmpty)
        let kinds = result.objects.map(\.object.kind)
        #expect(kinds.filter { $0 == .virtualService }.count == 9)
        #expect(kinds.filter { $0 == .destinationRule }.count == 8)
        #expect(kinds.filter { $0 == .gateway }.count == 1)
    }

    @Test func multiDocumentIndicesAndLines() throws {
        let result = MeshDocumentDecoder().decode(file: Fixtures.url("bookinfo/virtual-service-all-v1.yaml"))
        #expect(result.objects.count == 4)
        #expect(result.objects.map(\.location.document) == [1, 2, 3, 4])
        #expect(result.objects.map(\.location.line) == [1, 14, 27, 40])
        guard case .virtualService(let reviews) = result.objects[1].object else {
            Issue.record("expected a VirtualService")
            return
        }
        #expect(reviews.metadata.name == "reviews")
        #expect(reviews.spec.http?.first?.route?.first?.destination?.subset == "v1")
    }

    @Test func reviewsWeightsAndHeaderMatch() throws {
        let weights = MeshDocumentDecoder().decode(file: Fixtures.url("bookinfo/virtual-service-reviews-50-v3.yaml"))
        guard case .virtualService(let split) = try #require(weights.objects.first).object else { throw Failure("not a VirtualService") }
        #expect(split.spec.http?[0].route?.map(\.weight) == [50, 50])

        let jason = MeshDocumentDecoder().decode(file: Fixtures.url("bookinfo/virtual-service-reviews-test-v2.yaml"))
        guard case .virtualService(let header) = try #require(jason.objects.first).object else { throw Failure("not a VirtualService") }
        #expect(header.spec.http?[0].match?[0].headers?["end-user"]?.kind == .exact("jason"))
    }

    @Test func faultDelayAndAbort() throws {
        let delay = try MeshDocumentDecoder().decodeObject(VirtualService.self, yaml: Fixtures.text("bookinfo/virtual-service-ratings-test-delay.yaml"))
        let injected = try #require(delay.spec.http?[0].fault?.delay)
        #expect(injected.fixedDelay?.nanoseconds == 7_000_000_000)
        #expect(injected.percentage?.value == 100)
        let abort = try MeshDocumentDecoder().decodeObject(VirtualService.self, yaml: Fixtures.text("bookinfo/virtual-service-ratings-test-abort.yaml"))
        #expect(abort.spec.http?[0].fault?.abort?.httpStatus == 500)
    }

    @Test func everyFieldDecodes() throws {
        let result = MeshDocumentDecoder().decode(file: Fixtures.url("all-fields.yaml"))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.objects.count == 3)
        guard case .virtualService(let vs) = result.objects[0].object,
              case .destinationRule(let dr) = result.objects[1].object,
              case .gateway(let gw) = result.objects[2].object else { throw Failure("unexpected kinds") }
        #expect(vs.apiVersion == "networking.istio.io/v1beta1")
        #expect(dr.apiVersion == "networking.istio.io/v1alpha3")
        let route = try #require(vs.spec.http?.first)
        #expect(route.retries?.perTryTimeout?.nanoseconds == 100_000_000)
        #expect(route.retries?.backoff?.text == "25ms")
        #expect(route.timeout?.nanoseconds == 1_500_000_000)
        #expect(route.fault?.delay?.fixedDelay?.nanoseconds == 60_000_000_000)
        #expect(route.corsPolicy?.unmatchedPreflights == .ignore)
        #expect(route.corsPolicy?.maxAge?.nanoseconds == 86_400_000_000_000)
        #expect(vs.spec.http?[2].mirrorPercent == 20)
        #expect(vs.spec.http?[3].redirect?.derivePort == .fromRequestPort)
        #expect(vs.spec.http?[5].directResponse?.body?.string == "I'm a teapot")
        #expect(vs.status?.observedGeneration == Int64OrString(3, quoted: true))
        #expect(vs.status?.validationMessages?.first?.level == .error)
        #expect(vs.status?.conditions?.first?.reason == "Reconciled")
        #expect(vs.spec.tcp?.first?.match?.first?.port == 3306)
        #expect(dr.spec.trafficPolicy?.loadBalancer?.consistentHash?.httpCookie?.attributes?.first?.value == "Strict")
        #expect(dr.spec.trafficPolicy?.outlierDetection?.consecutive5xxErrors == 7)
        #expect(dr.spec.trafficPolicy?.retryBudget?.minRetryConcurrency == 5)
        #expect(dr.spec.trafficPolicy?.connectionPool?.http?.h2UpgradePolicy == .upgrade)
        #expect(dr.spec.subsets?[2].trafficPolicy?.proxyProtocol?.version == .v2)
        #expect(dr.spec.trafficPolicy?.loadBalancer?.localityLbSetting?.distribute?.first?.to?["us-west/zone1/*"] == 80)
        #expect(dr.spec.subsets?[0].trafficPolicy?.loadBalancer?.consistentHash?.maglev?.tableSize == 65537)
        #expect(gw.spec.servers?[1].tls?.minProtocolVersion == .v1_2)
        #expect(gw.spec.servers?[4].tls?.mode == .autoPassthrough)
    }

    @Test func yamlRoundTripKeepsEveryValue() throws {
        let original = try Fixtures.text("all-fields.yaml")
        let result = decodeYAML(original)
        #expect(result.errors.isEmpty)
        let reencoded = try MeshEncoding.yaml(result.objects.map(\.object))
        let before = try untypedDocuments(original)
        let after = try untypedDocuments(reencoded)
        #expect(before.count == after.count)
        for (lhs, rhs) in zip(before, after) {
            #expect(sameJSON(lhs, rhs), "round trip changed \(lhs)\n→ \(rhs)")
        }
        // Durations keep their spelling.
        #expect(reencoded.contains("fixedDelay: 1m"))
        #expect(reencoded.contains("maxAge: 24h"))
        #expect(reencoded.contains("mirror_percent: 20"))
    }

    @Test func jsonRoundTripIsIdentity() throws {
        let result = decodeYAML(try Fixtures.text("all-fields.yaml"))
        for decoded in result.objects {
            let json = try MeshEncoding.json(AnyEncodable(decoded.object.encodable))
            #expect(!json.contains("null"))
            let again = decodeYAML(json, source: "roundtrip.json")
            #expect(again.errors.isEmpty, "\(again.errors)")
            #expect(again.objects.first?.object == decoded.object)
        }
    }

    @Test func stringsThatLookLikeOtherScalarsSurviveYAMLRoundTrip() throws {
        let tricky = ["80", "true", "1.0", "null", "yes", "0x1F", "~", "-1", "1e3", ".inf", "on", ""]
        var labels: [String: String] = [:]
        for (index, value) in tricky.enumerated() { labels["k\(index)"] = value }
        var spec = DestinationRuleSpec(host: "reviews")
        spec.subsets = [Subset(name: "v1", labels: labels)]
        let rule = DestinationRule(metadata: ObjectMeta(name: "r", namespace: "ns", labels: labels), spec: spec)
        let yaml = try MeshEncoding.yaml(rule)
        let back = try MeshDocumentDecoder().decodeObject(DestinationRule.self, yaml: yaml)
        #expect(back == rule, "\(yaml)")
    }

    @Test func jsonInputDecodes() throws {
        let json = """
        {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
         "metadata": {"name": "r", "namespace": "ns"},
         "spec": {"hosts": ["ratings"], "http": [{"route": [{"destination": {"host": "ratings"}, "weight": 100}]}]}}
        """
        let result = decodeYAML(json, source: "vs.json")
        #expect(result.errors.isEmpty)
        guard case .virtualService(let vs) = try #require(result.objects.first).object else { throw Failure("kind") }
        #expect(vs.spec.http?[0].route?[0].weight == 100)
    }

    @Test func tabIndentedJSONDecodes() throws {
        let json = "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Namespace\",\n\t\"metadata\": {\n\t\t\"name\": \"tabs\"\n\t}\n}\n"
        let result = decodeYAML(json, source: "ns.json")
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.objects.first?.object.metadata.name == "tabs")
    }

    @Test func directoryIsReadRecursively() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-dir-\(UUID().uuidString)")
        let nested = root.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Fixtures.text("bookinfo/bookinfo-gateway.yaml").write(to: root.appendingPathComponent("gw.yml"), atomically: true, encoding: .utf8)
        try Fixtures.text("bookinfo/destination-rule-all.yaml").write(to: nested.appendingPathComponent("dr.yaml"), atomically: true, encoding: .utf8)
        try #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}"#.write(to: nested.appendingPathComponent("ns.json"), atomically: true, encoding: .utf8)
        try "not: [yaml".write(to: nested.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let result = MeshDocumentDecoder().decode(directory: root)
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.objects.count == 2 + 4 + 1)
        #expect(Set(result.objects.map(\.location.file).map { URL(fileURLWithPath: $0).lastPathComponent }) == ["gw.yml", "dr.yaml", "ns.json"])
    }

    @Test func kubernetesListWithUnknownKindSkipped() throws {
        let result = MeshDocumentDecoder().decode(file: Fixtures.url("kubernetes/cluster.yaml"))
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.objects.map(\.object.kind) == [.namespace, .service, .service, .endpointSlice, .pod, .secret, .node])
        #expect(result.notices.count == 1)
        #expect(result.notices.first?.message.contains("apps/v1 Deployment \"reviews-v1\"") == true)
        let snapshot = MeshSnapshot(decoded: result.objects)
        let service = try #require(snapshot.service(host: "reviews", relativeTo: "bookinfo"))
        #expect(service.spec?.ports?[1].targetPort == .string("grpc-port"))
        #expect(service.spec?.ports?[0].targetPort == .int(9080))
        #expect(snapshot.service(host: "reviews.bookinfo.svc.cluster.local", relativeTo: "other")?.metadata.name == "reviews")
        #expect(snapshot.service(host: "reviews", relativeTo: "other") == nil)
        #expect(snapshot.service(namespace: "bookinfo", name: "external-db")?.spec?.externalName == "db.example.com")
        let slices = snapshot.endpointSlices(forService: .init(namespace: "bookinfo", name: "reviews"))
        #expect(slices.count == 1)
        #expect(slices.first?.endpoints?[1].conditions?.terminating == true)
        #expect(slices.first?.endpoints?[0].targetRef?.name == "reviews-v1-5b8c7d9f6-abcde")
        #expect(snapshot.pod(namespace: "bookinfo", name: "reviews-v1-5b8c7d9f6-abcde")?.status?.podIPs?.first?.ip == "10.244.1.12")
        let secret = try #require(snapshot.secret(namespace: "istio-system", name: "bookinfo-credential"))
        #expect(secret.type == Secret.tlsType)
        #expect(secret.value(forKey: Secret.certificateKey) == Data("certificate".utf8))
        #expect(snapshot.node(named: "kind-worker")?.zone == "us-west-1a")
        #expect(snapshot.node(named: "kind-worker")?.region == "us-west-1")
        #expect(snapshot.namespace(named: "bookinfo")?.metadata.labels?["istio-injection"] == "enabled")
    }

    @Test func unknownKindsAreNoticesNotErrors() {
        let result = decodeYAML("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: deny
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: gateway-api
        """)
        #expect(result.errors.isEmpty)
        #expect(result.objects.isEmpty)
        #expect(result.warnings.isEmpty, "kinds that are simply not Coxswain's are not warned about: \(result.warnings)")
        #expect(result.notices.count == 2)
        #expect(result.notices[1].location.document == 2)
    }

    /// A misspelt kind or an unknown version of a known kind is a warning at its field with the closest known spelling.
    @Test func misspeltKindsAndVersionsAreWarningsWithTheClosestKnownOne() throws {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: virtualservice
        metadata:
          name: lower
        ---
        apiVersion: networking.istio.io/v9
        kind: VirtualService
        metadata:
          name: future
        ---
        apiVersion: v1
        kind: List
        items:
        - apiVersion: networking.istio.io/v1beta1
          kind: DestinationRul
          metadata: {name: typo}
        """)
        #expect(result.errors.isEmpty)
        #expect(result.objects.isEmpty)
        #expect(result.notices.isEmpty)
        try #require(result.warnings.count == 3, "\(result.warnings)")
        #expect(result.warnings[0].fieldPath == "kind")
        #expect(result.warnings[0].location.line == 2)
        #expect(result.warnings[0].message.contains("did you mean VirtualService?"), "\(result.warnings[0].message)")
        #expect(result.warnings[1].fieldPath == "apiVersion")
        #expect(result.warnings[1].location.line == 6)
        #expect(result.warnings[1].message.contains("did you mean networking.istio.io/v1?"), "\(result.warnings[1].message)")
        #expect(result.warnings[2].fieldPath == "items[0].kind")
        #expect(result.warnings[2].message.contains("did you mean DestinationRule?"), "\(result.warnings[2].message)")
    }

    @Test func notUTF8NamesTheByteOffsetAndLine() throws {
        var data = Data("apiVersion: v1\nkind: Service\nmetadata: {name: caf".utf8)
        let offset = data.count
        data.append(contentsOf: [0xE9, 0x0A])
        let result = MeshDocumentDecoder().decode(data: data, source: "latin1.yaml")
        let error = try #require(result.errors.first)
        #expect(error.location.line == 3)
        #expect(error.message.contains("offset \(offset)"), "\(error.message)")
        #expect(error.message.contains("0xE9"), "\(error.message)")
        #expect(error.message.contains("line 3, column 21"), "\(error.message)")
    }

    @Test func unreadablePathsSayWhy() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-paths-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let loop = root.appendingPathComponent("loop.yaml")
        try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
        let fifo = root.appendingPathComponent("pipe.yaml")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let dangling = root.appendingPathComponent("dangling.yaml")
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: root.appendingPathComponent("gone.yaml").path)

        let messages = [loop, fifo, dangling, root.appendingPathComponent("nonexistent.yaml")]
            .map { MeshDocumentDecoder().decode(file: $0).errors.first?.message ?? "" }
        #expect(messages[0].contains("symbolic link loop"), "\(messages[0])")
        #expect(messages[1].contains("FIFO"), "a FIFO is refused without blocking: \(messages[1])")
        #expect(messages[2].contains("dangling symbolic link"), "\(messages[2])")
        #expect(messages[3].contains("no such file or directory"), "\(messages[3])")
        #expect(!messages.contains { $0.contains("NSCocoaErrorDomain") || $0.contains("permission") }, "\(messages)")
        // The folder's walk reports each one too.
        #expect(MeshDocumentDecoder().decode(paths: [root]).errors.count == 3)
    }

    /// Kubernetes' atomic writer: files in a hidden timestamped folder, `..data` pointing at it,
    /// top-level symlinks through `..data`. Each object is read once, through the top-level name.
    @Test func configMapMountIsReadThroughItsTopLevelNames() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-configmap-\(UUID().uuidString)")
        let stamped = root.appendingPathComponent("..2026_12_03_12_00_00.123")
        try FileManager.default.createDirectory(at: stamped, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Fixtures.text("bookinfo/destination-rule-all.yaml").write(to: stamped.appendingPathComponent("dr.yaml"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("..data").path, withDestinationPath: stamped.lastPathComponent)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("dr.yaml").path, withDestinationPath: "..data/dr.yaml")
        let result = MeshDocumentDecoder().decode(paths: [root])
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.objects.count == 4, "each DestinationRule once, not also through ..data or the timestamped folder")
        #expect(Set(result.objects.map(\.location.file)) == [root.appendingPathComponent("dr.yaml").path])
    }

    @Test func duplicatesAcrossFilesNameBothAndKeepTheFirst() throws {
        var result = decodeYAML("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", source: "a.yaml")
        result.merge(decodeYAML("apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {x: y}}\n", source: "b.yaml"))
        let unique = result.withoutDuplicates()
        #expect(unique.objects.map(\.object.metadata.name) == ["a", "b"])
        #expect(unique.objects.first?.location.file == "a.yaml")
        let error = try #require(unique.errors.first)
        #expect(unique.errors.count == 1)
        #expect(error.location.file == "b.yaml")
        #expect(error.location.line == 5)
        #expect(error.fieldPath == "metadata.name")
        #expect(error.message.contains("a.yaml: document 1, line 1"), "\(error.message)")
    }

    @Test func unknownFieldNamesFileDocumentLineAndPath() {
        let text = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: g
        spec:
          selector: {istio: ingressgateway}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination:
                host: reviews
                subset: v1
              weight: 50
            - destination:
                host: reviews
                subset: v3
              weigth: 50
        """
        let result = decodeYAML(text, source: "bookinfo.yaml")
        #expect(result.objects.count == 1)
        let error = result.errors.first
        #expect(error?.description == "bookinfo.yaml: document 2, line 23: spec.http[0].route[1].weigth: unknown field")
    }

    @Test func wrongTypeIsAnErrorWithPath() {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination:
                host: reviews
              weight: ninety
        """)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.fieldPath == "spec.http[0].route[0].weight")
        #expect(result.errors.first?.message == "expected integer, got string \"ninety\"")
        #expect(result.errors.first?.location.line == 11)
    }

    @Test func unknownEnumSpellingListsAllowedValues() {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: r
        spec:
          host: reviews
          trafficPolicy:
            loadBalancer:
              simple: LEAST_CONNECTIONS
        """)
        let error = result.errors.first
        #expect(error?.fieldPath == "spec.trafficPolicy.loadBalancer.simple")
        #expect(error?.message.contains("allowed values: UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST") == true)
    }

    @Test func malformedDocumentDoesNotStopOthers() {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: a}
        spec: {}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: b
        spec: [
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: c}
        spec: {servers: 7}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: d}
        spec: {}
        """)
        #expect(result.objects.map(\.object.metadata.name) == ["a", "d"])
        #expect(result.errors.count == 2)
        #expect(result.errors[0].location.document == 2)
        #expect(result.errors[0].message.hasPrefix("invalid YAML"))
        #expect(result.errors[1].location.document == 3)
        #expect(result.errors[1].fieldPath == "spec.servers")
    }

    @Test func duplicateFieldIsAnError() {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: r}
        spec:
          host: a
          host: b
        """)
        #expect(result.errors.first?.message == "duplicate field \"host\"")
        #expect(result.errors.first?.location.line == 5)
    }

    @Test func kubernetesKindsAreLenientButTyped() {
        let lenient = decodeYAML("""
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: n}
        spec:
          somethingNew: {a: 1}
          ports:
          - port: 80
            futureField: true
        """)
        #expect(lenient.errors.isEmpty)
        let typed = decodeYAML("""
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: n}
        spec:
          ports:
          - port: http
        """)
        #expect(typed.errors.first?.fieldPath == "spec.ports[0].port")
    }

    @Test func partialStatusConditionsDoNotBreakDecoding() {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: g}
        spec: {}
        status:
          conditions:
          - type: Reconciled
            status: "True"
            lastProbeTime: null
          observedGeneration: 4
        """)
        #expect(result.errors.isEmpty, "\(result.errors)")
        guard case .gateway(let gateway)? = result.objects.first?.object else {
            Issue.record("no gateway")
            return
        }
        #expect(gateway.status?.conditions?.first?.type == "Reconciled")
        #expect(gateway.status?.conditions?.first?.reason == "")
        #expect(gateway.status?.observedGeneration == Int64OrString(4))
    }

    @Test func aliasBombIsRefused() {
        var yaml = "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "  a\(level): &a\(level) [\(refs)]\n"
        }
        let result = decodeYAML(yaml)
        #expect(result.objects.isEmpty)
        #expect(result.errors.first?.message == "document expands too much through YAML aliases")
        // Ordinary aliases are fine.
        let modest = decodeYAML("apiVersion: v1\nkind: Node\nmetadata: {name: n, labels: &l {a: b}, annotations: *l}\n")
        #expect(modest.errors.isEmpty)
        #expect(modest.objects.first?.object.metadata.annotations == ["a": "b"])
    }

    @Test func mapEntryPathsUseBrackets() {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: v}
        spec:
          hosts: [a]
          http:
          - match:
            - headers:
                x-user: {exakt: bob}
            route: [{destination: {host: a}}]
        """)
        #expect(result.errors.first?.fieldPath == "spec.http[0].match[0].headers[\"x-user\"].exakt")
        #expect(result.errors.first?.location.line == 9)
    }

    @Test func istioMetadataIsStrict() {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: g, labls: {a: b}}
        spec: {}
        """)
        #expect(result.errors.first?.fieldPath == "metadata.labls")
    }

    @Test(arguments: [
        ("1.5s", Int64(1_500_000_000)), ("100ms", 100_000_000), ("1m", 60_000_000_000), ("1h", 3_600_000_000_000),
        ("1h30m", 5_400_000_000_000), ("0", 0), ("0s", 0), ("250us", 250_000), ("10ns", 10), ("0.001s", 1_000_000), ("-1s", -1_000_000_000),
    ])
    func durationsParseGoSyntax(text: String, nanos: Int64) throws {
        let duration = try IstioDuration(text)
        #expect(duration.nanoseconds == nanos)
        #expect(duration.text == text)
    }

    @Test(arguments: ["", "1", "s", "1x", "1.2.3s", "ms", "1 s", "--1s"])
    func invalidDurationsAreRejected(text: String) {
        #expect(throws: IstioDurationError.self) { try IstioDuration(text) }
    }

    @Test func invalidDurationFieldNamesPath() {
        let result = decodeYAML("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: v}
        spec:
          hosts: [a]
          http:
          - timeout: 10
            route: [{destination: {host: a}}]
        """)
        #expect(result.errors.first?.fieldPath == "spec.http[0].timeout")
    }

    @Test func scalarTyping() {
        #expect(ScalarTyping.plainKind("80") == .integer)
        #expect(ScalarTyping.plainKind("-3") == .integer)
        #expect(ScalarTyping.plainKind("1.5") == .float)
        #expect(ScalarTyping.plainKind("1e3") == .float)
        #expect(ScalarTyping.plainKind("1.2.3.4") == .string)
        #expect(ScalarTyping.plainKind("10.0.0.0/8") == .string)
        #expect(ScalarTyping.plainKind("true") == .bool(true))
        #expect(ScalarTyping.plainKind("~") == .null)
        #expect(ScalarTyping.plainKind("") == .null)
        #expect(ScalarTyping.plainKind("v1") == .string)
        #expect(ScalarTyping.plainKind("infinity") == .string)
    }

    @Test func snapshotLookupsAndShortNames() {
        let vs = VirtualService(metadata: ObjectMeta(name: "r", namespace: "ns"))
        let gw = Gateway(metadata: ObjectMeta(name: "g"))
        let snapshot = MeshSnapshot(objects: [.virtualService(vs), .gateway(gw), .service(Service(metadata: ObjectMeta(name: "ratings", namespace: "ns")))])
        #expect(snapshot.virtualService(namespace: "ns", name: "r") == vs)
        #expect(snapshot.gateway(namespace: "default", name: "g") == gw)
        #expect(snapshot.virtualService(namespace: "other", name: "r") == nil)
        #expect(MeshSnapshot.resolveHost("ratings", namespace: "ns") == "ratings.ns.svc.cluster.local")
        #expect(MeshSnapshot.resolveHost("ratings.ns", namespace: "x") == "ratings.ns")
        #expect(MeshSnapshot.resolveHost("*.example.com", namespace: "x") == "*.example.com")
        #expect(snapshot.service(host: "ratings", relativeTo: "ns") != nil)
        #expect(snapshot.objects.count == 3)
    }

    @Test func snapshotIndexesIstioObjectsByResolvedHost() throws {
        let result = MeshDocumentDecoder().decode(directory: Fixtures.url("bookinfo"))
        let snapshot = MeshSnapshot(decoded: result.objects)
        // Several files define "reviews" in the default namespace; the last one wins.
        #expect(snapshot.virtualServices(forHost: "reviews.default.svc.cluster.local").map(\.metadata.name) == ["reviews"])
        #expect(snapshot.virtualServices(forHost: "*").map(\.metadata.name) == ["bookinfo"])
        let rules = snapshot.destinationRules(forHost: "ratings.default.svc.cluster.local")
        #expect(rules.count == 1)
        #expect(rules.first?.spec.subsets?.count == 4)
        #expect(snapshot.destinationRules(forHost: "ratings").isEmpty)
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The operator decodes objects from the API server through `decode(json:)`, which builds
/// the node tree without YAML text. It must agree with the YAML path on every fixture:
/// the same objects, and the same errors at the same field paths.
@Suite struct JSONDecodingTests {
    static let fixtureFiles: [String] = {
        let directory = Fixtures.directory
        return MeshDocumentDecoder.files(under: directory).map { String($0.path.dropFirst(directory.path.count + 1)) }
    }()

    @Test func fixturesAreFound() {
        #expect(Self.fixtureFiles.count > 100)
        #expect(Self.fixtureFiles.contains("all-fields.yaml"))
        // Most of them have a JSON form, so the comparison below is not vacuous.
        let withJSONForm = Self.fixtureFiles.filter { file in (try? Fixtures.text(file)).flatMap { try? untypedDocuments($0) } != nil }
        #expect(withJSONForm.count > 100, "\(withJSONForm.count)")
    }

    @Test(arguments: fixtureFiles)
    func jsonPathAgreesWithYAMLPath(_ file: String) throws {
        let text = try Fixtures.text(file)
        // Documents YAML can express and JSON cannot (duplicate keys, aliases, syntax errors) have no JSON form.
        guard let documents = (try? untypedDocuments(text))?.filter({ $0 != .null }) else { return }
        let fromYAML = DocumentSplitter.split(text).map { MeshDocumentDecoder().decode(yaml: $0.text, source: file) }
            .filter { !$0.objects.isEmpty || !$0.errors.isEmpty || !$0.notices.isEmpty }
        try #require(fromYAML.count == documents.count)
        for (document, expected) in zip(documents, fromYAML) {
            let actual = MeshDocumentDecoder().decode(json: document, source: file)
            #expect(actual.objects.map(\.object) == expected.objects.map(\.object), "\(file)")
            #expect(actual.errors.map(\.fieldPath) == expected.errors.map(\.fieldPath), "\(file)")
            #expect(actual.errors.map(\.message) == expected.errors.map(\.message), "\(file)")
            #expect(actual.notices.count == expected.notices.count, "\(file)")
        }
    }

    @Test func typesAreCheckedAsInYAML() {
        let object: JSONValue = .object([
            "apiVersion": .string("networking.istio.io/v1"), "kind": .string("VirtualService"),
            "metadata": .object(["name": .string("reviews"), "namespace": .string("default")]),
            "spec": .object(["hosts": .array([.string("reviews")]),
                             "http": .array([.object(["route": .array([
                                 .object(["destination": .object(["host": .string("reviews")]), "weight": .string("90")]),
                             ])])])]),
        ])
        let result = MeshDocumentDecoder().decode(json: object, source: "default/reviews")
        #expect(result.objects.isEmpty)
        #expect(result.errors.map(\.fieldPath) == ["spec.http[0].route[0].weight"])

        let integralDouble: JSONValue = .object([
            "apiVersion": .string("networking.istio.io/v1"), "kind": .string("VirtualService"),
            "metadata": .object(["name": .string("reviews")]),
            "spec": .object(["hosts": .array([.string("reviews")]),
                             "http": .array([.object(["route": .array([
                                 .object(["destination": .object(["host": .string("reviews")]), "weight": .double(90)]),
                             ])])])]),
        ])
        let decoded = MeshDocumentDecoder().decode(json: integralDouble, source: "default/reviews")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        guard case .virtualService(let service)? = decoded.objects.first?.object else {
            Issue.record("expected a VirtualService")
            return
        }
        #expect(service.spec.http?[0].route?[0].weight == 90)
    }
}
