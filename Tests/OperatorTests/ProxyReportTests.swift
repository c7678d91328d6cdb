import Foundation
import KubernetesAPI
import KubernetesClient
import Testing
@testable import Operator
@testable import XDSServer

@Suite struct ProxyReportTests {
    static let reviews = MeshObjectKey(kind: .virtualService, namespace: "default", name: "reviews")

    static func report(_ replica: String, proxies: Int, generation: Int64? = nil, synced: Int = 0, nack: String? = nil,
                       renewed: Date = Date()) -> ProxyReport {
        var report = ProxyReport(replica: replica, proxies: proxies, renewed: renewed)
        if let generation { report.record(reviews, generation: generation, synced: synced, nack: nack) }
        return report
    }

    @Test func otherReplicasProxiesAreAddedToTheLocalCount() {
        let key = Self.reviews
        #expect(ProxyReport.merge(.pushed(synced: 2, total: 2), key: key, generation: 5, reports: []) == .pushed(synced: 2, total: 2))
        // Up to date elsewhere, at this generation or a newer one.
        #expect(ProxyReport.merge(.pushed(synced: 2, total: 2), key: key, generation: 5,
                                  reports: [Self.report("b", proxies: 3, generation: 5, synced: 3), Self.report("c", proxies: 1, generation: 6, synced: 1)])
                == .pushed(synced: 6, total: 6))
        // A replica still at an older generation, or that has not seen the object: its proxies are behind.
        #expect(ProxyReport.merge(.pushed(synced: 2, total: 2), key: key, generation: 5,
                                  reports: [Self.report("b", proxies: 3, generation: 4, synced: 3), Self.report("c", proxies: 2)])
                == .pushed(synced: 2, total: 7))
        // A replica without proxies changes nothing.
        #expect(ProxyReport.merge(.pushed(synced: 0, total: 0), key: key, generation: 5, reports: [Self.report("b", proxies: 0)])
                == .pushed(synced: 0, total: 0))
        // Another replica's rejection is reported when this one has none; this one's comes first.
        #expect(ProxyReport.merge(.pushed(synced: 1, total: 1), key: key, generation: 5, reports: [Self.report("b", proxies: 2, generation: 5, synced: 1, nack: "bad cluster")])
                == .rejected(synced: 2, total: 3, error: "bad cluster"))
        #expect(ProxyReport.merge(.rejected(synced: 0, total: 1, error: "mine"), key: key, generation: 5, reports: [Self.report("b", proxies: 2, generation: 5, synced: 1, nack: "theirs")])
                == .rejected(synced: 1, total: 3, error: "mine"))
        // Not pushed here yet: still waiting, whatever the others say.
        #expect(ProxyReport.merge(.waitingForPush, key: key, generation: 5, reports: [Self.report("b", proxies: 2, generation: 5, synced: 2)]) == .waitingForPush)
    }

    @Test func aReportRoundTripsThroughItsConfigMap() throws {
        var report = Self.report("coxswain-7d9f_AB12cd34", proxies: 4, generation: 3, synced: 2, nack: "rejected: x",
                                 renewed: Date(timeIntervalSince1970: 1_800_000_000))
        report.record(MeshObjectKey(kind: .gateway, namespace: "istio-system", name: "ingress"), generation: 1, synced: 4, nack: nil)
        let object = try UnstructuredObject(try report.configMap(namespace: "coxswain-system"))
        #expect(object.metadata.name == "coxswain-proxies-coxswain-7d9f-ab12cd34")
        #expect(object.metadata.labels?[ProxyReport.label] == "true")
        let decoded = try #require(ProxyReport(configMap: object))
        #expect(decoded == report)
        #expect(decoded.progress(of: Self.reviews) == .init(generation: 3, synced: 2, nack: "rejected: x"))
        #expect(decoded.progress(of: MeshObjectKey(kind: .gateway, namespace: "istio-system", name: "ingress")) == .init(generation: 1, synced: 4, nack: nil))
        #expect(decoded.progress(of: MeshObjectKey(kind: .destinationRule, namespace: "default", name: "reviews")) == nil)
    }

    @Test func theLeaderIgnoresItsOwnReportAndReplicasGoneSilent() throws {
        let client = try KubernetesClient(configuration: ClientConfiguration(server: "https://127.0.0.1:1"))
        defer { Task { try? await client.shutdown() } }
        let reports = ReplicaReports(client: client, namespace: "default", identity: "leader", ttl: .seconds(60))
        let now = Date()
        for report in [Self.report("leader", proxies: 1), Self.report("alive", proxies: 2, renewed: now.addingTimeInterval(-30)),
                       Self.report("gone", proxies: 3, renewed: now.addingTimeInterval(-90))] {
            _ = reports.informer.store.upsert(try UnstructuredObject(try report.configMap(namespace: "default")))
        }
        #expect(reports.others(now: now).map(\.replica) == ["alive"])
    }

    /// Two replicas against the test API server: a proxy connected to the follower (its registry
    /// driven as the xDS server drives it) counts in the status the leader writes.
    @Test(.timeLimit(.minutes(3))) func theLeaderCountsTheFollowersProxies() async throws {
        try await ClusterModeTests.withCluster { server, client in
            try await server.seed(yaml: ClusterModeTests.mesh)
            let leader = ClusterModeTests.Replica(client: client, identity: "leader")
            let leading = Task { await leader.run() }
            defer { leading.cancel() }
            func programmed() async throws -> (status: String?, message: String?, generation: Int64?) {
                let (status, object) = try await ClusterModeTests.status(client, .virtualService, "reviews")
                guard status?.observedGeneration == object.metadata.generation else { return (nil, nil, nil) }
                let condition = status?.condition("Programmed")
                return (condition?.status, condition?.message, object.metadata.generation)
            }
            let settled = try await ClusterModeTests.eventually { try await programmed().message == "0/0 proxies up to date" }
            #expect(settled)

            let follower = ClusterModeTests.Replica(client: client, identity: "follower")
            let following = Task { await follower.run() }
            defer { following.cancel() }
            // The follower has published the translation that carries the VirtualService.
            let followerServes = try await ClusterModeTests.eventually {
                guard let entry = follower.mode.board.entry(Self.reviews) else { return false }
                return await follower.snapshotCache.generation >= entry.cacheGeneration
            }
            #expect(followerServes)

            // A proxy on the follower acknowledges what it was sent.
            let registry = follower.registry
            let stream = await registry.connect(ProxyDescriptor(id: "sidecar~10.0.0.9~app.default~default.svc.cluster.local", kind: "sidecar", cacheKey: "sidecar"),
                                                stream: "test")
            let first = await follower.snapshotCache.generation
            await registry.sent(stream, typeURL: "type.googleapis.com/envoy.config.cluster.v3.Cluster", version: "v1", nonce: "n1", generation: first, resources: [])
            await registry.acked(stream, typeURL: "type.googleapis.com/envoy.config.cluster.v3.Cluster", version: "v1", generation: first)
            let counted = try await ClusterModeTests.eventually {
                let state = try await programmed()
                return state.status == "True" && state.message == "1/1 proxies up to date" && state.generation == 1
            }
            let afterAck = try await programmed()
            #expect(counted, "\(afterAck)")
            let configMap = try await client.unstructured(.configMap).get(ProxyReport.configMapName(for: "follower"), namespace: "default")
            #expect(ProxyReport(configMap: configMap)?.progress(of: Self.reviews) == .init(generation: 1, synced: 1, nack: nil))

            // A new generation that the follower's proxy rejects: Programmed turns False with its error.
            var (_, object) = try await ClusterModeTests.status(client, .virtualService, "reviews")
            object.object["spec"] = .object(["hosts": .array([.string("reviews")]), "http": .array([.object([
                "timeout": .string("3s"), "route": .array([.object(["destination": .object(["host": .string("reviews"), "subset": .string("v1")])])]),
            ])])])
            _ = try await client.unstructured(.virtualService).update(object)
            let followerServesTheChange = try await ClusterModeTests.eventually {
                guard let entry = follower.mode.board.entry(Self.reviews), entry.evaluation.generation == 2 else { return false }
                return await follower.snapshotCache.generation >= entry.cacheGeneration
            }
            #expect(followerServesTheChange)
            let second = await follower.snapshotCache.generation
            await registry.sent(stream, typeURL: "type.googleapis.com/envoy.config.cluster.v3.Cluster", version: "v2", nonce: "n2", generation: second, resources: [])
            await registry.nacked(stream, typeURL: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                                  nack: .init(version: "v1", nonce: "n2", message: "cluster outbound|9080|v1|reviews: bad timeout", code: 3, at: Date()))
            let rejected = try await ClusterModeTests.eventually {
                let state = try await programmed()
                return state.generation == 2 && state.status == "False" && state.message?.contains("bad timeout") == true
            }
            let afterNack = try await programmed()
            #expect(rejected, "\(afterNack)")
            let (status, _) = try await ClusterModeTests.status(client, .virtualService, "reviews")
            #expect(status?.condition("Programmed")?.reason == "Rejected")
            #expect(status?.condition("Programmed")?.message.hasPrefix("0/1 proxies up to date") == true)
        }
    }
}
