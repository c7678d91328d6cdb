import Foundation
import GRPCCore

/// A state-of-the-world response: `envoy.service.discovery.v3.DiscoveryResponse` with its
/// resources as Coxswain holds them, serialized bytes shared by every proxy that gets them.
public struct EncodedDiscoveryResponse: Sendable {
    public var versionInfo: String
    public var typeURL: String
    public var nonce: String
    public var resources: [XDSResource]

    public init(versionInfo: String, typeURL: String, nonce: String, resources: [XDSResource]) {
        self.versionInfo = versionInfo
        self.typeURL = typeURL
        self.nonce = nonce
        self.resources = resources
    }
}

/// Writes an ``EncodedDiscoveryResponse`` in protobuf's binary format, byte for byte what
/// SwiftProtobuf writes for the equivalent `DiscoveryResponse`, but straight from each
/// resource's bytes: building the message would copy every resource into an `Any` and walk
/// them all again to serialize, per proxy and push (a sidecar's clusters are thousands).
struct DiscoveryResponseSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ response: EncodedDiscoveryResponse) throws -> Bytes {
        var bytes = Bytes(repeating: 0, count: Self.size(of: response))
        bytes.withUnsafeMutableBytes { buffer in
            var writer = WireWriter(buffer: buffer)
            writer.string(response.versionInfo, field: Field.versionInfo)
            for resource in response.resources {
                writer.tag(Field.resources)
                writer.varint(Self.anySize(of: resource))
                writer.string(resource.typeURL, field: Field.anyTypeURL)
                writer.bytes(resource.value, field: Field.anyValue)
            }
            writer.string(response.typeURL, field: Field.typeURL)
            writer.string(response.nonce, field: Field.nonce)
            precondition(writer.offset == buffer.count, "the size computed is the size written")
        }
        return bytes
    }

    /// Field numbers of `DiscoveryResponse` and `google.protobuf.Any`, all length-delimited;
    /// protobuf writes fields in number order and leaves out empty strings and bytes.
    enum Field {
        static let versionInfo = 1
        static let resources = 2
        static let typeURL = 4
        static let nonce = 5
        static let anyTypeURL = 1
        static let anyValue = 2
    }

    static func size(of response: EncodedDiscoveryResponse) -> Int {
        var size = fieldSize(response.versionInfo.utf8.count) + fieldSize(response.typeURL.utf8.count) + fieldSize(response.nonce.utf8.count)
        for resource in response.resources {
            let any = anySize(of: resource)
            size += 1 + varintSize(any) + any  // a repeated message is written even when empty
        }
        return size
    }

    static func anySize(of resource: XDSResource) -> Int {
        fieldSize(resource.typeURL.utf8.count) + fieldSize(resource.value.count)
    }

    /// A length-delimited field of a number below 16 (a one-byte tag), or nothing when empty.
    static func fieldSize(_ length: Int) -> Int {
        length == 0 ? 0 : 1 + varintSize(length) + length
    }

    static func varintSize(_ value: Int) -> Int {
        var value = UInt64(value)
        var size = 1
        while value >= 0x80 {
            value >>= 7
            size += 1
        }
        return size
    }

    struct WireWriter {
        let buffer: UnsafeMutableRawBufferPointer
        var offset = 0

        mutating func tag(_ field: Int) {
            byte(UInt8(field << 3 | 2))
        }

        mutating func varint(_ value: Int) {
            var value = UInt64(value)
            while value >= 0x80 {
                byte(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            byte(UInt8(value))
        }

        mutating func string(_ string: String, field: Int) {
            guard !string.isEmpty else { return }
            var string = string
            string.withUTF8 { raw(UnsafeRawBufferPointer($0), field: field) }
        }

        mutating func bytes(_ data: Data, field: Int) {
            guard !data.isEmpty else { return }
            data.withUnsafeBytes { raw($0, field: field) }
        }

        private mutating func raw(_ bytes: UnsafeRawBufferPointer, field: Int) {
            tag(field)
            varint(bytes.count)
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).copyMemory(from: bytes)
            offset += bytes.count
        }

        private mutating func byte(_ value: UInt8) {
            buffer[offset] = value
            offset += 1
        }
    }
}
