import EnvoyAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import Testing
@testable import XDSServer

/// Many proxies at once: a change is generated once per cache key, and pushed only to the
/// proxies whose resources it changed; the others count as up to date without a push.
@Suite struct FleetTests {
    @Test func aChangeIsGeneratedOncePerCacheKeyAndPushedOnlyWhereItChangesSomething() async throws {
        try await XDSHarness.run { harness in
            await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("outbound|9080||reviews.default.svc.cluster.local")])
            let nodes = (0..<8).map { "sidecar~10.0.0.\($0)~client-\($0).default~default.svc.cluster.local" }
                + (0..<4).map { "router~10.0.1.\($0)~ingress-\($0).istio-system~istio-system.svc.cluster.local" }
            try await harness.clusterSubscribers(nodes) { inboxes in
                let initial = await harness.cache.generation
                #expect(await eventually { await harness.registry.upToDate(generation: initial).synced == nodes.count })
                let generatedBefore = await harness.mesh.generated

                // Only gateways get a new cluster.
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("outbound|80||ingress.istio-system.svc.cluster.local")], for: "gateway")
                await harness.debouncer.changed(.all)
                await harness.debouncer.flush()
                let changed = await harness.cache.generation
                #expect(changed > initial)
                #expect(await eventually { await harness.registry.upToDate(generation: changed).synced == nodes.count },
                        "proxies the change left alone are up to date with it too")
                #expect(await harness.mesh.generated == generatedBefore + 2, "one generation per cache key, not per proxy")
                for (node, inbox) in zip(nodes, inboxes) {
                    let responses = await inbox.drain(quiet: .milliseconds(100))
                    #expect(responses.count == (node.hasPrefix("router") ? 1 : 0), "\(node)")
                }
            }
        }
    }
}

extension XDSHarness {
    /// Opens a state-of-the-world stream per node on one connection; each subscribes to
    /// clusters and ACKs every response. `body` gets each stream's responses, after the first.
    func clusterSubscribers(_ nodes: [String], _ body: ([Inbox<DiscoveryResponse>]) async throws -> Void) async throws {
        try await withGRPCClient(transport: try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)) { client in
            let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
            let inboxes = nodes.map { _ in Inbox<DiscoveryResponse>() }
            let streams = nodes.map { _ in AsyncStream.makeStream(of: DiscoveryRequest.self) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, node) in nodes.enumerated() {
                    let (requests, sender) = streams[index]
                    let inbox = inboxes[index]
                    sender.yield(.subscribe(TypeURL.cluster, node: node))
                    group.addTask {
                        try await ads.streamAggregatedResources(request: StreamingClientRequest { writer in
                            for await request in requests { try await writer.write(request) }
                        }) { response in
                            for try await message in response.messages {
                                await inbox.append(message)
                                sender.yield(.ack(message))
                            }
                        }
                    }
                }
                for inbox in inboxes { _ = await inbox.next() }
                try await body(inboxes)
                for (_, sender) in streams { sender.finish() }
                group.cancelAll()
            }
        }
    }
}
