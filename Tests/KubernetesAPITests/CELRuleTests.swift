import Foundation
import KubernetesAPI
import Testing

/// One CEL rule applied to the value it sits on.
private struct RuleApplication {
    var rule: StructuralSchema.ValidationRule
    var path: String
    var selfValue: JSONValue
}

/// Every `x-kubernetes-validations` rule that applies somewhere in `value`, with its `self`.
private func ruleApplications(_ value: JSONValue, _ schema: StructuralSchema, path: String = "") -> [RuleApplication] {
    var found = schema.validations.map { RuleApplication(rule: $0, path: path, selfValue: value) }
    switch value {
    case .object(let members):
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            if let property = schema.schema(forProperty: name) {
                found += ruleApplications(member, property, path: path.isEmpty ? name : "\(path).\(name)")
            }
        }
    case .array(let elements):
        if let items = schema.items {
            for (index, element) in elements.enumerated() {
                found += ruleApplications(element, items, path: "\(path)[\(index)]")
            }
        }
    default:
        break
    }
    return found
}

/// The result of one rule: true, false, or the CEL error.
private struct RuleResult: Decodable {
    var value: Bool?
    var error: String?
}

/// Evaluates the rules with cel-python through crds/generator/evaluate_cel.py.
private func evaluate(_ applications: [RuleApplication]) throws -> [RuleResult] {
    struct Request: Encodable {
        struct Case: Encodable {
            var rule: String
            var `self`: JSONValue
        }
        var cases: [Case]
    }
    struct Response: Decodable { var results: [RuleResult] }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", Repository.url("crds/generator/evaluate_cel.py").path]
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let request = Request(cases: applications.map { .init(rule: $0.rule.rule, self: $0.selfValue) })
    input.fileHandleForWriting.write(try JSONEncoder().encode(request))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let diagnostics = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "evaluate_cel.py failed (is cel-python installed?): \(diagnostics)")
    return try JSONDecoder().decode(Response.self, from: data).results
}

/// The CEL rules in crds/ are valid CEL (evaluated by a real CEL implementation) and mean what they
/// say: every valid Istio object in the samples and fixtures passes them, and objects that break
/// the Istio rule each one expresses fail exactly that rule.
@Suite struct CELRuleTests {
    private func objects() throws -> [JSONValue] {
        let files = Repository.yamlFiles(under: Repository.url("config/samples")) + Repository.fixtureYAMLFiles()
        return try files.flatMap { try YAMLDocuments.load($0) }.filter {
            ($0["apiVersion"]?.stringValue ?? "").hasPrefix("networking.istio.io/")
                && IstioCRDs.kinds.contains($0["kind"]?.stringValue ?? "")
        }
    }

    @Test func validObjectsPassEveryRule() throws {
        var applications: [RuleApplication] = []
        for object in try objects() {
            let kind = try #require(object["kind"]?.stringValue)
            let root = try #require(IstioCRDs.schema(kind))
            applications += ruleApplications(object, root)
        }
        // Rules sit on every kind's spec and on Gateway server TLS settings.
        #expect(Set(applications.map(\.rule.rule)).count >= 8)
        let results = try evaluate(applications)
        try #require(results.count == applications.count)
        for (application, result) in zip(applications, results) {
            #expect(result.value == true, "\(application.path): \(application.rule.rule) → \(result.error ?? "false")")
        }
    }

    @Test(arguments: [
        ("VirtualService", "spec: {hosts: [a]}", "http, tcp or tls must be provided in a virtual service"),
        ("VirtualService", "spec: {gateways: [mesh], http: [{route: [{destination: {host: a}}]}]}",
         "a virtual service without hosts is a delegate and must not set gateways"),
        ("VirtualService", "spec: {tcp: [{route: [{destination: {host: a}}]}]}",
         "a virtual service without hosts is a delegate and must not set tcp routes"),
        ("VirtualService", "spec: {hosts: [], tls: [{match: [{sniHosts: [a]}]}]}",
         "a virtual service without hosts is a delegate and must not set tls routes"),
        ("DestinationRule", "spec: {host: ''}", "host is required"),
        ("Gateway", "spec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: []}]}",
         "each server must have at least one host"),
        ("Gateway", "spec: {servers: []}", "gateway must have at least one server"),
        ("Gateway", "spec: {servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a], tls: {mode: SIMPLE, credentialName: a, credentialNames: [b]}}]}",
         "only one of credentialName, credentialNames, serverCertificate/privateKey or tlsCertificates can be set"),
        ("Gateway", "spec: {servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a], tls: {mode: MUTUAL, caCertificates: /ca.pem}}]}",
         "SIMPLE and MUTUAL TLS need credentialName(s), tlsCertificates or serverCertificate and privateKey"),
        ("Gateway", "spec: {servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a], tls: {mode: SIMPLE, tlsCertificates: [{serverCertificate: /c.pem}]}}]}",
         "SIMPLE and MUTUAL TLS need credentialName(s), tlsCertificates or serverCertificate and privateKey"),
        ("Gateway", "spec: {servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a], tls: {mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}}]}",
         "MUTUAL TLS without credentialName(s) needs caCertificates"),
        ("Gateway", "spec: {servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a], tls: {mode: ISTIO_MUTUAL, credentialName: a}}]}",
         "ISTIO_MUTUAL TLS cannot have certificates, keys or credentials"),
        ("Gateway", "spec: {servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a], tls: {mode: SIMPLE, credentialName: a, caCrl: /crl.pem}}]}",
         "caCrl is not supported with credentialName or SIMPLE TLS"),
        ("Gateway", "spec: {servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a]}]}",
         "server must have TLS settings for HTTPS/TLS protocols"),
        ("Gateway", "spec: {servers: [{port: {number: 0, name: http, protocol: HTTP}, hosts: [a]}]}",
         "port number must be between 1 and 65535"),
        ("Gateway", "spec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, bind: 'unix:///run/gw.sock', hosts: [a]}]}",
         "port number must be 0 for a unix domain socket"),
    ])
    func brokenObjectsFailExactlyTheirRule(kind: String, yaml: String, message: String) throws {
        let object = try #require(try YAMLDocuments.parse(yaml).first)
        let root = try #require(IstioCRDs.schema(kind))
        let applications = ruleApplications(object, root)
        let results = try evaluate(applications)
        try #require(results.count == applications.count)
        let failing = zip(applications, results).filter { $0.1.value != true }
        #expect(failing.map { $0.0.rule.message ?? $0.0.rule.rule } == [message],
                "\(failing.map { "\($0.0.rule.rule) → \($0.1.error ?? "false")" })")
    }
}

/// Fixtures/istio/invalid holds Istio objects istiod refuses, each saying on its first line where the
/// CRD refuses it: `# rejected-at: <field path>` (schema) or `# rejected-by-rule: <CEL message>`.
/// Other test targets may use them as known-bad input; this checks the CRDs really refuse them.
@Suite struct InvalidFixtureTests {
    @Test func everyInvalidFixtureIsRefusedWhereItSays() throws {
        let folder = Repository.url("Tests/KubernetesAPITests/Fixtures/istio/invalid")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }
        #expect(files.count >= 10)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let header = String(text.prefix { $0 != "\n" })
            let object = try #require(try YAMLDocuments.parse(text).first)
            let kind = try #require(object["kind"]?.stringValue)
            let crd = try #require(IstioCRDs.byKind[kind])
            for version in crd.versions {
                let root = try #require(version.schema)
                let fields = root.validate(object).map(\.field)
                if header.hasPrefix("# rejected-at: ") {
                    #expect(fields == [String(header.dropFirst("# rejected-at: ".count))], "\(file.lastPathComponent) as \(version.name)")
                } else if header.hasPrefix("# rejected-by-rule: ") {
                    #expect(fields == [], "\(file.lastPathComponent) as \(version.name)")
                } else {
                    Issue.record("\(file.lastPathComponent) does not say where it is refused")
                }
            }
            // The versions share one schema (IstioCRDShapeTests), so the CEL rules run once per file.
            if header.hasPrefix("# rejected-by-rule: "), let root = crd.storageVersion?.schema {
                let applications = ruleApplications(object, root)
                let results = try evaluate(applications)
                let failing = zip(applications, results).filter { $0.1.value != true }.map { $0.0.rule.message ?? $0.0.rule.rule }
                #expect(failing == [String(header.dropFirst("# rejected-by-rule: ".count))], "\(file.lastPathComponent)")
            }
        }
    }
}
