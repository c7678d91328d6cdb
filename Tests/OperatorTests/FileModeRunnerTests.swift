import Foundation
import MeshAPI
import Testing
import XDSServer
@testable import Operator

/// File mode end to end, folder → watcher → runner → generator: an edit that makes an object
/// invalid keeps its last valid version served; removing its file removes it.
@Suite struct FileModeRunnerTests {
    typealias Files = ConfigDirectoryTests

    static func canary(regex: String? = nil, weights: (Int, Int)) -> String {
        let match = regex.map { "- match: [{uri: {regex: \"\($0)\"}}]\n    route:" } ?? "- route:"
        return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews]
          http:
          \(match)
            - {destination: {host: reviews}, weight: \(weights.0)}
            - {destination: {host: ratings}, weight: \(weights.1)}

        """
    }

    static func service(_ name: String) -> String {
        "apiVersion: v1\nkind: Service\nmetadata: {name: \(name), namespace: default}\nspec: {ports: [{name: http, port: 9080}]}\n"
    }

    @Test(.timeLimit(.minutes(2))) func invalidEditKeepsTheLastValidVersionAndDeletionRemovesIt() async throws {
        let root = try Files.makeDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Files.write(Self.service("reviews") + "---\n" + Self.service("ratings"), to: root.appendingPathComponent("services.yaml"))
        let file = root.appendingPathComponent("reviews.yaml")
        try Files.write(Self.canary(weights: (90, 10)), to: file)

        let generator = MeshResourceGenerator()
        let cache = SnapshotCache(generator: generator)
        let runner = FileModeRunner(watcher: ConfigDirectoryWatcher(directory: root, interval: .milliseconds(50), settle: .zero),
                                    generator: generator, debouncer: ChangeDebouncer(cache: cache, quiet: .milliseconds(1)))
        let running = Task { try await runner.run() }
        defer { running.cancel() }
        func weights() -> [Int32?]? {
            generator.index.meshVirtualServices.first { $0.metadata.name == "reviews" }?.spec.http?.first?.route?.map(\.weight)
        }
        func until(_ condition: () -> Bool) async throws {
            while !condition() { try await Task.sleep(for: .milliseconds(20)) }
        }
        try await until { weights() == [90, 10] }

        // A bad RE2 regex and a new split, then a marker Service: once the marker is in, the edit was read.
        try Files.replaceAtomically(Self.canary(regex: "(unclosed", weights: (50, 50)), at: file)
        try Files.write(Self.service("marker"), to: root.appendingPathComponent("marker.yaml"))
        try await until { generator.index.services.keys.contains { $0.hasPrefix("marker.") } }
        #expect(weights() == [90, 10], "the last valid canary split keeps serving")
        #expect(generator.index.leftOut.isEmpty, "nothing is left out: the valid version stands in")

        // Fixed: the new version is served.
        try Files.replaceAtomically(Self.canary(weights: (50, 50)), at: file)
        try await until { weights() == [50, 50] }

        // Removed (other files remain): a deletion.
        try FileManager.default.removeItem(at: file)
        try await until { weights() == nil }
    }
}
