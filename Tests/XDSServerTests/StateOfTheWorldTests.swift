import EnvoyAPI
import Foundation
import GRPCCore
import SwiftProtobuf
import Testing
@testable import XDSServer

/// State-of-the-world ADS against a real grpc-swift client over loopback HTTP/2.
@Suite struct StateOfTheWorldTests {
    static let reviewsV1 = "outbound|9080|v1|reviews.default.svc.cluster.local"
    static let reviewsV2 = "outbound|9080|v2|reviews.default.svc.cluster.local"

    static func seed(_ mesh: TestMesh) async {
        await mesh.set(TypeURL.cluster, [TestResources.cluster(reviewsV1), TestResources.cluster(reviewsV2)])
        await mesh.set(TypeURL.clusterLoadAssignment, [TestResources.endpoints(reviewsV1, ports: [9001]), TestResources.endpoints(reviewsV2, ports: [9002])])
        await mesh.set(TypeURL.listener, [TestResources.listener("0.0.0.0_9080")])
        await mesh.set(TypeURL.routeConfiguration, [TestResources.route("9080")])
    }

    @Test func subscribeAckAndNoResendOfUnchangedConfig() async throws {
        try await XDSHarness.run { harness in
            await Self.seed(harness.mesh)
            try await harness.sotw { send, inbox in
                send.yield(.subscribe(TypeURL.cluster))
                let clusters = try #require(await inbox.next())
                #expect(clusters.typeURL == TypeURL.cluster)
                #expect(clusters.names == [Self.reviewsV1, Self.reviewsV2])
                #expect(!clusters.versionInfo.isEmpty && !clusters.nonce.isEmpty)

                send.yield(.ack(clusters))
                send.yield(.subscribe(TypeURL.clusterLoadAssignment, names: [Self.reviewsV1], node: nil))
                let endpoints = try #require(await inbox.next())
                #expect(endpoints.names == [Self.reviewsV1], "EDS answers only the names asked for")
                send.yield(.ack(endpoints, names: [Self.reviewsV1]))
                // An empty RDS subscription is not a wildcard: it asks for nothing.
                send.yield(.subscribe(TypeURL.routeConfiguration, node: nil))
                let routes = try #require(await inbox.next())
                #expect(routes.typeURL == TypeURL.routeConfiguration && routes.resources.isEmpty)
                send.yield(.ack(routes))
                #expect(await inbox.drain().isEmpty, "an ACK of current config gets no response")
                #expect(await eventually { await harness.registry.statuses().first?.isSynced == true })

                let status = try #require(await harness.registry.statuses().first)
                #expect(status.types[TypeURL.cluster]?.ackedVersion == clusters.versionInfo)
                #expect(status.isSynced)
            }
        }
    }

    /// A subscription that grows while the resources stay as they were is answered with what it
    /// added (a push would have found nothing changed; the proxy keeps what it has).
    @Test func aGrownSubscriptionToUnchangedResourcesIsAnswered() async throws {
        try await XDSHarness.run { harness in
            await Self.seed(harness.mesh)
            try await harness.sotw { send, inbox in
                send.yield(.subscribe(TypeURL.clusterLoadAssignment, names: [Self.reviewsV1]))
                let first = try #require(await inbox.next())
                #expect(first.names == [Self.reviewsV1])
                send.yield(.ack(first, names: [Self.reviewsV1]))
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                #expect(await inbox.drain().isEmpty, "nothing changed")

                send.yield(.ack(first, names: [Self.reviewsV1, Self.reviewsV2]))
                let grown = try #require(await inbox.next())
                #expect(grown.names == [Self.reviewsV2])
            }
        }
    }

    @Test func changesPushOnlyTheChangedTypesInMakeBeforeBreakOrder() async throws {
        try await XDSHarness.run { harness in
            await Self.seed(harness.mesh)
            try await harness.sotw { send, inbox in
                var versions: [String: DiscoveryResponse] = [:]
                for (type, names) in [(TypeURL.listener, [String]()), (TypeURL.routeConfiguration, ["9080"]), (TypeURL.cluster, []), (TypeURL.clusterLoadAssignment, [Self.reviewsV1, Self.reviewsV2])] {
                    send.yield(.subscribe(type, names: names, node: versions.isEmpty ? "sidecar~10.0.0.1~client.default~default.svc.cluster.local" : nil))
                    let response = try #require(await inbox.next())
                    versions[type] = response
                    send.yield(.ack(response, names: names))
                }
                _ = await inbox.drain()

                // A new cluster and a new route config: clusters must arrive before routes.
                let reviewsV3 = "outbound|9080|v3|reviews.default.svc.cluster.local"
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster(Self.reviewsV1), TestResources.cluster(Self.reviewsV2), TestResources.cluster(reviewsV3)])
                await harness.mesh.set(TypeURL.routeConfiguration, [TestResources.route("9080"), TestResources.route("unused")])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                let pushed = try #require(await inbox.next())
                #expect(await inbox.drain().isEmpty, "the route config the proxy watches did not change; only CDS did")
                #expect(pushed.typeURL == TypeURL.cluster)
                #expect(pushed.names.contains(reviewsV3))
                send.yield(.ack(pushed))

                // Endpoint-only change: only EDS is regenerated and pushed.
                let generatedBefore = await harness.mesh.generated
                await harness.mesh.set(TypeURL.clusterLoadAssignment, [TestResources.endpoints(Self.reviewsV1, ports: [9001, 9003]), TestResources.endpoints(Self.reviewsV2, ports: [9002])])
                await harness.debouncer.changed(.endpoints)
                await harness.debouncer.flush()
                let endpointPush = try #require(await inbox.next())
                #expect(await inbox.drain().isEmpty)
                #expect(endpointPush.typeURL == TypeURL.clusterLoadAssignment)
                #expect(endpointPush.names == [Self.reviewsV1], "only the cluster whose endpoints moved")
                send.yield(.ack(endpointPush, names: [Self.reviewsV1, Self.reviewsV2]))
                #expect(await harness.mesh.generated == generatedBefore + 1)

                // Everything changes at once: the order is CDS, EDS, LDS, RDS.
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster(Self.reviewsV1, connectTimeout: 5), TestResources.cluster(Self.reviewsV2)])
                await harness.mesh.set(TypeURL.clusterLoadAssignment, [TestResources.endpoints(Self.reviewsV1, ports: [9004]), TestResources.endpoints(Self.reviewsV2, ports: [9002])])
                var listener = Envoy_Config_Listener_V3_Listener()
                listener.name = "0.0.0.0_9080"
                listener.statPrefix = "changed"
                await harness.mesh.set(TypeURL.listener, [try XDSResource(name: listener.name, message: listener)])
                var route = Envoy_Config_Route_V3_RouteConfiguration()
                route.name = "9080"
                route.validateClusters = Google_Protobuf_BoolValue(true)
                await harness.mesh.set(TypeURL.routeConfiguration, [try XDSResource(name: "9080", message: route)])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                let ordered = await inbox.collect { $0.typeURL == TypeURL.routeConfiguration }
                #expect(ordered.map(\.typeURL) == [TypeURL.cluster, TypeURL.clusterLoadAssignment, TypeURL.listener, TypeURL.routeConfiguration])
            }
        }
    }

    /// Endpoints, route configurations and secrets that did not change are left out of a push
    /// to a proxy known to hold them; listeners and clusters are always sent whole. A proxy that
    /// has not accepted the last response is sent everything it subscribed to.
    @Test func onlyChangedEndpointsAndRoutesAreSentToAProxyThatHoldsTheRest() async throws {
        try await XDSHarness.run { harness in
            await Self.seed(harness.mesh)
            await harness.mesh.set(TypeURL.routeConfiguration, [TestResources.route("80"), TestResources.route("9080")])
            let endpointNames = [Self.reviewsV1, Self.reviewsV2]
            try await harness.sotw { send, inbox in
                var latest: [String: DiscoveryResponse] = [:]
                for (type, names) in [(TypeURL.cluster, [String]()), (TypeURL.clusterLoadAssignment, endpointNames), (TypeURL.routeConfiguration, ["80", "9080"])] {
                    send.yield(.subscribe(type, names: names, node: latest.isEmpty ? "sidecar~10.0.0.1~client.default~default.svc.cluster.local" : nil))
                    let response = try #require(await inbox.next())
                    #expect(response.resources.count == max(names.count, 2), "the first response of a type is whole")
                    latest[type] = response
                    send.yield(.ack(response, names: names))
                }
                #expect(await eventually { await harness.registry.statuses().first?.isSynced == true })

                // One cluster and its endpoints change, and one route configuration.
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster(Self.reviewsV1), TestResources.cluster(Self.reviewsV2, connectTimeout: 5)])
                await harness.mesh.set(TypeURL.clusterLoadAssignment, [TestResources.endpoints(Self.reviewsV1, ports: [9001]), TestResources.endpoints(Self.reviewsV2, ports: [9005])])
                var route = Envoy_Config_Route_V3_RouteConfiguration()
                route.name = "9080"
                route.validateClusters = Google_Protobuf_BoolValue(true)
                await harness.mesh.set(TypeURL.routeConfiguration, [TestResources.route("80"), try XDSResource(name: "9080", message: route)])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                let pushed = await inbox.collect { $0.typeURL == TypeURL.routeConfiguration }
                #expect(pushed.map(\.typeURL) == [TypeURL.cluster, TypeURL.clusterLoadAssignment, TypeURL.routeConfiguration])
                #expect(pushed.map(\.names) == [[Self.reviewsV1, Self.reviewsV2], [Self.reviewsV2], ["9080"]])
                for response in pushed {
                    #expect(response.versionInfo != latest[response.typeURL]?.versionInfo, "a new version of the whole subscription")
                    latest[response.typeURL] = response
                }
                // The proxy rejects the endpoints: the next push of them is whole.
                send.yield(.ack(latest[TypeURL.cluster]!))
                send.yield(.nack(latest[TypeURL.clusterLoadAssignment]!, previousVersion: "", message: "rejected", names: endpointNames))
                send.yield(.ack(latest[TypeURL.routeConfiguration]!, names: ["80", "9080"]))
                #expect(await eventually { await harness.registry.statuses().first?.types[TypeURL.clusterLoadAssignment]?.lastNack != nil })
                await harness.mesh.set(TypeURL.clusterLoadAssignment, [TestResources.endpoints(Self.reviewsV1, ports: [9001]), TestResources.endpoints(Self.reviewsV2, ports: [9006])])
                await harness.debouncer.changed(.endpoints)
                await harness.debouncer.flush()
                let afterNack = try #require(await inbox.next())
                #expect(afterNack.typeURL == TypeURL.clusterLoadAssignment)
                #expect(afterNack.names == endpointNames)
                // The config dump shows everything the proxy holds, not only the last push.
                let dump = try #require(await harness.registry.configDump(proxyID: "sidecar~10.0.0.1~client.default~default.svc.cluster.local"))
                #expect(dump[TypeURL.routeConfiguration]?.map(\.name) == ["80", "9080"])
            }
        }
    }

    /// Envoy warms an updated cluster again and waits for its endpoints: a push that changes a
    /// cluster sends its endpoints too, unchanged, right after it.
    @Test func anUpdatedClusterIsFollowedByItsEndpoints() async throws {
        try await XDSHarness.run { harness in
            await Self.seed(harness.mesh)
            let endpointNames = [Self.reviewsV1, Self.reviewsV2]
            try await harness.sotw { send, inbox in
                for (type, names) in [(TypeURL.cluster, [String]()), (TypeURL.clusterLoadAssignment, endpointNames)] {
                    send.yield(.subscribe(type, names: names, node: type == TypeURL.cluster ? "sidecar~10.0.0.1~client.default~default.svc.cluster.local" : nil))
                    send.yield(.ack(try #require(await inbox.next()), names: names))
                }
                #expect(await eventually { await harness.registry.statuses().first?.isSynced == true })
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster(Self.reviewsV1, connectTimeout: 7), TestResources.cluster(Self.reviewsV2)])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                let pushed = await inbox.collect { $0.typeURL == TypeURL.clusterLoadAssignment }
                #expect(pushed.map(\.typeURL) == [TypeURL.cluster, TypeURL.clusterLoadAssignment])
                #expect(pushed.last?.names == [Self.reviewsV1], "the updated cluster's endpoints, though they did not change")
                send.yield(.ack(pushed[0]))
                send.yield(.ack(pushed[1], names: endpointNames))
                #expect(await eventually { await harness.registry.statuses().first?.isSynced == true })
                // A change that leaves the clusters as they are pushes no endpoints.
                await harness.mesh.set(TypeURL.listener, [TestResources.listener("0.0.0.0_8080")])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                #expect(await inbox.drain().isEmpty, "the proxy subscribed to no listeners")
            }
        }
    }

    @Test func nackIsRecordedAndTheProxyStaysOnItsVersion() async throws {
        try await XDSHarness.run { harness in
            await Self.seed(harness.mesh)
            try await harness.sotw { send, inbox in
                send.yield(.subscribe(TypeURL.cluster))
                let first = try #require(await inbox.next())
                send.yield(.ack(first))
                // Change only after the ACK is in: an ACK of a superseded nonce is (rightly) ignored.
                #expect(await eventually { await harness.registry.statuses().first?.types[TypeURL.cluster]?.ackedVersion == first.versionInfo })
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("bad")])
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                let second = try #require(await inbox.next())
                send.yield(.nack(second, previousVersion: first.versionInfo, message: "cluster bad: invalid lb policy"))
                #expect(await eventually { await harness.registry.statuses().first?.types[TypeURL.cluster]?.lastNack != nil })
                #expect(await inbox.drain().isEmpty, "a NACK is not answered with the same config again")
                let status = try #require(await harness.registry.statuses().first)
                let clusters = try #require(status.types[TypeURL.cluster])
                #expect(clusters.ackedVersion == first.versionInfo)
                #expect(clusters.lastNack?.message == "cluster bad: invalid lb policy")
                #expect(!status.isSynced)
                let upToDate = await harness.registry.upToDate(generation: await harness.cache.generation)
                #expect(upToDate.synced == 0 && upToDate.total == 1)
                #expect(upToDate.firstNack?.message == "cluster bad: invalid lb policy")
            }
        }
    }

    @Test func aBurstOfChangesCausesAFewPushesNotOnePerChange() async throws {
        try await XDSHarness.run(quiet: .milliseconds(100), maxDelay: .seconds(1)) { harness in
            await Self.seed(harness.mesh)
            try await harness.sotw { send, inbox in
                send.yield(.subscribe(TypeURL.cluster))
                let first = try #require(await inbox.next())
                send.yield(.ack(first))
                let started = ContinuousClock.now
                for index in 0..<1000 {
                    await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("c\(index)")])
                    await harness.debouncer.changed(.all)
                    if index % 100 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                }
                let burst = ContinuousClock.now - started
                await harness.debouncer.flush()
                let pushes = await inbox.collect { $0.names == ["c999"] }
                // Rarely quiet for 100 ms, so about one publication per 1 s max delay, plus the tail
                // and a few for scheduling stalls on a loaded machine: a handful, never one per change.
                let allowed = Int(burst.components.seconds) + 5
                let publications = await harness.debouncer.publications
                #expect(publications <= allowed, "1,000 changes over \(burst) were published \(publications) times")
                #expect(!pushes.isEmpty && pushes.count <= publications)
                #expect(pushes.last?.names == ["c999"], "the proxy ends on the newest state")
            }
        }
    }

    @Test func malformedNodeGetsAClearError() async throws {
        try await XDSHarness.run { harness in
            try await harness.sotw { send, inbox in
                send.yield(.subscribe(TypeURL.cluster, node: "not-an-istio-id"))
                let error = try #require(await inbox.end() as? RPCError)
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("not-an-istio-id") && error.message.contains("node id must be"))
            }
            try await harness.sotw { send, inbox in
                send.yield(.subscribe(TypeURL.cluster, node: nil))
                let error = try #require(await inbox.end() as? RPCError)
                #expect(error.message.contains("must carry the node"))
            }
        }
    }

    @Test func removedResourcesAreOmittedFromTheNextResponse() async throws {
        try await XDSHarness.run { harness in
            await Self.seed(harness.mesh)
            try await harness.sotw { send, inbox in
                send.yield(.subscribe(TypeURL.cluster))
                let first = try #require(await inbox.next())
                send.yield(.ack(first))
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster(Self.reviewsV1)])
                await harness.debouncer.changed(.all)
                let second = try #require(await inbox.next())
                #expect(second.names == [Self.reviewsV1])
            }
        }
    }

    /// A sidecar's EDS request names every cluster it has, hundreds of kilobytes that arrive in
    /// many HTTP/2 frames; the server reads it whole (between frames, ``InboundBufferRelease``
    /// hands gRPC empty ones). A proxy that unsubscribes drops what it no longer wants and needs no
    /// answer; when it subscribes again it is sent only what it lacks.
    @Test func aRequestSpanningManyFramesIsReadWhole() async throws {
        try await XDSHarness.run { harness in
            await Self.seed(harness.mesh)
            let names = (0..<4_000).map { "outbound|9080|v\($0)|filler.default.svc.cluster.local" } + [Self.reviewsV1, Self.reviewsV2]
            #expect(names.reduce(0) { $0 + $1.utf8.count } > 10 * 16_384, "more than ten frames of the default size")
            try await harness.sotw { send, inbox in
                send.yield(.subscribe(TypeURL.clusterLoadAssignment, names: names))
                let first = try #require(await inbox.next())
                #expect(first.names == [Self.reviewsV1, Self.reviewsV2])
                send.yield(.ack(first, names: names))
                #expect(await eventually { await harness.registry.statuses().first?.isSynced == true }, "the ACK of many frames was read")
                send.yield(.ack(first, names: Array(names.dropLast())))
                send.yield(.ack(first, names: names))
                let again = try #require(await inbox.next())
                #expect(again.names == [Self.reviewsV2])
            }
        }
    }
}
