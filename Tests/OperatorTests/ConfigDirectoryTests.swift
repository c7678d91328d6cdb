import Foundation
import MeshAPI
import Testing
@testable import Operator

/// File mode's config folder: changed files are re-read, atomic renames are seen,
/// and nothing transient (a bad or half-written edit, an emptied file, a missing folder,
/// a mount swap) ever takes good config away.
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
        var config = ConfigDirectory(root: root, settle: .zero)

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
        var config = ConfigDirectory(root: root, settle: .zero)
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
        var config = ConfigDirectory(root: root, settle: .zero)
        let load = config.reload()
        #expect(load.objects.count == 1)
        #expect(load.errors.count == 1)
        #expect(load.errors.first?.location.file.hasSuffix("broken.yaml") == true)
    }

    @Test func watcherYieldsOnChange() async throws {
        let root = try Self.makeDirectory()
        let reviews = root.appendingPathComponent("reviews.yaml")
        try Self.write(Self.virtualService("reviews", weight: 90), to: reviews)
        let watcher = ConfigDirectoryWatcher(directory: root, interval: .milliseconds(20), settle: .milliseconds(20), useInotify: false)
        var iterator = watcher.loads().makeAsyncIterator()
        let first = try #require(await iterator.next())
        #expect(Self.weight(of: "reviews", in: first) == 90)
        try Self.replaceAtomically(Self.virtualService("reviews", weight: 40), at: reviews)
        let second = try #require(await iterator.next())
        #expect(Self.weight(of: "reviews", in: second) == 40)
    }

    static func write(_ text: String, to url: URL, keepingStampOf reference: URL) throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: reference.path)
        try Self.write(text, to: url)
        try FileManager.default.setAttributes([.modificationDate: attributes[.modificationDate] as Any], ofItemAtPath: url.path)
    }

    /// A file is taken only once it has stayed the same for the settle time: a version seen
    /// mid-write (here a canary route whose weights are not written yet) is never served.
    @Test func aChangedFileIsTakenOnlyAfterItSettles() throws {
        let root = try Self.makeDirectory()
        let reviews = root.appendingPathComponent("reviews.yaml")
        try Self.write(Self.virtualService("reviews", weight: 100), to: reviews)
        var config = ConfigDirectory(root: root, settle: .milliseconds(500))

        let unsettled = config.reload(at: .zero)
        #expect(unsettled.objects.isEmpty, "not taken before it has settled")
        #expect(unsettled.nextCheck == .milliseconds(500))
        let first = config.reload(at: .milliseconds(500))
        #expect(Self.weight(of: "reviews", in: first) == 100)
        #expect(first.nextCheck == nil)

        // Half-written: the route's destination is there, its weight not yet.
        let full = Self.virtualService("reviews", weight: 90)
        try Self.write(String(full[..<full.range(of: "weight")!.lowerBound]), to: reviews)
        let half = config.reload(at: .seconds(1))
        #expect(half.changed == false)
        #expect(Self.weight(of: "reviews", in: half) == 100, "the half-written version is not served")
        #expect(half.nextCheck == .milliseconds(1500))

        try Self.write(full, to: reviews)
        let stillWriting = config.reload(at: .milliseconds(1200))
        #expect(Self.weight(of: "reviews", in: stillWriting) == 100, "the settle time starts again when the content changes")
        #expect(config.reload(at: .milliseconds(1500)).changed == false)
        let settled = config.reload(at: .milliseconds(1700))
        #expect(settled.changed)
        #expect(Self.weight(of: "reviews", in: settled) == 90)
    }

    /// Change is decided by content: a `touch` changes nothing, and a change that keeps size and
    /// mtime (what a fixed `chmod 000` or a same-size rewrite looks like to a stamp) is still seen.
    @Test func contentNotStampsDecidesChange() throws {
        let root = try Self.makeDirectory()
        let reviews = root.appendingPathComponent("reviews.yaml")
        try Self.write(Self.virtualService("reviews", weight: 90), to: reviews)
        var config = ConfigDirectory(root: root, settle: .zero)
        _ = config.reload()

        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: reviews.path)
        #expect(config.reload().changed == false, "a touch leaves the content alone")

        try Self.write(Self.virtualService("reviews", weight: 50), to: reviews, keepingStampOf: reviews)
        let rewritten = config.reload()
        #expect(rewritten.changed)
        #expect(Self.weight(of: "reviews", in: rewritten) == 50)
    }

    /// An editor's truncate-then-write, or a failed write, leaves an empty file: that is no deletion.
    @Test func anEmptiedFileKeepsItsLastGoodObjects() throws {
        let root = try Self.makeDirectory()
        let reviews = root.appendingPathComponent("reviews.yaml")
        try Self.write(Self.virtualService("reviews", weight: 90), to: reviews)
        try Self.write(Self.virtualService("ratings"), to: root.appendingPathComponent("ratings.yaml"))
        var config = ConfigDirectory(root: root, settle: .zero)
        _ = config.reload()

        try Self.write("", to: reviews)
        let emptied = config.reload()
        #expect(Self.weight(of: "reviews", in: emptied) == 90)
        #expect(emptied.errors.count == 1)
        #expect(emptied.errors.first?.location.file == reviews.path)
        #expect(emptied.errors.first?.message.contains("holds no documents") == true, "\(emptied.errors)")

        // An empty List says so on purpose.
        try Self.write("apiVersion: v1\nkind: List\nitems: []\n", to: reviews)
        let intended = config.reload()
        #expect(intended.errors.isEmpty)
        #expect(intended.snapshot.virtualService(namespace: "default", name: "reviews") == nil)
        #expect(intended.snapshot.virtualService(namespace: "default", name: "ratings") != nil)
    }

    /// A missing folder, or one left with no config files, is a mount going away, not an empty mesh.
    @Test func aMissingOrEmptiedFolderKeepsTheLastGoodObjects() throws {
        let root = try Self.makeDirectory()
        try Self.write(Self.virtualService("reviews", weight: 90), to: root.appendingPathComponent("reviews.yaml"))
        try Self.write(Self.virtualService("ratings"), to: root.appendingPathComponent("ratings.yaml"))
        var config = ConfigDirectory(root: root, settle: .milliseconds(100))
        _ = config.reload(at: .zero)
        #expect(config.reload(at: .milliseconds(100)).objects.count == 2)

        let aside = root.deletingLastPathComponent().appendingPathComponent(root.lastPathComponent + ".aside")
        try FileManager.default.moveItem(at: root, to: aside)
        for time in [200, 400, 2000] {
            let missing = config.reload(at: .milliseconds(time))
            #expect(missing.rootMissing)
            #expect(missing.objects.count == 2, "the folder missing for \(time - 200) ms serves what it served")
            #expect(missing.errors.first?.message.contains("is missing") == true, "\(missing.errors)")
        }
        try FileManager.default.moveItem(at: aside, to: root)
        let back = config.reload(at: .milliseconds(2100))
        #expect(back.errors.isEmpty)
        #expect(back.objects.count == 2)

        try FileManager.default.removeItem(at: root.appendingPathComponent("ratings.yaml"))
        _ = config.reload(at: .milliseconds(2200))
        let deleted = config.reload(at: .milliseconds(2300))
        #expect(deleted.objects.count == 1, "deleting one file of several is a deletion, once it has stayed deleted")

        try FileManager.default.removeItem(at: root.appendingPathComponent("reviews.yaml"))
        for time in [2400, 2500, 5000] {
            let emptied = config.reload(at: .milliseconds(time))
            #expect(emptied.objects.count == 1, "the last file gone keeps its objects")
            #expect(emptied.errors.first?.message.contains("holds no config files") == true, "\(emptied.errors)")
        }
    }

    /// Kubernetes' atomic writer swaps `..data` to a new timestamped folder; the top-level
    /// symlinks are what is read, and the hidden folders are never read themselves.
    @Test func configMapDataSwapIsSeenAndHiddenFoldersAreSkipped() throws {
        let root = try Self.makeDirectory()
        func publish(_ weight: Int, stamp: String) throws {
            let folder = root.appendingPathComponent("..\(stamp)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Self.write(Self.virtualService("reviews", weight: weight), to: folder.appendingPathComponent("reviews.yaml"))
            let temporary = root.appendingPathComponent("..data_tmp")
            try FileManager.default.createSymbolicLink(atPath: temporary.path, withDestinationPath: folder.lastPathComponent)
            #expect(rename(temporary.path, root.appendingPathComponent("..data").path) == 0)
        }
        try publish(90, stamp: "2026_12_03_12_00_00.1")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("reviews.yaml").path, withDestinationPath: "..data/reviews.yaml")
        var config = ConfigDirectory(root: root, settle: .zero)
        let first = config.reload()
        #expect(first.errors.isEmpty, "\(first.errors)")
        #expect(first.objects.count == 1, "read once, through its top-level name")
        #expect(Self.weight(of: "reviews", in: first) == 90)

        try publish(40, stamp: "2026_12_03_12_05_00.2")
        try FileManager.default.removeItem(at: root.appendingPathComponent("..2026_12_03_12_00_00.1"))
        let swapped = config.reload()
        #expect(swapped.changed)
        #expect(swapped.errors.isEmpty, "\(swapped.errors)")
        #expect(Self.weight(of: "reviews", in: swapped) == 40)
    }

    /// The same object in two files: an error naming both, and the one serving first keeps serving
    /// even when the new copy sorts first.
    @Test func aDuplicateObjectIsAnErrorAndTheServingOneStays() throws {
        let root = try Self.makeDirectory()
        try Self.write(Self.virtualService("reviews", weight: 90), to: root.appendingPathComponent("b.yaml"))
        var config = ConfigDirectory(root: root, settle: .zero)
        _ = config.reload()

        try Self.write(Self.virtualService("reviews", weight: 10), to: root.appendingPathComponent("a.yaml"))
        let duplicated = config.reload()
        #expect(duplicated.objects.count == 1)
        #expect(Self.weight(of: "reviews", in: duplicated) == 90, "the definition serving first keeps serving")
        let error = try #require(duplicated.errors.first)
        #expect(duplicated.errors.count == 1)
        #expect(error.location.file.hasSuffix("a.yaml"))
        #expect(error.location.line == 1)
        #expect(error.message.contains("b.yaml: document 1, line 1"), "\(error.message)")
        #expect(error.message.contains("serving first"), "\(error.message)")

        try FileManager.default.removeItem(at: root.appendingPathComponent("b.yaml"))
        let resolved = config.reload()
        #expect(resolved.errors.isEmpty)
        #expect(Self.weight(of: "reviews", in: resolved) == 10)
    }

    /// With inotify, a change is seen without polling: the poll interval here is an hour.
    @Test func watcherSeesChangesThroughInotifyWithoutPolling() async throws {
        let root = try Self.makeDirectory()
        let nested = root.appendingPathComponent("nested")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try Self.write(Self.virtualService("reviews", weight: 90), to: nested.appendingPathComponent("reviews.yaml"))
        let watcher = ConfigDirectoryWatcher(directory: root, interval: .seconds(3600), settle: .milliseconds(20))
        try await Self.bounded { try await Self.followEdits(watcher, root: root, nested: nested) }
    }

    struct TimedOut: Error {}

    /// Runs `body`, cancelling it (the watcher's stream then ends) if it takes longer than a bound.
    static func bounded(_ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await body(); return true }
            group.addTask { try await Task.sleep(for: .seconds(30)); return false }
            let finished = try await group.next() ?? false
            group.cancelAll()
            if !finished { throw TimedOut() }
        }
    }

    static func followEdits(_ watcher: ConfigDirectoryWatcher<ContinuousClock>, root: URL, nested: URL) async throws {
        var iterator = watcher.loads().makeAsyncIterator()
        let first = try #require(await iterator.next())
        #expect(Self.weight(of: "reviews", in: first) == 90)

        try Self.write(Self.virtualService("reviews", weight: 40), to: nested.appendingPathComponent("reviews.yaml"))
        let edited = try #require(await iterator.next())
        #expect(Self.weight(of: "reviews", in: edited) == 40)

        // A folder created later is watched too.
        let later = root.appendingPathComponent("later")
        try FileManager.default.createDirectory(at: later, withIntermediateDirectories: true)
        try Self.write(Self.virtualService("ratings"), to: later.appendingPathComponent("ratings.yaml"))
        let added = try #require(await iterator.next())
        #expect(added.snapshot.virtualService(namespace: "default", name: "ratings") != nil)
    }
}
