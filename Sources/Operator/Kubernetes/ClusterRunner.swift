import KubernetesClient
import Logging
import MeshAPI
import ServiceLifecycle
import Translator
import XDSServer

/// The translation loop against a cluster (every replica runs it): waits for the caches to sync,
/// then for every change compiles the cluster's objects into a mesh, installs it in the generator
/// (the xDS server re-translates lazily, per proxy kind and identity) and records each Istio
/// object's evaluation on the status board.
public final class ClusterRunner: ServiceLifecycle.Service, Sendable {
    public let cache: ClusterCache
    public let generator: MeshResourceGenerator
    public let debouncer: ChangeDebouncer
    public let snapshotCache: SnapshotCache
    public let board: StatusBoard
    private let domainSuffix: String
    private let logger: Logger

    public init(cache: ClusterCache, generator: MeshResourceGenerator, debouncer: ChangeDebouncer, snapshotCache: SnapshotCache,
                board: StatusBoard, domainSuffix: String = "cluster.local", logger: Logger = Logger(label: "coxswain.translation")) {
        self.cache = cache
        self.generator = generator
        self.debouncer = debouncer
        self.snapshotCache = snapshotCache
        self.board = board
        self.domainSuffix = domainSuffix
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.cache.run() }
                group.addTask { await self.translateChanges() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func translateChanges() async {
        await cache.waitUntilSynced()
        guard !Task.isCancelled else { return }
        logger.info("caches synced", metadata: ["objects": "\(cache.kinds.reduce(0) { $0 + cache.count($1.mesh) })"])
        var compiler = MeshCompiler(domainSuffix: domainSuffix)
        var invalid: Set<MeshObjectKey> = []
        var partsLeftOut: Set<ValidationFinding> = []
        var changes = cache.changes.makeAsyncIterator()
        var first = true
        while !Task.isCancelled {
            let started = ContinuousClock.now
            var objects: [WatchedKind: [UnstructuredObject]] = [:]
            for kind in cache.kinds { objects[kind] = cache.objects(kind.mesh) }
            let compilation = compiler.compile(objects)
            invalid = report(compilation, previouslyInvalid: invalid)
            let scope = generator.update(compilation.snapshot)
            partsLeftOut = report(generator.index.partsLeftOut, previously: partsLeftOut)
            let published = await snapshotCache.generation
            board.record(compilation.evaluations, publishedGeneration: published)
            await debouncer.changed(scope)
            if first {
                await debouncer.flush()
                first = false
            }
            logger.debug("mesh compiled", metadata: [
                "decoded": "\(compiler.lastDecodeCount)", "scope": "\(scope)", "took": "\(ContinuousClock.now - started)",
            ])
            guard await changes.next() != nil else { return }
        }
    }

    /// Logs each object once when it becomes invalid, with its kind/namespace/name.
    private func report(_ compilation: MeshCompilation, previouslyInvalid: Set<MeshObjectKey>) -> Set<MeshObjectKey> {
        var invalid: Set<MeshObjectKey> = []
        for (key, evaluation) in compilation.evaluations where !evaluation.isAccepted {
            invalid.insert(key)
            guard !previouslyInvalid.contains(key) else { continue }
            let metadata = key.logMetadata.merging(["generation": "\(evaluation.generation)", "error": "\(evaluation.invalid.first ?? "")"]) { $1 }
            if let served = evaluation.servedInstead {
                logger.warning("invalid edit not applied; the object's last valid version is still served",
                               metadata: metadata.merging(["served": "\(served)"]) { $1 })
            } else {
                logger.warning("invalid object left out; the rest of the mesh is still served", metadata: metadata)
            }
        }
        return invalid
    }

    /// Logs each part of a Service, EndpointSlice, Pod or Secret left out of translation (a port out
    /// of range, an address that is not an IP, a credential that does not parse) once, when it
    /// appears: these kinds get no status from Coxswain, so the log is where the user sees it.
    private func report(_ findings: [ValidationFinding], previously: Set<ValidationFinding>) -> Set<ValidationFinding> {
        let current = Set(findings)
        for finding in findings where !previously.contains(finding) {
            logger.warning("part of an object left out of translation; the rest is still served", metadata: [
                "kind": "\(finding.kind.rawValue)", "namespace": "\(finding.namespace ?? MeshSnapshot.defaultNamespace)",
                "name": "\(finding.name ?? "")", "field": "\(finding.fieldPath)", "error": "\(finding.message)",
            ])
        }
        return current
    }
}

