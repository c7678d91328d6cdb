import EnvoyAPI
import Foundation
import SwiftProtobuf
import Translator
import XDSServer

/// Serializes route configurations from their virtual hosts' bytes, each host serialized once
/// and reused while it stays the same. A sidecar's route configuration for a port holds a
/// virtual host per service; when a canary step changes one, the others are copied, not encoded.
///
/// The bytes are exactly the deterministic serialization of the whole message: protobuf writes
/// fields in number order, and a route configuration is its name (1), its virtual hosts (2),
/// then everything else.
final class RouteConfigurationEncoding: Sendable {
    private let hosts = HostDerived<Data>()

    static var options: BinaryEncodingOptions {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return options
    }

    /// `configuration` packed as a resource; `scope` tells apart configurations of a name that differ.
    func resource(_ configuration: Envoy_Config_Route_V3_RouteConfiguration, scope: String) throws -> XDSResource {
        XDSResource(name: configuration.name, typeURL: "type.googleapis.com/" + Envoy_Config_Route_V3_RouteConfiguration.protoMessageName,
                    value: try encode(configuration, scope: scope))
    }

    func encode(_ configuration: Envoy_Config_Route_V3_RouteConfiguration, scope: String) throws -> Data {
        var rest = configuration
        rest.name = ""
        rest.virtualHosts = []
        var bytes = Data()
        if !configuration.name.isEmpty { Self.appendField(1, Data(configuration.name.utf8), to: &bytes) }
        for host in configuration.virtualHosts {
            Self.appendField(2, try encode(host, key: scope + "|" + configuration.name + "|" + host.name), to: &bytes)
        }
        bytes.append(try rest.serializedBytes(options: Self.options) as Data)
        return bytes
    }

    /// A host's bytes, reused while the host under `key` is the same one.
    private func encode(_ host: Envoy_Config_Route_V3_VirtualHost, key: String) throws -> Data {
        try hosts.value(for: host, key: key) { try host.serializedBytes(options: Self.options) }
    }

    /// A length-delimited field: its tag, the length as a varint, the bytes.
    static func appendField(_ number: UInt32, _ value: Data, to bytes: inout Data) {
        appendVarint(UInt64(number << 3 | 2), to: &bytes)
        appendVarint(UInt64(value.count), to: &bytes)
        bytes.append(value)
    }

    static func appendVarint(_ value: UInt64, to bytes: inout Data) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}
