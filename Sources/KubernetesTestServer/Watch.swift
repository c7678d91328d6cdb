import KubernetesAPI
import NIOCore

/// The type of a watch event on the wire.
enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

/// A committed change to one object, kept in a bounded per-resource history so
/// watches can resume from a recent `resourceVersion`.
struct StoredEvent: Sendable {
    var type: WatchEventType
    var object: JSONValue
    /// The object before the change (for MODIFIED), to tell selector entry and exit apart.
    var previous: JSONValue?
    var resourceVersion: Int64
}

/// A fixed-capacity ring of events, oldest dropped first.
struct EventHistory: Sendable {
    private var storage: [StoredEvent] = []
    private var head = 0
    let capacity: Int
    /// Events with a resourceVersion at or below this may have been dropped.
    private(set) var compactedThrough: Int64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func append(_ event: StoredEvent) {
        if storage.count < capacity {
            storage.append(event)
        } else {
            compactedThrough = storage[head].resourceVersion
            storage[head] = event
            head = (head + 1) % capacity
        }
    }

    /// Events newer than `resourceVersion`, oldest first.
    func events(after resourceVersion: Int64) -> [StoredEvent] {
        var result: [StoredEvent] = []
        for offset in 0..<storage.count {
            let event = storage[(head + offset) % storage.count]
            if event.resourceVersion > resourceVersion { result.append(event) }
        }
        return result
    }

    /// Marks everything up to `resourceVersion` as unavailable (used when history is reset).
    mutating func compact(through resourceVersion: Int64) {
        storage.removeAll()
        head = 0
        compactedThrough = max(compactedThrough, resourceVersion)
    }
}

/// How a watcher wants objects rendered.
enum ObjectRendering: Sendable, Equatable {
    case object
    /// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, as `kubectl get -w` asks for.
    case table
}

/// One open watch: its filter, presentation and the stream its HTTP response drains.
struct Watcher: Sendable {
    var id: Int
    var filter: ObjectFilter
    var apiVersion: String
    var bookmarks: Bool
    var rendering: ObjectRendering
    var continuation: AsyncStream<ByteBuffer>.Continuation
}

/// Encodes watch events as newline-delimited JSON; each distinct
/// (type, apiVersion) of one change is encoded only once however many watchers see it.
struct WatchEventEncoder {
    private var cache: [String: ByteBuffer] = [:]

    static func encode(type: WatchEventType, object: JSONValue) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 512)
        buffer.writeStaticString("{\"type\":\"")
        buffer.writeString(type.rawValue)
        buffer.writeStaticString("\",\"object\":")
        JSONCoding.encode(object, into: &buffer)
        buffer.writeStaticString("}\n")
        return buffer
    }

    mutating func encoded(type: WatchEventType, object: JSONValue, apiVersion: String) -> ByteBuffer {
        let key = "\(type.rawValue) \(apiVersion)"
        if let cached = cache[key] { return cached }
        var presented = object
        presented["apiVersion"] = .string(apiVersion)
        let buffer = Self.encode(type: type, object: presented)
        cache[key] = buffer
        return buffer
    }
}

extension StoredEvent {
    /// The event a watcher with `filter` sees, if any: entering the selection is
    /// ADDED, leaving it is DELETED, as kube-apiserver's watch cache does it.
    func visibleType(for filter: ObjectFilter) -> WatchEventType? {
        let matchesNow = filter.matches(object)
        switch type {
        case .added: return matchesNow ? .added : nil
        case .deleted: return matchesNow ? .deleted : nil
        case .modified:
            let matchedBefore = previous.map(filter.matches) ?? matchesNow
            switch (matchedBefore, matchesNow) {
            case (true, true): return .modified
            case (false, true): return .added
            case (true, false): return .deleted
            case (false, false): return nil
            }
        case .bookmark, .error: return type
        }
    }
}
