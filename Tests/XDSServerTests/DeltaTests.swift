import EnvoyAPI
import Foundation
import Testing
@testable import XDSServer

/// Incremental ADS: only differences are sent, removals are named, subscriptions change.
@Suite struct DeltaTests {
    static func subscribe(_ typeURL: String, _ names: [String] = [], node: Bool = true, initial: [String: String] = [:]) -> DeltaRequest {
        var request = DeltaRequest()
        request.typeURL = typeURL
        request.resourceNamesSubscribe = names
        request.initialResourceVersions = initial
        if node { request.node.id = "router~10.0.0.9~gateway.istio-system~istio-system.svc.cluster.local" }
        return request
    }

    static func ack(_ response: DeltaResponse) -> DeltaRequest {
        var request = DeltaRequest()
        request.typeURL = response.typeURL
        request.responseNonce = response.nonce
        return request
    }

    @Test func wildcardThenOnlyDifferencesAndRemovals() async throws {
        try await XDSHarness.run { harness in
            await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("a"), TestResources.cluster("b")])
            try await harness.delta { send, inbox in
                send.yield(Self.subscribe(TypeURL.cluster))
                let first = try #require(await inbox.next())
                #expect(first.resources.map(\.name) == ["a", "b"])
                #expect(first.removedResources.isEmpty)
                send.yield(Self.ack(first))

                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("a", connectTimeout: 3), TestResources.cluster("c")])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                let second = try #require(await inbox.next())
                #expect(second.resources.map(\.name) == ["a", "c"], "b is unchanged... and gone; a changed; c is new")
                #expect(second.removedResources == ["b"])
                send.yield(Self.ack(second))
                #expect(await inbox.drain().isEmpty)
                let status = try #require(await harness.registry.statuses().first)
                #expect(status.stream == "delta" && status.kind == "gateway")
                #expect(status.types[TypeURL.cluster]?.resourceCount == 2)
            }
        }
    }

    /// As in state of the world: a push that changes a cluster sends its endpoints too.
    @Test func anUpdatedClusterIsFollowedByItsEndpoints() async throws {
        try await XDSHarness.run { harness in
            await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("a"), TestResources.cluster("b")])
            await harness.mesh.set(TypeURL.clusterLoadAssignment, [TestResources.endpoints("a", ports: [1]), TestResources.endpoints("b", ports: [2])])
            try await harness.delta { send, inbox in
                send.yield(Self.subscribe(TypeURL.cluster))
                send.yield(Self.ack(try #require(await inbox.next())))
                send.yield(Self.subscribe(TypeURL.clusterLoadAssignment, ["a", "b"], node: false))
                let endpoints = try #require(await inbox.next())
                #expect(endpoints.resources.map(\.name) == ["a", "b"])
                send.yield(Self.ack(endpoints))
                #expect(await eventually { await harness.registry.statuses().first?.isSynced == true })

                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("a"), TestResources.cluster("b", connectTimeout: 4)])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                let pushed = await inbox.collect { $0.typeURL == TypeURL.clusterLoadAssignment }
                #expect(pushed.map(\.typeURL) == [TypeURL.cluster, TypeURL.clusterLoadAssignment])
                #expect(pushed.map { $0.resources.map(\.name) } == [["b"], ["b"]])
                #expect(pushed.last?.removedResources.isEmpty == true)
            }
        }
    }

    @Test func namedSubscribeUnsubscribeAndInitialVersions() async throws {
        try await XDSHarness.run { harness in
            let a = TestResources.endpoints("a", ports: [1])
            let b = TestResources.endpoints("b", ports: [2])
            await harness.mesh.set(TypeURL.clusterLoadAssignment, [a, b])
            try await harness.delta { send, inbox in
                // Reconnecting with `a` already held at its current version: only `b` is sent.
                send.yield(Self.subscribe(TypeURL.clusterLoadAssignment, ["a", "b"], initial: ["a": a.version]))
                let first = try #require(await inbox.next())
                #expect(first.resources.map(\.name) == ["b"])
                send.yield(Self.ack(first))

                var unsubscribe = DeltaRequest()
                unsubscribe.typeURL = TypeURL.clusterLoadAssignment
                unsubscribe.resourceNamesUnsubscribe = ["b"]
                send.yield(unsubscribe)
                // What the proxy has: `a`, held from before and never sent on this stream.
                #expect(await eventually { await harness.registry.statuses().first?.types[TypeURL.clusterLoadAssignment]?.resourceCount == 1 })
                let proxyID = try #require(await harness.registry.statuses().first?.id)
                #expect(await harness.registry.configDump(proxyID: proxyID)?[TypeURL.clusterLoadAssignment]?.map(\.name) == ["a"])
                await harness.mesh.set(TypeURL.clusterLoadAssignment, [a, TestResources.endpoints("b", ports: [3])])
                await harness.debouncer.changed(.endpoints)
                await harness.debouncer.flush()
                #expect(await inbox.drain().allSatisfy { !$0.resources.map(\.name).contains("b") }, "an unsubscribed resource is not pushed")
            }
        }
    }

    /// A push finds an unchanged list without comparing every resource; a new subscription to a
    /// list that did not change is still answered, and a change after it is still sent.
    @Test func unchangedListsAreSkippedButNewSubscriptionsAreAnswered() async throws {
        try await XDSHarness.run { harness in
            let a = TestResources.endpoints("a", ports: [1])
            let b = TestResources.endpoints("b", ports: [2])
            await harness.mesh.set(TypeURL.clusterLoadAssignment, [a, b])
            try await harness.delta { send, inbox in
                send.yield(Self.subscribe(TypeURL.clusterLoadAssignment, ["a"]))
                let first = try #require(await inbox.next())
                #expect(first.resources.map(\.name) == ["a"])
                send.yield(Self.ack(first))

                // Another type changes: nothing to send for endpoints.
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("x")])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                #expect(await inbox.drain().isEmpty)

                // The list is as it was, the subscription is not.
                var more = DeltaRequest()
                more.typeURL = TypeURL.clusterLoadAssignment
                more.resourceNamesSubscribe = ["b"]
                send.yield(more)
                let second = try #require(await inbox.next())
                #expect(second.resources.map(\.name) == ["b"])
                send.yield(Self.ack(second))

                await harness.mesh.set(TypeURL.clusterLoadAssignment, [a, TestResources.endpoints("b", ports: [3])])
                await harness.debouncer.changed(.endpoints)
                await harness.debouncer.flush()
                let third = try #require(await inbox.next())
                #expect(third.resources.map(\.name) == ["b"])
            }
        }
    }
}
