import CoxswainTestSupport
import EnvoyAPI
import SwiftProtobuf
import Testing
import XDSServer
@testable import Operator

/// A resource that cannot be serialized is left out, logged and counted: never dropped silently.
@Suite struct EncodingFailureTests {
    @Test func aResourceThatCannotBeEncodedIsCountedAndLeftOut() throws {
        // An `Any` read from JSON for a type this process does not know keeps the JSON, and binary
        // encoding then has nothing it can write.
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = "9080"
        configuration.typedPerFilterConfig["x"] = try Google_Protobuf_Any(jsonString: #"{"@type": "type.googleapis.com/not.a.Known", "a": 1}"#)
        let before = SharedTestMetrics.total("coxswain_xds_encoding_failures_total")
        let encoded = EncodingFailures.attempt(configuration.name, Envoy_Config_Route_V3_RouteConfiguration.self) {
            try XDSResource(name: configuration.name, message: configuration)
        }
        #expect(encoded == nil)
        #expect(SharedTestMetrics.total("coxswain_xds_encoding_failures_total") == before + 1)

        configuration.typedPerFilterConfig = [:]
        let fine = EncodingFailures.attempt(configuration.name, Envoy_Config_Route_V3_RouteConfiguration.self) {
            try XDSResource(name: configuration.name, message: configuration)
        }
        #expect(fine?.name == "9080")
    }
}
