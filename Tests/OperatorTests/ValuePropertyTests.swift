import Foundation
import KubernetesAPI
import MeshAPI
import Testing
import Translator

/// Random mutations of every sample object (config/samples, with its Services, EndpointSlices,
/// Pods and Secret, plus the crasher corpus of issue #15) never crash translation, and whatever
/// Coxswain sends, a real Envoy accepts: one as a gateway and one as a sidecar must ACK every
/// update with 0 rejections. The seed is printed first (a trap ends the process) and in every
/// failure; `COXSWAIN_PROPERTY_SEED=<n>` replays a run.
@Suite(.serialized) struct ValuePropertyTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let meshes = 300

    /// The sample objects as JSON trees, the form a mutation edits (as the API server stores them).
    static func sampleTrees() throws -> [JSONValue] {
        let decoded = MeshDocumentDecoder().decode(paths: [repository.appendingPathComponent("config/samples"),
                                                           repository.appendingPathComponent("Tests/Corpus/values"),
                                                           repository.appendingPathComponent("Tests/Corpus/mesh")])
        let encoder = JSONEncoder()
        return try decoded.objects.map { object in
            try JSONDecoder().decode(JSONValue.self, from: encoder.encode(object.object.encodable))
        }
    }

    /// A snapshot of `trees`; an object that no longer decodes is left out, as the operator leaves it out.
    static func snapshot(_ trees: [JSONValue]) -> MeshSnapshot {
        let decoder = MeshDocumentDecoder()
        return MeshSnapshot(objects: trees.enumerated().flatMap { position, tree in
            decoder.decode(json: tree, source: "mutated[\(position)]").objects.map(\.object)
        })
    }

    @Test func mutatedSamplesTranslateAndRealEnvoyAcceptsEveryUpdate() async throws {
        let seed = ProcessInfo.processInfo.environment["COXSWAIN_PROPERTY_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        print("ValuePropertyTests seed=\(seed) (COXSWAIN_PROPERTY_SEED=\(seed) replays it)")
        var random = SplitMix64(seed: seed)
        let samples = try Self.sampleTrees()
        #expect(samples.count > 20, "the samples hold the whole bookinfo mesh")
        let sidecar = ProxyIdentity(kind: .sidecar, id: EnvoyProcess.Role.sidecar.nodeID, namespace: "default", labels: EnvoyProcess.Role.sidecar.labels)
        let gateway = ProxyIdentity(kind: .gateway, id: EnvoyProcess.Role.gateway.nodeID, namespace: "istio-system", labels: EnvoyProcess.Role.gateway.labels)
        let grpc = ProxyIdentity(kind: .grpc, namespace: "default")

        try await InProcessXDS.run(Self.snapshot(samples)) { xds in
            try await EnvoyProcess.run(xds: xds.socketPath, as: .gateway) { gatewayEnvoy in
                try await EnvoyProcess.run(xds: xds.socketPath, as: .sidecar, delta: true) { sidecarEnvoy in
                    let first = try await xds.waitForSync(generation: await xds.cache.generation, proxies: 2)
                    if case .rejected(let nack) = first { Issue.record("seed \(seed): the unmutated samples were rejected: \(nack.message)") }
                    for iteration in 0..<Self.meshes {
                        var trees = samples
                        var applied: [String] = []
                        for _ in 0..<Int.random(in: 1...4, using: &random) {
                            let target = Int.random(in: 0..<trees.count, using: &random)
                            var mutator = Mutator(random: random)
                            applied.append("object \(target): " + mutator.mutate(&trees[target]))
                            random = mutator.random
                        }
                        let context = "seed \(seed), mesh \(iteration): \(applied.joined(separator: "; "))"
                        let snapshot = Self.snapshot(trees)
                        // A trap here ends the process; the seed printed above replays it.
                        for proxy in [sidecar, gateway, grpc] {
                            let resources = Translator.translate(snapshot, proxy: proxy)
                            for listener in resources.listeners where listener.address.socketAddress.portValue > 65535 {
                                Issue.record("\(context): listener \(listener.name) has port \(listener.address.socketAddress.portValue)")
                            }
                        }
                        let generation = await xds.install(snapshot)
                        switch try await xds.waitForSync(generation: generation, proxies: 2) {
                        case .synced: break
                        case .rejected(let nack):
                            Issue.record("\(context): Envoy rejected the update: \(nack.message)")
                            return
                        }
                    }
                    for (role, envoy) in [("gateway", gatewayEnvoy), ("sidecar", sidecarEnvoy)] {
                        #expect(try envoy.counters()["cluster_manager.cds.update_success", default: 0] > 0, "the \(role) Envoy took clusters")
                        let rejected = try envoy.rejections()
                        #expect(rejected.isEmpty, "seed \(seed): the \(role) Envoy rejected updates: \(rejected)\n\(envoy.rejectionLog)")
                        #expect(try envoy.counters()["listener_manager.lds.update_success", default: 0] > 0, "the \(role) Envoy took listeners")
                    }
                }
            }
        }
    }
}

/// Seeded, so a failing run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One random edit somewhere in a JSON tree: integers to negative or huge, strings to empty,
/// garbage, unicode or bad addresses, lists emptied or duplicated, fields removed. `metadata`
/// names and the kind stay, so the edit lands on the object rather than making a new one.
struct Mutator {
    var random: SplitMix64

    static let integers: [Int64] = [-5, -80, -1, 0, 65536, 99_999_999, Int64(Int32.max), Int64(Int32.min), 4_294_967_296, Int64.max, Int64.min]
    static let doubles: [Double] = [-1, 100.5, 1e300, -1e-9, 0.00001]
    static let strings = ["", "::zz", "999.1.1.1", "10.0.0.1/99", "-5", "99999999", "ü\u{7}\u{0}x", "%", "%START_TIME", "a\nb", "*", "..",
                          "-1s", "1h1000000000000h", "315576000001s", "0.0000001s", "Ünïcödé-名前", String(repeating: "x", count: 300), "Not_A_Name:", "/"]

    /// Describes the edit made.
    mutating func mutate(_ tree: inout JSONValue) -> String {
        var paths: [[PathStep]] = []
        Self.collect(tree, at: [], into: &paths)
        guard !paths.isEmpty else { return "nothing to mutate" }
        let path = paths[Int.random(in: 0..<paths.count, using: &random)]
        var description = ""
        tree = edit(tree, path[...], description: &description)
        return "\(path.map(\.description).joined()) \(description)"
    }

    enum PathStep: CustomStringConvertible {
        case key(String)
        case index(Int)
        var description: String {
            switch self {
            case .key(let key): ".\(key)"
            case .index(let index): "[\(index)]"
            }
        }
    }

    static func collect(_ value: JSONValue, at path: [PathStep], into paths: inout [[PathStep]]) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                if path.isEmpty && ["apiVersion", "kind"].contains(key) { continue }
                if path.count == 1, case .key("metadata") = path[0], ["name", "namespace"].contains(key) { continue }
                paths.append(path + [.key(key)])
                collect(member, at: path + [.key(key)], into: &paths)
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                paths.append(path + [.index(index)])
                collect(item, at: path + [.index(index)], into: &paths)
            }
        default: break
        }
    }

    mutating func edit(_ value: JSONValue, _ path: ArraySlice<PathStep>, description: inout String) -> JSONValue {
        guard let step = path.first else { return replacement(for: value, description: &description) }
        let rest = path.dropFirst()
        switch (step, value) {
        case (.key(let key), .object(var members)):
            if rest.isEmpty, Int.random(in: 0..<5, using: &random) == 0 {
                members[key] = nil
                description = "removed"
                return .object(members)
            }
            if let member = members[key] { members[key] = edit(member, rest, description: &description) }
            return .object(members)
        case (.index(let index), .array(var items)) where index < items.count:
            items[index] = edit(items[index], rest, description: &description)
            return .array(items)
        default:
            return value
        }
    }

    mutating func replacement(for value: JSONValue, description: inout String) -> JSONValue {
        let result: JSONValue
        switch value {
        case .integer:
            result = .integer(Self.integers.randomElement(using: &random)!)
        case .double:
            result = .double(Self.doubles.randomElement(using: &random)!)
        case .string:
            result = Int.random(in: 0..<6, using: &random) == 0
                ? .integer(Self.integers.randomElement(using: &random)!)
                : .string(Self.strings.randomElement(using: &random)!)
        case .bool(let flag):
            result = .bool(!flag)
        case .array(let items):
            result = Bool.random(using: &random) || items.isEmpty ? .array([]) : .array(items + items)
        case .object(let members):
            result = Bool.random(using: &random) ? .object([:]) : .object(members.filter { _ in Bool.random(using: &random) })
        case .null:
            result = .string(Self.strings.randomElement(using: &random)!)
        }
        description = "→ \(String(describing: result).prefix(80))"
        return result
    }
}
