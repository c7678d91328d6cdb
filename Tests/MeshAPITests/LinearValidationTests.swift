import Testing
@testable import MeshAPI

/// The host-overlap and SNI-coverage checks that replaced comparisons of every pair agree with
/// those comparisons on every input (the comparisons are kept here as the reference).
@Suite struct LinearValidationTests {
    /// A small alphabet of labels so that random hosts overlap often.
    static func randomHost(_ rng: inout SplitMix) -> String {
        let labels = ["a", "b", "ab", "ba", "example", "com", "x-y"]
        let count = Int(rng.next() % 3) + 1
        var parts = (0..<count).map { _ in labels[Int(rng.next() % UInt64(labels.count))] }
        switch rng.next() % 5 {
        case 0: return "*"
        case 1: parts[0] = "*." + parts[0]
        case 2: parts[0] = "*" + parts[0]
        default: break
        }
        return parts.joined(separator: ".")
    }

    @Test func firstOverlapsFindsTheEarliestOverlappingHostOfEveryHost() {
        var rng = SplitMix(seed: 20261203)
        for round in 0..<2_000 {
            let hosts = (0..<Int(rng.next() % 8) + 1).map { _ in Self.randomHost(&rng) }
            var expected: [(Int, Int)] = []
            for j in hosts.indices {
                if let i = hosts.indices.prefix(j).first(where: { Names.hostsOverlap(hosts[$0], hosts[j]) }) { expected.append((i, j)) }
            }
            let found = Names.firstOverlaps(hosts)
            #expect(found.map(\.earlier) == expected.map(\.0) && found.map(\.later) == expected.map(\.1), "round \(round): \(hosts)")
        }
    }

    @Test func hostCoverageAgreesWithSubsetOfEveryHost() {
        var rng = SplitMix(seed: 7)
        for round in 0..<2_000 {
            let hosts = (0..<Int(rng.next() % 5) + 1).map { _ in Self.randomHost(&rng) }
            let coverage = Names.HostCoverage(hosts)
            for _ in 0..<5 {
                let sni = Self.randomHost(&rng)
                #expect(coverage.covers(sni) == hosts.contains { Names.host(sni, isSubsetOf: $0) }, "round \(round): \(sni) in \(hosts)")
            }
        }
    }

    @Test func everyCoveredPrefixMatchIsReportedOnce() {
        let prefixes = ["/api", "/api/v1", "/api/v1/x", "/b", "/api/v2", "/a"]
        let routes = prefixes.map { "- match: [{uri: {prefix: \"\($0)\"}}]\n  route: [{destination: {host: r}}]" }.joined(separator: "\n")
        let object = MeshDocumentDecoder().decode(yaml: """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: r, namespace: default}
        spec:
          hosts: [r]
          http:
        \(routes.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        """, source: "t").objects[0].object
        let warned = MeshValidator.validate(object).filter { $0.message.contains("of prefix") }.map(\.fieldPath)
        #expect(warned == ["spec.http[1].match[0]", "spec.http[2].match[0]", "spec.http[4].match[0]"])
    }

    @Test func duplicateHostsAreStillErrors() {
        let object = MeshDocumentDecoder().decode(yaml: """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: r, namespace: default}
        spec:
          hosts: [a.example.com, b.example.com, "*.example.com", a.example.com]
          http: [{route: [{destination: {host: r}}]}]
        """, source: "t").objects[0].object
        let errors = MeshValidator.validate(object).filter { $0.level == .error }.map { "\($0.fieldPath): \($0.message)" }
        #expect(errors == ["spec.hosts[2]: duplicate hosts in virtual service: a.example.com & *.example.com",
                           "spec.hosts[3]: duplicate hosts in virtual service: a.example.com & a.example.com"])
    }
}

/// A small deterministic generator (SplitMix64), so failures name a reproducible round.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
}
