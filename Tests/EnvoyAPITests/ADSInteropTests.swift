import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftProtobuf
import Testing

/// The generated ADS service against a client generated from Envoy's own protos (xds-protos +
/// grpcio, Support/ads_client.py) over real HTTP/2 on loopback: method paths, request decoding
/// (Node, type URLs) and response encoding (Anys holding our resources) must all agree with Envoy's.
@Suite struct ADSInteropTests {
    /// Requests as the server saw them.
    actor RequestLog {
        private(set) var requests: [Envoy_Service_Discovery_V3_DiscoveryRequest] = []
        private(set) var deltaRequests: [Envoy_Service_Discovery_V3_DeltaDiscoveryRequest] = []
        func record(_ request: Envoy_Service_Discovery_V3_DiscoveryRequest) { requests.append(request) }
        func record(_ request: Envoy_Service_Discovery_V3_DeltaDiscoveryRequest) { deltaRequests.append(request) }
    }

    /// Answers each subscription with the fixture resources of its type.
    struct FixtureADS: Envoy_Service_Discovery_V3_AggregatedDiscoveryService.SimpleServiceProtocol {
        let log: RequestLog

        static func resources(for typeURL: String) throws -> [any Message] {
            switch XDSResourceType(typeURL: typeURL) {
            case .listener: [try EnvoyFixtures.listener()]
            case .cluster: [try EnvoyFixtures.cluster()]
            case .route: [try EnvoyFixtures.routeConfiguration()]
            case .endpoint: [EnvoyFixtures.clusterLoadAssignment()]
            case .secret: [EnvoyFixtures.secret()]
            case nil: []
            }
        }

        func streamAggregatedResources(
            request: RPCAsyncSequence<Envoy_Service_Discovery_V3_DiscoveryRequest, any Error>,
            response: RPCWriter<Envoy_Service_Discovery_V3_DiscoveryResponse>,
            context: ServerContext
        ) async throws {
            var nonce = 0
            for try await subscription in request {
                await log.record(subscription)
                nonce += 1
                var reply = Envoy_Service_Discovery_V3_DiscoveryResponse()
                reply.typeURL = subscription.typeURL
                reply.versionInfo = "v1"
                reply.nonce = String(nonce)
                reply.resources = try Self.resources(for: subscription.typeURL).map { try Google_Protobuf_Any(packing: $0) }
                try await response.write(reply)
            }
        }

        func deltaAggregatedResources(
            request: RPCAsyncSequence<Envoy_Service_Discovery_V3_DeltaDiscoveryRequest, any Error>,
            response: RPCWriter<Envoy_Service_Discovery_V3_DeltaDiscoveryResponse>,
            context: ServerContext
        ) async throws {
            for try await subscription in request {
                await log.record(subscription)
                var reply = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse()
                reply.typeURL = subscription.typeURL
                reply.nonce = "d1"
                reply.systemVersionInfo = "v1"
                reply.removedResources = ["gone"]
                reply.resources = try Self.resources(for: subscription.typeURL).map { message in
                    var resource = Envoy_Service_Discovery_V3_Resource()
                    resource.name = (message as? Envoy_Config_Listener_V3_Listener)?.name ?? ""
                    resource.version = "v1"
                    resource.resource = try Google_Protobuf_Any(packing: message)
                    return resource
                }
                try await response.write(reply)
            }
        }
    }

    /// Serves `FixtureADS` on an ephemeral loopback port while the Python client runs.
    static func exchange(_ mode: String) async throws -> (SupportScripts.Result, RequestLog) {
        let log = RequestLog()
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: "127.0.0.1", port: 0),
            transportSecurity: .plaintext
        )
        let result = try await withGRPCServer(transport: transport, services: [FixtureADS(log: log)]) { _ in
            let port = try #require(try await transport.listeningAddress.ipv4?.port)
            return try await SupportScripts.runAsync("ads_client.py", [String(port), mode])
        }
        return (result, log)
    }

    @Test func envoyClientCompletesStateOfTheWorldExchange() async throws {
        let (result, log) = try await Self.exchange("sotw")
        #expect(result.status == 0, "ads_client.py failed:\n\(result.output)")
        // Our resources, decoded by Envoy's own classes.
        #expect(result.output.contains("resource envoy.config.listener.v3.Listener name=0.0.0.0_443"), "\(result.output)")
        #expect(result.output.contains("hcm stat_prefix=outbound_0.0.0.0_443 rds=https.443.default.bookinfo-gateway"))
        #expect(result.output.contains("resource envoy.config.cluster.v3.Cluster name=outbound|9080|v1|reviews.default.svc.cluster.local"))
        // Envoy's request, decoded by our generated types.
        let requests = await log.requests
        #expect(requests.map(\.typeURL) == [TypeURL.listener, TypeURL.cluster])
        let node = try #require(requests.first?.node)
        #expect(node.id == "sidecar~10.0.0.7~reviews-v1-abc.default~default.svc.cluster.local")
        #expect(node.cluster == "reviews.default")
        #expect(node.userAgentName == "envoy")
        #expect(node.userAgentVersion == "1.36.0")
        #expect(node.locality.zone == "us-east1-b")
    }

    @Test func envoyClientCompletesDeltaExchange() async throws {
        let (result, log) = try await Self.exchange("delta")
        #expect(result.status == 0, "ads_client.py failed:\n\(result.output)")
        #expect(result.output.contains("removed=['gone']"), "\(result.output)")
        #expect(result.output.contains("resource 0.0.0.0_443 version=v1 decoded=0.0.0.0_443"), "\(result.output)")
        let requests = await log.deltaRequests
        #expect(requests.first?.resourceNamesSubscribe == ["*"])
        #expect(requests.first?.node.locality.region == "us-east1")
    }
}
