import EnvoyAPI
import Foundation
import GRPCCore
import SwiftProtobuf
import Testing
@testable import XDSServer

@Suite struct DiscoveryRequestDeserializerTests {
    static func request(names: [String], node: Bool = true, nack: Bool = false) -> Envoy_Service_Discovery_V3_DiscoveryRequest {
        var request = Envoy_Service_Discovery_V3_DiscoveryRequest()
        request.versionInfo = "v1"
        if node {
            request.node.id = "sidecar~10.0.0.1~a.default~default.svc.cluster.local"
            request.node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "default")
        }
        request.resourceNames = names
        request.typeURL = TypeURL.clusterLoadAssignment
        request.responseNonce = "42"
        if nack {
            request.errorDetail.code = 3
            request.errorDetail.message = "rejected"
        }
        return request
    }

    static func read(_ bytes: [UInt8]) throws -> IncomingDiscoveryRequest {
        try DiscoveryRequestDeserializer().deserialize(bytes)
    }

    @Test(arguments: [
        [String](),
        ["outbound|9080|v1|reviews.default.svc.cluster.local"],
        ["", "é", "*", String(repeating: "x", count: 200)],
        (0..<4_000).map { "outbound|9080|v\($0)|filler.default.svc.cluster.local" },
    ])
    func readsWhatSwiftProtobufWrites(_ names: [String]) throws {
        for original in [Self.request(names: names), Self.request(names: names, node: false, nack: true)] {
            let incoming = try Self.read(try original.serializedBytes())
            #expect(incoming.names.decoded() == names)
            #expect(incoming.names.count == names.count)
            #expect(incoming.names.hasWildcard == names.contains("*"))
            #expect(incoming.names == RequestedNames(names), "the bytes a message of these names is written with")
            var expected = original
            expected.resourceNames = []
            #expect(incoming.message == expected)
        }
    }

    /// Protobuf allows fields in any order: names between other fields are gathered, the rest decoded.
    @Test func namesBetweenOtherFieldsAreGathered() throws {
        var bytes: [UInt8] = []
        for (field, value) in [(3, "a"), (4, TypeURL.cluster), (3, "b"), (5, "7"), (3, "c")] {
            bytes += [UInt8(field << 3 | 2), UInt8(value.utf8.count)] + Array(value.utf8)
        }
        let incoming = try Self.read(bytes)
        #expect(incoming.names.decoded() == ["a", "b", "c"])
        #expect(incoming.message.typeURL == TypeURL.cluster && incoming.message.responseNonce == "7")
        #expect(incoming.message.resourceNames.isEmpty)
    }

    @Test func repeatsAreEqualAndReorderingsAreNot() throws {
        let first = try Self.read(try Self.request(names: ["a", "b"]).serializedBytes())
        let ack = try Self.read(try Self.request(names: ["a", "b"], node: false).serializedBytes())
        let reordered = try Self.read(try Self.request(names: ["b", "a"], node: false).serializedBytes())
        #expect(first.names == ack.names)
        #expect(first.names != reordered.names)
    }

    /// Every truncation of a valid request, and a few corruptions, fail with invalidArgument or
    /// decode to something: never a crash.
    @Test func malformedRequestsAreRejectedNotCrashedOn() throws {
        let bytes: [UInt8] = try Self.request(names: ["a", "bb", "ccc"]).serializedBytes()
        for length in 0..<bytes.count {
            do {
                _ = try Self.read(Array(bytes.prefix(length)))
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument)
            }
        }
        let corrupt: [[UInt8]] = [[0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x1A], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], [0x1B, 0x00], [0x00]]
        for input in corrupt {
            #expect(throws: RPCError.self) { try Self.read(input) }
        }
    }
}
