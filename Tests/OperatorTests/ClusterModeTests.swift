import Foundation
import KubernetesAPI
import KubernetesClient
import KubernetesTestServer
import Testing
import XDSServer
@testable import Operator

/// One replica against the in-memory API server over HTTPS: it watches, translates, elects itself
/// and writes status through the status subresource.
@Suite struct ClusterModeTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let mesh = """
    apiVersion: v1
    kind: Service
    metadata: {name: reviews, namespace: default}
    spec:
      selector: {app: reviews}
      ports: [{name: http, port: 9080}]
    ---
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: reviews, namespace: default}
    spec:
      host: reviews
      subsets: [{name: v1, labels: {version: v1}}]
    ---
    apiVersion: networking.istio.io/v1beta1
    kind: VirtualService
    metadata: {name: reviews, namespace: default}
    spec:
      hosts: [reviews]
      http:
      - route: [{destination: {host: reviews, subset: v1}}]
    """

    struct Replica {
        let mode: ClusterMode
        let generator = MeshResourceGenerator()
        let registry = ProxyRegistry()
        let snapshotCache: SnapshotCache
        init(client: KubernetesClient, identity: String) {
            snapshotCache = SnapshotCache(generator: generator)
            var election = LeaderElectionOptions(identity: identity)
            election.leaseNamespace = "default"
            election.leaseDuration = .seconds(3)
            election.renewDeadline = .seconds(2)
            election.retryPeriod = .milliseconds(500)
            mode = ClusterMode(client: client, namespaces: [], leaderElection: election, generator: generator,
                               debouncer: ChangeDebouncer(cache: snapshotCache, quiet: .milliseconds(20), maxDelay: .milliseconds(200)),
                               snapshotCache: snapshotCache, registry: registry)
        }

        func run() async {
            await withTaskGroup(of: Void.self) { group in
                for service in mode.services { group.addTask { try? await service.run() } }
            }
        }
    }

    static func withCluster(_ body: (TestAPIServer, KubernetesClient) async throws -> Void) async throws {
        let server = try await TestAPIServer.start(TestAPIServerConfiguration())
        var configuration = try ClientConfiguration.from(try Kubeconfig.parse(server.kubeconfig()))
        configuration.qps = 1000
        configuration.burst = 1000
        configuration.requestTimeout = .seconds(120)
        let client = try KubernetesClient(configuration: configuration)
        try await server.seed(directory: repository.appendingPathComponent("crds"))
        do {
            try await body(server, client)
        } catch {
            try? await client.shutdown()
            try? await server.shutdown()
            throw error
        }
        try await client.shutdown()
        try await server.shutdown()
    }

    static func status(_ client: KubernetesClient, _ kind: ResourceKind, _ name: String) async throws -> (ObjectStatus?, UnstructuredObject) {
        let object = try await client.unstructured(kind).get(name, namespace: "default")
        return (ObjectStatus(json: object.object["status"]), object)
    }

    static func eventually(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test(.timeLimit(.minutes(3))) func writesConditionsFollowsChangesAndDoesNotLoop() async throws {
        try await Self.withCluster { server, client in
            try await server.seed(yaml: Self.mesh)
            let replica = Replica(client: client, identity: "only")
            let running = Task { await replica.run() }
            defer { running.cancel() }

            let allTrue = try await Self.eventually {
                for (kind, name) in [(ResourceKind.virtualService, "reviews"), (.destinationRule, "reviews")] {
                    let (status, object) = try await Self.status(client, kind, name)
                    guard let status, status.observedGeneration == object.metadata.generation,
                          status.conditions.count == 3, status.conditions.allSatisfy({ $0.status == "True" }) else { return false }
                }
                return true
            }
            let first = try await Self.status(client, .virtualService, "reviews").0
            #expect(allTrue, "\(first as Any)")
            let lease = try await client.resource(UnstructuredObject.self, .lease).get("coxswain-leader", namespace: "default")
            #expect(lease.object[path: ["spec", "holderIdentity"]] == .string("only"))

            // A spec change to a subset nobody defines: ResolvedRefs False for the new generation.
            var (_, object) = try await Self.status(client, .virtualService, "reviews")
            object.object["spec"] = .object(["hosts": .array([.string("reviews")]), "http": .array([.object(["route": .array([
                .object(["destination": .object(["host": .string("reviews"), "subset": .string("v9")])]),
            ])])])])
            let updated = try await client.unstructured(.virtualService).update(object)
            let unresolved = try await Self.eventually {
                let (status, _) = try await Self.status(client, .virtualService, "reviews")
                return status?.observedGeneration == updated.metadata.generation && status?.condition("ResolvedRefs")?.status == "False"
                    && status?.condition("Programmed")?.status == "True"
            }
            #expect(unresolved)
            let (status, current) = try await Self.status(client, .virtualService, "reviews")
            #expect(status?.condition("ResolvedRefs")?.reason == "ReferencedResourceNotFound")
            #expect(status?.condition("ResolvedRefs")?.message.contains("reviews+v9") == true)
            #expect(status?.condition("Accepted")?.status == "True")
            #expect(status?.validationMessages?.contains { $0.type.code == "IST0101" } == true)

            // Quiet: nothing is rewritten.
            try await Task.sleep(for: .seconds(2))
            let (_, later) = try await Self.status(client, .virtualService, "reviews")
            #expect(later.metadata.resourceVersion == current.metadata.resourceVersion)

            // Someone else overwrites the status: it is put back.
            var overwritten = later
            overwritten.object["status"] = .object(["conditions": .array([])])
            _ = try await client.unstructured(.virtualService).updateStatus(overwritten)
            let restored = try await Self.eventually {
                try await Self.status(client, .virtualService, "reviews").0?.condition("ResolvedRefs")?.status == "False"
            }
            #expect(restored)
        }
    }

    @Test(.timeLimit(.minutes(3))) func invalidObjectIsRejectedWithItsFieldPathAndOthersStillServed() async throws {
        try await Self.withCluster { server, client in
            try await server.seed(yaml: Self.mesh)
            // The schema cannot tell a regex RE2 rejects.
            try await server.seed(yaml: """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: broken, namespace: default}
            spec:
              hosts: [ratings]
              http:
              - match: [{uri: {regex: "(unclosed"}}]
                route: [{destination: {host: reviews}}]
            """)
            let replica = Replica(client: client, identity: "only")
            let running = Task { await replica.run() }
            defer { running.cancel() }
            let rejected = try await Self.eventually {
                try await Self.status(client, .virtualService, "broken").0?.condition("Accepted")?.status == "False"
            }
            #expect(rejected)
            let (status, _) = try await Self.status(client, .virtualService, "broken")
            #expect(status?.condition("Accepted")?.message.contains("spec.http[0].match[0].uri.regex") == true, "\(status as Any)")
            #expect(status?.condition("Programmed")?.status == "False")
            let leftOut = Set(replica.generator.index.leftOut.map(\.name.name))
            #expect(leftOut == ["broken"], "only the invalid object is left out of the translation")
            let good = try await Self.eventually {
                try await Self.status(client, .virtualService, "reviews").0?.condition("Programmed")?.status == "True"
            }
            #expect(good)
        }
    }

    @Test(.timeLimit(.minutes(3))) func invalidEditKeepsServingTheLastValidGenerationUntilDeleted() async throws {
        try await Self.withCluster { server, client in
            try await server.seed(yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: default}
            spec:
              selector: {app: reviews}
              ports: [{name: http, port: 9080}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews
              subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 90}
                - {destination: {host: reviews, subset: v2}, weight: 10}
            """)
            let replica = Replica(client: client, identity: "only")
            let running = Task { await replica.run() }
            defer { running.cancel() }
            func served() -> [Int32?]? {
                replica.generator.index.meshVirtualServices.first { $0.metadata.name == "reviews" }?.spec.http?.first?.route?.map(\.weight)
            }
            let programmed = try await Self.eventually {
                try await Self.status(client, .virtualService, "reviews").0?.condition("Programmed")?.status == "True"
            }
            #expect(programmed)
            #expect(served() == [90, 10])

            // The canary is edited into one with a regex RE2 rejects (the schema cannot tell).
            var (_, object) = try await Self.status(client, .virtualService, "reviews")
            object.object["spec"] = .object(["hosts": .array([.string("reviews")]), "http": .array([.object([
                "match": .array([.object(["uri": .object(["regex": .string("(unclosed")])])]),
                "route": .array([.object(["destination": .object(["host": .string("reviews"), "subset": .string("v2")])])]),
            ])])])
            let updated = try await client.unstructured(.virtualService).update(object)
            let rejected = try await Self.eventually {
                let (status, _) = try await Self.status(client, .virtualService, "reviews")
                return status?.observedGeneration == updated.metadata.generation && status?.condition("Accepted")?.status == "False"
            }
            #expect(rejected)
            let (status, _) = try await Self.status(client, .virtualService, "reviews")
            #expect(status?.condition("Accepted")?.message.contains("spec.http[0].match[0].uri.regex") == true, "\(status as Any)")
            #expect(status?.condition("Programmed")?.reason == StatusComputer.lastValidServed, "\(status as Any)")
            #expect(status?.condition("Programmed")?.message.contains("generation \(object.metadata.generation ?? 0)") == true, "\(status as Any)")
            #expect(served() == [90, 10], "proxies keep the last valid canary split")

            // A deletion is a deletion.
            try await client.unstructured(.virtualService).delete("reviews", namespace: "default")
            let gone = try await Self.eventually { served() == nil }
            #expect(gone)
        }
    }
}
