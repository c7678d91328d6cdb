import Foundation
import KubernetesAPI
import KubernetesClient
import Logging

/// core/v1 Event (the fields a controller writes).
public struct CoreEvent: KubernetesObject, Hashable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Event"
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String
    public var message: String
    /// "Normal" or "Warning".
    public var type: String
    public var count: Int?
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var source: EventSource?

    public struct ObjectReference: Codable, Sendable, Hashable {
        public var apiVersion: String?
        public var kind: String?
        public var namespace: String?
        public var name: String?
        public var uid: String?
        public init(apiVersion: String?, kind: String?, namespace: String?, name: String?, uid: String?) {
            self.apiVersion = apiVersion
            self.kind = kind
            self.namespace = namespace
            self.name = name
            self.uid = uid
        }
    }
    public struct EventSource: Codable, Sendable, Hashable {
        public var component: String?
    }
}

/// Writes core/v1 Events about objects; a repeat of the same (object, type, reason, message)
/// bumps `count` and `lastTimestamp` on the existing Event instead of creating another (client-go's aggregation).
public actor EventRecorder {
    private let events: ResourceClient<CoreEvent>
    private let component: String
    private let logger: Logger
    /// Aggregation key → the Event's namespace/name and its count.
    private var seen: [String: (namespace: String, name: String, count: Int)] = [:]

    public init(client: KubernetesClient, component: String, logger: Logger = Logger(label: "coxswain.events")) {
        events = client.resource(CoreEvent.self, .event)
        self.component = component
        self.logger = logger
    }

    /// Records an event; failures are logged, never thrown (events are best effort).
    public func record(_ reference: CoreEvent.ObjectReference, type: String = "Normal", reason: String, message: String) async {
        let namespace = reference.namespace ?? "default"
        let key = [reference.kind, namespace, reference.name, reference.uid, type, reason, message].map { $0 ?? "" }.joined(separator: "\u{1}")
        let now = ISO8601DateFormatter().string(from: Date())
        do {
            if let existing = seen[key] {
                let count = existing.count + 1
                _ = try await events.patch(existing.name, namespace: existing.namespace,
                                           .merge(["count": .integer(Int64(count)), "lastTimestamp": .string(now)]))
                seen[key]?.count = count
                return
            }
            let name = "\(reference.name ?? "object").\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            let event = CoreEvent(metadata: ObjectMeta(name: name, namespace: namespace), involvedObject: reference, reason: reason,
                                  message: message, type: type, count: 1, firstTimestamp: now, lastTimestamp: now,
                                  source: .init(component: component))
            _ = try await events.create(event)
            seen[key] = (namespace, name, 1)
        } catch {
            if seen[key] != nil, (error as? KubernetesError)?.isNotFound == true { seen[key] = nil }
            logger.warning("could not record event", metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
    }
}
