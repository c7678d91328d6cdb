import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing

/// Binary round trips and Envoy's canonical proto3 JSON for the resources the translator emits.
@Suite struct SerializationTests {
    init() {
        EnvoyAPI.registerTypes()
    }

    /// Bytes with map entries sorted, so equal messages give equal bytes.
    static func canonicalBytes(_ message: any Message) throws -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return try message.serializedBytes(options: options)
    }

    /// The message as a JSON value (key order ignored); nested Anys are expanded, so two messages
    /// compare equal here exactly when their contents are equal, however their Anys are stored.
    static func jsonValue(_ message: any Message) throws -> NSDictionary? {
        try JSONSerialization.jsonObject(with: Data(message.jsonString().utf8)) as? NSDictionary
    }

    /// decode(encode(x)) has the same content as x and encodes to the same bytes.
    /// (`==` is not used: SwiftProtobuf does not compare an in-memory Any with one decoded from bytes.)
    static func expectRoundTrip<M: Message>(_ message: M) throws {
        let bytes = try canonicalBytes(message)
        let decoded = try M(serializedBytes: bytes)
        #expect(try canonicalBytes(decoded) == bytes, "\(M.protoMessageName) bytes changed")
        let original = try jsonValue(message)
        let roundTripped = try jsonValue(decoded)
        #expect(original != nil && roundTripped == original, "\(M.protoMessageName) content changed")
    }

    @Test func resourcesSurviveBinaryRoundTrip() throws {
        try Self.expectRoundTrip(EnvoyFixtures.listener())
        try Self.expectRoundTrip(EnvoyFixtures.routeConfiguration())
        try Self.expectRoundTrip(EnvoyFixtures.cluster())
        try Self.expectRoundTrip(EnvoyFixtures.clusterLoadAssignment())
        try Self.expectRoundTrip(EnvoyFixtures.secret())
        // Messages without Anys compare with == as well.
        let endpoints = EnvoyFixtures.clusterLoadAssignment()
        #expect(try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: Self.canonicalBytes(endpoints)) == endpoints)
    }

    @Test func typedConfigUnpacksToTheMessagePacked() throws {
        let decoded = try Envoy_Config_Listener_V3_Listener(serializedBytes: EnvoyFixtures.listener().serializedBytes() as [UInt8])
        let filter = try #require(decoded.filterChains.first?.filters.first)
        #expect(filter.typedConfig.typeURL == TypeURL.prefix + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager")
        let hcm = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(unpackingAny: filter.typedConfig)
        #expect(hcm.rds.routeConfigName == "https.443.default.bookinfo-gateway")
        #expect(hcm.httpFilters.map(\.name) == [EnvoyExtensionName.fault, EnvoyExtensionName.cors, EnvoyExtensionName.router])
        #expect(hcm.stripAnyHostPort)
        guard case .rds? = hcm.routeSpecifier else {
            Issue.record("route_specifier is \(String(describing: hcm.routeSpecifier)), expected rds")
            return
        }
    }

    /// The field numbers we declare produce the bytes Envoy expects: Listener.name is field 1
    /// (tag 0x0a), Cluster.connect_timeout field 4 (tag 0x22), SocketAddress.port_value field 3 varint (0x18).
    @Test func wireTagsMatchEnvoyFieldNumbers() throws {
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = "l"
        #expect(try listener.serializedBytes() as [UInt8] == [0x0A, 0x01, UInt8(ascii: "l")])
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.connectTimeout = Google_Protobuf_Duration(seconds: 1)
        #expect(try cluster.serializedBytes() as [UInt8] == [0x22, 0x02, 0x08, 0x01])
        var address = Envoy_Config_Core_V3_SocketAddress()
        address.portValue = 80
        #expect(try address.serializedBytes() as [UInt8] == [0x18, 80])
    }

    @Test func jsonUsesEnvoyCanonicalNamesAndTypeURLs() throws {
        let json = try EnvoyFixtures.listener().jsonString()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "0.0.0.0_443")
        #expect(object["trafficDirection"] as? String == "OUTBOUND")
        #expect(object["continueOnListenerFiltersTimeout"] as? Bool == true)
        #expect(object["listenerFiltersTimeout"] as? String == "0.100s")
        let chains = try #require(object["filterChains"] as? [[String: Any]])
        let match = try #require(chains.first?["filterChainMatch"] as? [String: Any])
        #expect(match["serverNames"] as? [String] == ["bookinfo.example.com"])
        #expect(match["destinationPort"] as? Int == 443)
        let filters = try #require(chains.first?["filters"] as? [[String: Any]])
        let typedConfig = try #require(filters.first?["typedConfig"] as? [String: Any])
        #expect(
            typedConfig["@type"] as? String
                == "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
        )
        #expect(typedConfig["statPrefix"] as? String == "outbound_0.0.0.0_443")
        #expect(typedConfig["pathWithEscapedSlashesAction"] as? String == "KEEP_UNCHANGED")
        let rds = try #require(typedConfig["rds"] as? [String: Any])
        #expect((rds["configSource"] as? [String: Any])?["resourceApiVersion"] as? String == "V3")
        // No snake_case key anywhere: Envoy's canonical JSON is lowerCamelCase.
        #expect(!json.contains("\"stat_prefix\""))
        #expect(!json.contains("\"filter_chains\""))
        #expect(!json.contains("\"typed_config\""))
    }

    /// After `registerTypes()`, `Any`s decoded from binary (as they arrive over gRPC) print as JSON
    /// with their fields, exactly like the in-memory original.
    @Test func anysDecodedFromBinaryPrintAsJSON() throws {
        let resources: [any Message] = [
            try EnvoyFixtures.listener(), try EnvoyFixtures.routeConfiguration(), try EnvoyFixtures.cluster(),
            EnvoyFixtures.clusterLoadAssignment(), EnvoyFixtures.secret(),
        ]
        var response = Envoy_Service_Discovery_V3_DiscoveryResponse()
        response.resources = try resources.map { try Google_Protobuf_Any(packing: $0) }
        response.typeURL = TypeURL.listener
        let decoded = try Envoy_Service_Discovery_V3_DiscoveryResponse(serializedBytes: response.serializedBytes() as [UInt8])
        let json = try decoded.jsonString()
        // Compare as JSON values: map keys may be printed in any order.
        let printed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
        let original = try JSONSerialization.jsonObject(with: Data(response.jsonString().utf8)) as? NSDictionary
        #expect(printed != nil && printed == original)
        #expect(json.contains("\"@type\":\"type.googleapis.com/envoy.config.cluster.v3.Cluster\""))
        #expect(json.contains("\"@type\":\"type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions\""))
        #expect(json.contains("\"@type\":\"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext\""))
        #expect(json.contains("\"consecutive5xx\":5"))
        #expect(json.contains("\"typedPerFilterConfig\""))
        #expect(json.contains("\"lbPolicy\":\"RING_HASH\""))
        // And JSON parses back into the same messages.
        let reparsed = try Envoy_Service_Discovery_V3_DiscoveryResponse(jsonString: json)
        #expect(try reparsed.resources.map { try $0.serializedBytes() as [UInt8] }.count == 5)
        let cluster = try Envoy_Config_Cluster_V3_Cluster(unpackingAny: reparsed.resources[2])
        #expect(try Self.jsonValue(cluster) == Self.jsonValue(EnvoyFixtures.cluster()))
        #expect(cluster.outlierDetection.consecutive5Xx.value == 5)
    }

    @Test func everyPackableTypeIsRegistered() throws {
        for type in EnvoyTypeRegistry.packableTypes {
            let url = TypeURL.prefix + type.protoMessageName
            let registered = try #require(Google_Protobuf_Any.messageType(forTypeURL: url), "\(url) not registered")
            #expect(registered.protoMessageName == type.protoMessageName)
        }
        #expect(EnvoyTypeRegistry.packableTypes.count == Set(EnvoyTypeRegistry.packableTypes.map { $0.protoMessageName }).count)
    }

    @Test func typeURLsNameEnvoyResources() {
        #expect(TypeURL.listener == "type.googleapis.com/envoy.config.listener.v3.Listener")
        #expect(TypeURL.routeConfiguration == "type.googleapis.com/envoy.config.route.v3.RouteConfiguration")
        #expect(TypeURL.cluster == "type.googleapis.com/envoy.config.cluster.v3.Cluster")
        #expect(TypeURL.clusterLoadAssignment == "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment")
        #expect(TypeURL.secret == "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret")
        for type in XDSResourceType.allCases {
            #expect(XDSResourceType(typeURL: type.typeURL) == type)
            #expect(type.typeURL == TypeURL.prefix + type.messageType.protoMessageName)
        }
        #expect(XDSResourceType(typeURL: "type.googleapis.com/envoy.config.listener.v3.Nope") == nil)
    }
}
