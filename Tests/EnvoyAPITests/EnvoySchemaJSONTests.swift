import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing

/// Our JSON output parsed strictly by Envoy's own message classes (xds-protos) through
/// Support/validate_envoy_json.py — the same helper the translator's golden tests use.
@Suite struct EnvoySchemaJSONTests {
    init() {
        EnvoyAPI.registerTypes()
    }

    /// {"listeners": [...], "routes": [...], ...} with every resource printed by SwiftProtobuf.
    static func document() throws -> String {
        func section(_ messages: [any Message]) throws -> String {
            "[" + (try messages.map { try Google_Protobuf_Any(packing: $0).jsonString() }.joined(separator: ",")) + "]"
        }
        return """
            {"listeners": \(try section([EnvoyFixtures.listener()])),
             "routes": \(try section([EnvoyFixtures.routeConfiguration()])),
             "clusters": \(try section([EnvoyFixtures.cluster()])),
             "endpoints": \(try section([EnvoyFixtures.clusterLoadAssignment()])),
             "secrets": \(try section([EnvoyFixtures.secret()]))}
            """
    }

    static func validate(_ json: String) throws -> SupportScripts.Result {
        let path = SupportScripts.temporaryFile("resources.json")
        try Data(json.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        return try SupportScripts.run("validate_envoy_json.py", [path.path])
    }

    @Test func everyResourceTypeParsesWithEnvoysSchema() throws {
        let result = try Self.validate(Self.document())
        #expect(result.status == 0, "validate_envoy_json.py rejected our JSON:\n\(result.output)")
        for type in XDSResourceType.allCases {
            #expect(result.output.contains(type.messageType.protoMessageName), "\(type) not validated:\n\(result.output)")
        }
    }

    /// Resources decoded from binary (the xDS wire form) print JSON that Envoy's schema accepts.
    @Test func discoveryResponseDecodedFromBinaryParses() throws {
        var response = Envoy_Service_Discovery_V3_DiscoveryResponse()
        response.typeURL = TypeURL.cluster
        response.versionInfo = "1"
        response.nonce = "a"
        response.resources = [try Google_Protobuf_Any(packing: EnvoyFixtures.cluster())]
        let decoded = try Envoy_Service_Discovery_V3_DiscoveryResponse(serializedBytes: response.serializedBytes() as [UInt8])
        let json = try decoded.jsonString()
        let result = try Self.validate("{\"@type\": \"\(TypeURL.of(Envoy_Service_Discovery_V3_DiscoveryResponse.self))\", "
            + json.dropFirst())
        #expect(result.status == 0, "\(result.output)")
    }

    /// The validator is strict: a misspelt field deep inside a typed_config is rejected.
    @Test func misspeltNestedFieldIsRejected() throws {
        let json = try Self.document().replacingOccurrences(of: "\"statPrefix\"", with: "\"statPrefx\"")
        let result = try Self.validate(json)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("statPrefx"), "\(result.output)")
    }

    /// An enum name Envoy does not know is rejected too.
    @Test func unknownEnumNameIsRejected() throws {
        let json = try Self.document().replacingOccurrences(of: "\"RING_HASH\"", with: "\"RING_HASHED\"")
        let result = try Self.validate(json)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("clusters[0]"), "\(result.output)")
    }
}
