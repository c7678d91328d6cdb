import Foundation
import MeshAPI
import Testing
@testable import Operator

/// File mode's config folder: changed files are re-read, atomic renames are seen,
/// and a bad edit never takes good config away.
@Suite struct ConfigDirectoryTests {
    static func virtualService(_ name: String, weight: Int = 100) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: \(name), namespace: default}
        spec:
          hosts: [\(name)]
          http:
          - route:
            - destination: {host: \(name)}
              weight: \(weight)

        """
    }

    static func makeDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }

    /// Writes through a temporary file and a rename, as editors and `kubectl get -o yaml >` tools do.
    static func replaceAtomically(_ text: String, at url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).tmp")
        try Data(text.utf8).write(to: temporary)
        #expect(rename(temporary.path, url.path) == 0)
    }

    static func weight(of name: String, in load: ConfigDirectory.Load) -> Int32? {
        load.snapshot.virtualService(namespace: "default", name: name)?.spec.http?.first?.route?.first?.weight
    }

    @Test func reloadSeesEditsAtomicRenamesAndDeletes() throws {
        let root = try Self.makeDirectory()
        let reviews = root.appendingPathComponent("reviews.yaml")
        try Self.write(Self.virtualService("reviews", weight: 90), to: reviews)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("nested"), withIntermediateDirectories: true)
        try Self.write(Self.virtualService("ratings"), to: root.appendingPathComponent("nested/ratings.yml"))
        var config = ConfigDirectory(root: root)

        let first = config.reload()
        #expect(first.changed)
        #expect(first.objects.count == 2)
        #expect(Self.weight(of: "reviews", in: first) == 90)

        #expect(config.reload().changed == false, "nothing changed on disk")

        try Self.replaceAtomically(Self.virtualService("reviews", weight: 50), at: reviews)
        let renamed = config.reload()
        #expect(renamed.changed)
        #expect(Self.weight(of: "reviews", in: renamed) == 50)

        try FileManager.default.removeItem(at: root.appendingPathComponent("nested/ratings.yml"))
        let deleted = config.reload()
        #expect(deleted.changed)
        #expect(deleted.snapshot.virtualService(namespace: "default", name: "ratings") == nil)
        #expect(deleted.objects.count == 1)
    }

    @Test func aBadEditKeepsTheLastGoodVersionAndIsReported() throws {
        let root = try Self.makeDirectory()
        let reviews = root.appendingPathComponent("reviews.yaml")
        try Self.write(Self.virtualService("reviews", weight: 90), to: reviews)
        try Self.write(Self.virtualService("ratings"), to: root.appendingPathComponent("ratings.yaml"))
        var config = ConfigDirectory(root: root)
        _ = config.reload()

        try Self.replaceAtomically(Self.virtualService("reviews", weight: 50).replacingOccurrences(of: "weight:", with: "weigth:"), at: reviews)
        let bad = config.reload()
        #expect(bad.errors.count == 1)
        #expect(bad.errors.first?.fieldPath == "spec.http[0].route[0].weigth")
        #expect(Self.weight(of: "reviews", in: bad) == 90, "the last good version of the file is still served")
        #expect(bad.snapshot.virtualService(namespace: "default", name: "ratings") != nil, "other files are untouched")

        try Self.replaceAtomically(Self.virtualService("reviews", weight: 10), at: reviews)
        let fixed = config.reload()
        #expect(fixed.errors.isEmpty)
        #expect(Self.weight(of: "reviews", in: fixed) == 10)
    }

    @Test func aFileThatWasNeverGoodContributesNothingButItsErrors() throws {
        let root = try Self.makeDirectory()
        try Self.write("kind: [unclosed\n", to: root.appendingPathComponent("broken.yaml"))
        try Self.write(Self.virtualService("ratings"), to: root.appendingPathComponent("ratings.yaml"))
        var config = ConfigDirectory(root: root)
        let load = config.reload()
        #expect(load.objects.count == 1)
        #expect(load.errors.count == 1)
        #expect(load.errors.first?.location.file.hasSuffix("broken.yaml") == true)
    }

    @Test func watcherYieldsOnChange() async throws {
        let root = try Self.makeDirectory()
        let reviews = root.appendingPathComponent("reviews.yaml")
        try Self.write(Self.virtualService("reviews", weight: 90), to: reviews)
        let watcher = ConfigDirectoryWatcher(directory: root, interval: .milliseconds(20))
        var iterator = watcher.loads().makeAsyncIterator()
        let first = try #require(await iterator.next())
        #expect(Self.weight(of: "reviews", in: first) == 90)
        try Self.replaceAtomically(Self.virtualService("reviews", weight: 40), at: reviews)
        let second = try #require(await iterator.next())
        #expect(Self.weight(of: "reviews", in: second) == 40)
    }
}
