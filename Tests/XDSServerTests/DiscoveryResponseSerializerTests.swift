import EnvoyAPI
import Foundation
import SwiftProtobuf
import Testing
@testable import XDSServer

@Suite struct DiscoveryResponseSerializerTests {
    /// What SwiftProtobuf writes for the equivalent message.
    static func reference(_ response: EncodedDiscoveryResponse) throws -> [UInt8] {
        var message = Envoy_Service_Discovery_V3_DiscoveryResponse()
        message.versionInfo = response.versionInfo
        message.typeURL = response.typeURL
        message.nonce = response.nonce
        message.resources = response.resources.map(\.body)
        return try message.serializedBytes()
    }

    static func resource(_ name: String, bytes count: Int) -> XDSResource {
        XDSResource(name: name, typeURL: TypeURL.cluster, value: Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
    }

    @Test(arguments: [
        EncodedDiscoveryResponse(versionInfo: "", typeURL: "", nonce: "", resources: []),
        EncodedDiscoveryResponse(versionInfo: "a1b2", typeURL: TypeURL.cluster, nonce: "7", resources: [resource("small", bytes: 5)]),
        // Lengths whose varints take one, two and three bytes; an empty resource; a name beyond ASCII.
        EncodedDiscoveryResponse(versionInfo: "v", typeURL: TypeURL.cluster, nonce: "12345", resources: [
            resource("127", bytes: 127 - TypeURL.cluster.utf8.count - 4), resource("128", bytes: 128),
            resource("empty", bytes: 0), resource("big", bytes: 20_000), resource("bigger", bytes: 2_100_000),
            XDSResource(name: "no type", typeURL: "", value: Data([1, 2, 3])),
        ]),
        EncodedDiscoveryResponse(versionInfo: "é", typeURL: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", nonce: "1", resources: []),
    ])
    func writesWhatSwiftProtobufWrites(_ response: EncodedDiscoveryResponse) throws {
        let written: [UInt8] = try DiscoveryResponseSerializer().serialize(response)
        #expect(written == (try Self.reference(response)))
        let decoded = try Envoy_Service_Discovery_V3_DiscoveryResponse(serializedBytes: written)
        #expect(decoded.resources.map(\.value) == response.resources.map(\.value))
        #expect(decoded.nonce == response.nonce && decoded.versionInfo == response.versionInfo)
    }

    static func reference(_ response: EncodedDeltaDiscoveryResponse) throws -> [UInt8] {
        var message = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse()
        message.systemVersionInfo = response.systemVersionInfo
        message.typeURL = response.typeURL
        message.nonce = response.nonce
        message.removedResources = response.removedResources
        message.resources = response.resources.map { resource in
            var wrapped = Envoy_Service_Discovery_V3_Resource()
            wrapped.name = resource.name
            wrapped.version = resource.version
            wrapped.resource = resource.body
            return wrapped
        }
        return try message.serializedBytes()
    }

    @Test(arguments: [
        EncodedDeltaDiscoveryResponse(systemVersionInfo: "", typeURL: "", nonce: "", resources: [], removedResources: []),
        EncodedDeltaDiscoveryResponse(systemVersionInfo: "42", typeURL: TypeURL.cluster, nonce: "3", resources: [resource("a", bytes: 10)], removedResources: ["b", "", "c"]),
        EncodedDeltaDiscoveryResponse(systemVersionInfo: "7", typeURL: TypeURL.clusterLoadAssignment, nonce: "99", resources: [
            resource("empty", bytes: 0), resource("128", bytes: 128), resource(String(repeating: "n", count: 200), bytes: 20_000),
            resource("bigger", bytes: 2_100_000), XDSResource(name: "", typeURL: "", value: Data()),
        ], removedResources: [String(repeating: "r", count: 300)]),
    ])
    func writesWhatSwiftProtobufWritesForDelta(_ response: EncodedDeltaDiscoveryResponse) throws {
        let written: [UInt8] = try DeltaDiscoveryResponseSerializer().serialize(response)
        #expect(written == (try Self.reference(response)))
        let decoded = try Envoy_Service_Discovery_V3_DeltaDiscoveryResponse(serializedBytes: written)
        #expect(decoded.resources.map(\.name) == response.resources.map(\.name))
        #expect(decoded.resources.map(\.version) == response.resources.map(\.version))
        #expect(decoded.removedResources == response.removedResources)
    }
}
