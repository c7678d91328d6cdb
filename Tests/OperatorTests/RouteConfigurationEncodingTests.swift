import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing
@testable import Operator

/// Route configurations assembled from cached virtual host bytes must be byte for byte what
/// serializing the whole message gives: versions are hashes of these bytes.
@Suite struct RouteConfigurationEncodingTests {
    static func configuration(weights: [UInt32]) -> Envoy_Config_Route_V3_RouteConfiguration {
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = "9080"
        configuration.validateClusters = .init(false)
        for (index, weight) in weights.enumerated() {
            var host = Envoy_Config_Route_V3_VirtualHost()
            host.name = "svc-\(index).default.svc.cluster.local:9080"
            host.domains = ["svc-\(index)", "svc-\(index):9080", String(repeating: "long-name-", count: 20)]
            var route = Envoy_Config_Route_V3_Route()
            route.match.prefix = "/"
            var action = Envoy_Config_Route_V3_RouteAction()
            var split = Envoy_Config_Route_V3_WeightedCluster()
            for subset in ["v1", "v2"] {
                var cluster = Envoy_Config_Route_V3_WeightedCluster.ClusterWeight()
                cluster.name = "outbound|9080|\(subset)|svc-\(index).default.svc.cluster.local"
                cluster.weight = .init(subset == "v1" ? weight : 100 - weight)
                split.clusters.append(cluster)
            }
            action.weightedClusters = split
            route.route = action
            host.routes = [route]
            configuration.virtualHosts.append(host)
        }
        return configuration
    }

    static func whole(_ configuration: Envoy_Config_Route_V3_RouteConfiguration) throws -> Data {
        try configuration.serializedBytes(options: RouteConfigurationEncoding.options)
    }

    @Test func assembledBytesEqualTheWholeMessageSerialized() throws {
        let encoding = RouteConfigurationEncoding()
        let before = Self.configuration(weights: Array(repeating: 90, count: 40))
        #expect(try encoding.encode(before, scope: "sidecar|default|*") == (try Self.whole(before)))

        // One host changes; the others come from the cache, the changed one must not.
        var after = before
        after.virtualHosts[7] = Self.configuration(weights: Array(repeating: 50, count: 8)).virtualHosts[7]
        let assembled = try encoding.encode(after, scope: "sidecar|default|*")
        #expect(assembled == (try Self.whole(after)))
        #expect(assembled != (try Self.whole(before)))
        let decoded = try Envoy_Config_Route_V3_RouteConfiguration(serializedBytes: assembled)
        #expect(decoded == after)

        // A host of the same name in another scope is another entry.
        let other = Self.configuration(weights: Array(repeating: 10, count: 40))
        #expect(try encoding.encode(other, scope: "sidecar|other|*") == (try Self.whole(other)))
        #expect(try encoding.encode(after, scope: "sidecar|default|*") == (try Self.whole(after)))
    }

    @Test func lengthsBeyondOneVarintByteAreEncoded() throws {
        let encoding = RouteConfigurationEncoding()
        let large = Self.configuration(weights: Array(repeating: 30, count: 300))
        let bytes = try encoding.encode(large, scope: "grpc|default|*")
        #expect(bytes.count > 100_000)
        #expect(bytes == (try Self.whole(large)))
    }
}
