import EnvoyAPI
import Foundation
import GRPCCore
import SwiftProtobuf

/// A state-of-the-world request as the session reads it: the `DiscoveryRequest` without its
/// resource names, and those names as they arrived.
public struct IncomingDiscoveryRequest: Sendable {
    /// Every field but `resource_names`, which is left empty.
    public var message: Envoy_Service_Discovery_V3_DiscoveryRequest
    public var names: RequestedNames

    public init(message: Envoy_Service_Discovery_V3_DiscoveryRequest, names: RequestedNames) {
        self.message = message
        self.names = names
    }

    /// A request built as a message (tests, and any caller that has one).
    public init(_ request: Envoy_Service_Discovery_V3_DiscoveryRequest) {
        var message = request
        message.resourceNames = []
        self.init(message: message, names: RequestedNames(request.resourceNames))
    }
}

/// The `resource_names` of a state-of-the-world request in protobuf's binary form, decoded only
/// when needed. Every ACK repeats the subscription, and a sidecar subscribes to the endpoints of
/// every cluster it has, thousands of names (200 KB): an ACK that repeats the list a subscription
/// was taken from is recognised by comparing bytes, without making thousands of strings.
public struct RequestedNames: Sendable, Equatable {
    /// Field 3's records, tags and lengths included, in the order they came.
    let wire: Data
    public let count: Int
    /// Whether one of the names is `*` (a wildcard, which is never taken as a repeat).
    public let hasWildcard: Bool

    public var isEmpty: Bool { count == 0 }

    init(wire: Data, count: Int, hasWildcard: Bool) {
        self.wire = wire
        self.count = count
        self.hasWildcard = hasWildcard
    }

    public init(_ names: [String]) {
        let size = names.reduce(0) { $0 + ProtobufWire.messageSize($1.utf8.count) }
        let bytes: [UInt8] = ProtobufWire.write(size: size) { writer in
            for name in names { writer.string(name, field: 3, evenIfEmpty: true) }
        }
        self.init(wire: Data(bytes), count: names.count, hasWildcard: names.contains("*"))
    }

    /// The names, in the order they came.
    public func decoded() -> [String] {
        var names: [String] = []
        names.reserveCapacity(count)
        wire.withUnsafeBytes { buffer in
            var reader = ProtobufWireReader(buffer)
            // Written by the deserializer or `init(_:)`: well formed, field 3 only.
            while !reader.atEnd, let (_, _) = try? reader.tag(), let length = try? reader.length() {
                names.append(String(decoding: UnsafeRawBufferPointer(rebasing: buffer[reader.offset..<reader.offset + length]), as: UTF8.self))
                reader.offset += length
            }
        }
        return names
    }
}

/// Reads a `DiscoveryRequest` as ``IncomingDiscoveryRequest``: the resource names' records are
/// set aside as they are and everything else is decoded by SwiftProtobuf.
struct DiscoveryRequestDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> IncomingDiscoveryRequest {
        do {
            return try serializedMessageBytes.withUnsafeBytes { buffer in
                try Self.read(buffer)
            }
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: .invalidArgument, message: "unable to deserialize the DiscoveryRequest: \(error)")
        }
    }

    static func read(_ buffer: UnsafeRawBufferPointer) throws -> IncomingDiscoveryRequest {
        var reader = ProtobufWireReader(buffer)
        // Runs of adjacent records: the names usually come as one.
        var names: [Range<Int>] = []
        var others: [Range<Int>] = []
        var count = 0
        var hasWildcard = false
        while !reader.atEnd {
            let start = reader.offset
            // The common record first: a name (field 3, length-delimited) shorter than 128 bytes.
            if buffer[start] == 0x1A, start + 1 < buffer.count, buffer[start + 1] < 0x80 {
                let end = start + 2 + Int(buffer[start + 1])
                guard end <= buffer.count else { throw ProtobufWireReader.Malformed(description: "truncated field at byte \(start)") }
                if end == start + 3 && buffer[start + 2] == UInt8(ascii: "*") { hasWildcard = true }
                reader.offset = end
                count += 1
                Self.append(start..<end, to: &names)
                continue
            }
            let (field, wireType) = try reader.tag()
            try reader.skip(wireType: wireType)
            if field == 3 && wireType == 2 {
                count += 1
                Self.append(start..<reader.offset, to: &names)
            } else {
                Self.append(start..<reader.offset, to: &others)
            }
        }
        let message: Envoy_Service_Discovery_V3_DiscoveryRequest
        if names.isEmpty {
            message = try Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: Array(buffer))
        } else {
            message = try Envoy_Service_Discovery_V3_DiscoveryRequest(serializedBytes: Self.concatenate(others, of: buffer))
        }
        return IncomingDiscoveryRequest(message: message, names: RequestedNames(wire: Self.concatenate(names, of: buffer), count: count, hasWildcard: hasWildcard))
    }

    private static func append(_ range: Range<Int>, to runs: inout [Range<Int>]) {
        if let last = runs.last, last.upperBound == range.lowerBound {
            runs[runs.count - 1] = last.lowerBound..<range.upperBound
        } else {
            runs.append(range)
        }
    }

    static func concatenate(_ runs: [Range<Int>], of buffer: UnsafeRawBufferPointer) -> Data {
        var data = Data(capacity: runs.reduce(0) { $0 + $1.count })
        for run in runs { data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[run])) }
        return data
    }
}

/// Walks protobuf's binary format field by field.
struct ProtobufWireReader {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    let buffer: UnsafeRawBufferPointer
    var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    var atEnd: Bool { offset >= buffer.count }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < buffer.count {
            let byte = buffer[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
            if shift >= 64 { break }
        }
        throw Malformed(description: "malformed varint at byte \(offset)")
    }

    mutating func tag() throws -> (field: Int, wireType: Int) {
        let key = try varint()
        let field = Int(truncatingIfNeeded: key >> 3)
        guard field > 0, field < 1 << 29 else { throw Malformed(description: "invalid field number \(field)") }
        return (field, Int(key & 7))
    }

    /// A length that fits in what is left.
    mutating func length() throws -> Int {
        let length = try varint()
        guard length <= UInt64(buffer.count - offset) else { throw Malformed(description: "truncated field at byte \(offset)") }
        return Int(length)
    }

    mutating func skip(wireType: Int) throws {
        switch wireType {
        case 0: _ = try varint()
        case 1: try advance(8)
        case 2: try advance(try length())
        case 5: try advance(4)
        default: throw Malformed(description: "unsupported wire type \(wireType)")
        }
    }

    private mutating func advance(_ count: Int) throws {
        guard count <= buffer.count - offset else { throw Malformed(description: "truncated field at byte \(offset)") }
        offset += count
    }
}
