import Foundation
import KubernetesAPI
import NIOCore
import NIOFoundationCompat

/// One event of a watch stream.
public enum WatchEvent<Object: KubernetesObject>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// Only the resourceVersion is meaningful: the server has sent everything up to it.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with a Status (410 Expired is the one that matters).
    case error(Status)
}

/// Decodes one line `{"type": ..., "object": ...}` in a single pass, choosing the object's shape by type.
struct WatchEventLine<Object: KubernetesObject>: Decodable {
    let event: WatchEvent<Object>

    private enum Keys: String, CodingKey { case type, object }
    private struct BookmarkObject: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta?
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": event = .added(try c.decode(Object.self, forKey: .object))
        case "MODIFIED": event = .modified(try c.decode(Object.self, forKey: .object))
        case "DELETED": event = .deleted(try c.decode(Object.self, forKey: .object))
        case "BOOKMARK":
            let object = try c.decode(BookmarkObject.self, forKey: .object)
            event = .bookmark(resourceVersion: object.metadata?.resourceVersion ?? "")
        case "ERROR": event = .error(try c.decode(Status.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown event type \"\(type)\"")
        }
    }
}

/// Splits a byte stream into newline-delimited watch events.
struct WatchLineDecoder<Object: KubernetesObject> {
    private var buffer = ByteBuffer()
    private let decoder = JSONDecoder()
    let maxLineBytes: Int

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    /// Appends a chunk and returns the complete events it finished.
    mutating func feed(_ chunk: ByteBuffer) throws -> [WatchEvent<Object>] {
        var chunk = chunk
        buffer.writeBuffer(&chunk)
        var events: [WatchEvent<Object>] = []
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if let event = try decode(line) { events.append(event) }
        }
        if buffer.readableBytes > maxLineBytes {
            throw KubernetesError.malformedWatchEvent(line: "\(buffer.readableBytes) bytes without a newline",
                                                      reason: "event larger than the limit of \(maxLineBytes) bytes")
        }
        buffer.discardReadBytes()
        return events
    }

    /// Appends raw bytes (one chunk as it came off the wire).
    mutating func feed(bytes: some Sequence<UInt8>) throws -> [WatchEvent<Object>] {
        var chunk = ByteBuffer()
        chunk.writeBytes(Array(bytes))
        return try feed(chunk)
    }

    /// The stream ended: a final line without newline still counts.
    mutating func finish() throws -> [WatchEvent<Object>] {
        guard buffer.readableBytes > 0 else { return [] }
        let line = buffer.readSlice(length: buffer.readableBytes)!
        return try decode(line).map { [$0] } ?? []
    }

    private func decode(_ line: ByteBuffer) throws -> WatchEvent<Object>? {
        if line.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            return nil
        }
        do {
            return try decoder.decode(WatchEventLine<Object>.self, from: line).event
        } catch {
            let text = String(decoding: line.readableBytesView.prefix(200), as: UTF8.self)
            let reason: String
            if let error = error as? DecodingError {
                reason = Kubeconfig.describe(error)
            } else {
                reason = "\(error)"
            }
            throw KubernetesError.malformedWatchEvent(line: text, reason: reason)
        }
    }
}
