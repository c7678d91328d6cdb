import Foundation
import KubernetesAPI

/// The status Coxswain writes on VirtualServices, DestinationRules and Gateways: Istio's
/// `IstioStatus` shape (conditions, `observedGeneration`, `validationMessages`).
public struct ObjectStatus: Codable, Sendable, Hashable {
    public struct ValidationMessage: Codable, Sendable, Hashable {
        public struct MessageType: Codable, Sendable, Hashable {
            public var code: String
            public var name: String
        }
        public var type: MessageType
        public var level: String
        public var message: String?
        public var documentationUrl: String?
    }

    public var conditions: [Condition] = []
    public var observedGeneration: Int64?
    public var validationMessages: [ValidationMessage]?

    public init(conditions: [Condition] = [], observedGeneration: Int64? = nil, validationMessages: [ValidationMessage]? = nil) {
        self.conditions = conditions
        self.observedGeneration = observedGeneration
        self.validationMessages = validationMessages
    }

    public func condition(_ type: String) -> Condition? { conditions.first { $0.type == type } }

    /// The status in an object as the server holds it; nil when absent or not in this shape.
    public init?(json: JSONValue?) {
        guard let json, case .object = json,
              let data = try? JSONEncoder().encode(json),
              let status = try? JSONDecoder().decode(LenientStatus.self, from: data) else { return nil }
        self = status.status
    }

    public var json: JSONValue {
        get throws { try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(self)) }
    }

    /// Reads conditions other writers may have left incomplete, and `observedGeneration` as a number or a string.
    private struct LenientStatus: Decodable {
        var status: ObjectStatus

        private struct PartialCondition: Decodable {
            var type: String?
            var status: String?
            var observedGeneration: Flexible?
            var lastTransitionTime: String?
            var reason: String?
            var message: String?
        }

        private struct Flexible: Decodable {
            var value: Int64?
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                value = (try? container.decode(Int64.self)) ?? (try? container.decode(String.self)).flatMap { Int64($0) }
            }
        }

        private enum Keys: String, CodingKey { case conditions, observedGeneration, validationMessages }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            let conditions = (try? container.decodeIfPresent([PartialCondition].self, forKey: .conditions)) ?? nil
            status = ObjectStatus(
                conditions: (conditions ?? []).map {
                    Condition(type: $0.type ?? "", status: $0.status ?? "Unknown", observedGeneration: $0.observedGeneration?.value,
                              lastTransitionTime: $0.lastTransitionTime ?? "", reason: $0.reason ?? "", message: $0.message ?? "")
                },
                observedGeneration: (try? container.decodeIfPresent(Flexible.self, forKey: .observedGeneration))??.value,
                validationMessages: (try? container.decodeIfPresent([ValidationMessage].self, forKey: .validationMessages)) ?? nil)
        }
    }
}

/// Whether proxies have the translation that includes an object's generation.
public enum ProgrammedState: Sendable, Hashable {
    /// Not yet published to the xDS server's cache.
    case waitingForPush
    /// Published; `synced` of `total` connected proxies have acknowledged it.
    case pushed(synced: Int, total: Int)
    /// Some proxy rejected the newest configuration.
    case rejected(synced: Int, total: Int, error: String)
}

/// Computes an object's status from what the pass found (pure: the clock is a parameter).
public enum StatusComputer {
    public static let accepted = "Accepted"
    public static let resolvedRefs = "ResolvedRefs"
    public static let programmed = "Programmed"
    /// `Programmed`'s reason while an invalid generation's last valid version is served in its place.
    public static let lastValidServed = "LastValidVersionServed"
    /// Longest condition message written; the API server's limit is 32 KiB.
    static let messageLimit = 4096

    /// The status to write. A condition keeps its `lastTransitionTime` from `current` while its status stays the same.
    public static func desired(_ evaluation: ObjectEvaluation, programmed: ProgrammedState, current: ObjectStatus?, now: String) -> ObjectStatus {
        let generation = evaluation.generation
        var conditions: [Condition] = []
        func add(_ type: String, _ isTrue: Bool, _ reason: String, _ message: String) {
            let status = isTrue ? "True" : "False"
            let previous = current?.condition(type)
            let since = previous?.status == status && !(previous?.lastTransitionTime.isEmpty ?? true) ? previous!.lastTransitionTime : now
            conditions.append(Condition(type: type, status: status, observedGeneration: generation, lastTransitionTime: since,
                                        reason: reason, message: truncate(message)))
        }
        if evaluation.isAccepted {
            add(Self.accepted, true, "Accepted", "The object is valid.")
        } else {
            add(Self.accepted, false, "Invalid", evaluation.invalid.joined(separator: "; "))
        }
        if evaluation.unresolved.isEmpty {
            add(Self.resolvedRefs, true, "ResolvedRefs", "All references resolved.")
        } else {
            add(Self.resolvedRefs, false, "ReferencedResourceNotFound", evaluation.unresolved.joined(separator: "; "))
        }
        if !evaluation.isAccepted, let served = evaluation.servedInstead {
            add(Self.programmed, false, Self.lastValidServed,
                "Generation \(generation) is invalid and not programmed; proxies keep being served \(served), the last valid version.")
        } else if !evaluation.isAccepted {
            add(Self.programmed, false, "Invalid", "Not programmed: the object is invalid and left out of the configuration.")
        } else {
            switch programmed {
            case .waitingForPush:
                add(Self.programmed, false, "Pending", "Waiting for the configuration to be pushed.")
            case .pushed(let synced, let total) where synced == total:
                add(Self.programmed, true, "Programmed", "\(synced)/\(total) proxies up to date")
            case .pushed(let synced, let total):
                add(Self.programmed, false, "Pending", "\(synced)/\(total) proxies up to date")
            case .rejected(let synced, let total, let error):
                add(Self.programmed, false, "Rejected", "\(synced)/\(total) proxies up to date; rejected: \(error)")
            }
        }
        let messages = evaluation.findings.map {
            ObjectStatus.ValidationMessage(type: .init(code: $0.code, name: $0.name), level: $0.level, message: truncate($0.message),
                                           documentationUrl: $0.code.hasPrefix("IST") ? "https://istio.io/latest/docs/reference/config/analysis/\($0.code.lowercased())/" : nil)
        }
        return ObjectStatus(conditions: conditions, observedGeneration: generation, validationMessages: messages.isEmpty ? nil : messages)
    }

    static func truncate(_ message: String) -> String {
        message.utf8.count <= messageLimit ? message : String(message.prefix(messageLimit - 3)) + "..."
    }

    /// RFC 3339 in UTC, seconds precision (metav1.Time).
    public static func timestamp(_ date: Date = Date()) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
