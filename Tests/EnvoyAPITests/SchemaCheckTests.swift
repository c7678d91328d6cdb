import Foundation
import SwiftProtobuf
import Testing

/// Our hand-written protos against Envoy's real descriptors (xds-protos), via Support/check_protos.py.
@Suite struct SchemaCheckTests {
    @Test func everyDeclaredElementMatchesEnvoy() throws {
        let result = try SupportScripts.run("check_protos.py", [SupportScripts.descriptorSet.path])
        #expect(result.status == 0, "check_protos.py failed:\n\(result.output)")
        #expect(result.output.contains("all agree with Envoy's API"), "\(result.output)")
    }

    @Test func checkerDetectsEachKindOfMismatch() throws {
        let result = try SupportScripts.run("check_protos.py", ["--self-test", SupportScripts.descriptorSet.path])
        #expect(result.status == 0, "self-test failed:\n\(result.output)")
        #expect(result.output.contains("self-test passed"), "\(result.output)")
    }

    /// A descriptor set edited here in Swift (one field number changed) must make the check fail.
    @Test func wrongFieldNumberFailsTheCheck() throws {
        var set = try Google_Protobuf_FileDescriptorSet(serializedBytes: Data(contentsOf: SupportScripts.descriptorSet))
        let fileIndex = try #require(set.file.firstIndex { $0.name == "envoy/config/route/v3/route_components.proto" })
        let messageIndex = try #require(set.file[fileIndex].messageType.firstIndex { $0.name == "RouteAction" })
        let fieldIndex = try #require(set.file[fileIndex].messageType[messageIndex].field.firstIndex { $0.name == "timeout" })
        set.file[fileIndex].messageType[messageIndex].field[fieldIndex].number = 99

        let path = SupportScripts.temporaryFile("wrong.pb")
        try Data(set.serializedBytes() as [UInt8]).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }

        let result = try SupportScripts.run("check_protos.py", [path.path])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("RouteAction.timeout: number is 99, Envoy has 8"), "\(result.output)")
    }

    /// The committed descriptor set covers every .proto file (a guard against forgetting to regenerate).
    @Test func descriptorSetCoversEveryProtoFile() throws {
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: Data(contentsOf: SupportScripts.descriptorSet))
        let protos = SupportScripts.directory
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/EnvoyAPI/protos")
        let enumerator = try #require(FileManager.default.enumerator(atPath: protos.path))
        let files = Set(enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".proto") })
        #expect(files.count > 30)
        let described = Set(set.file.map(\.name).filter { !$0.hasPrefix("google/protobuf/") })
        #expect(described == files)
    }
}
