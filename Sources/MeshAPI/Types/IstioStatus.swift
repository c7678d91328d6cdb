import KubernetesAPI

/// The status Istio writes on its config kinds (`istio.meta.v1alpha1.IstioStatus`).
/// Decoded leniently: it is written by controllers, not by users.
public struct IstioStatus: Codable, Sendable, Hashable, LenientDecodable {
    public var conditions: [Condition]?
    public var validationMessages: [ValidationMessage]?
    /// Istio writes this int64 as a string (protobuf JSON); numbers are accepted too.
    public var observedGeneration: Int64OrString?

    public init(conditions: [Condition]? = nil, validationMessages: [ValidationMessage]? = nil, observedGeneration: Int64OrString? = nil) {
        self.conditions = conditions
        self.validationMessages = validationMessages
        self.observedGeneration = observedGeneration
    }

    enum CodingKeys: String, CodingKey {
        case conditions, validationMessages, observedGeneration
    }

    /// Conditions written by other controllers may omit fields `Condition` requires
    /// (Istio's own also carry `lastProbeTime`); a status must never make its object
    /// undecodable, so missing strings become empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        conditions = try container.decodeIfPresent([PartialCondition].self, forKey: .conditions)?.map(\.condition)
        validationMessages = try container.decodeIfPresent([ValidationMessage].self, forKey: .validationMessages)
        observedGeneration = try container.decodeIfPresent(Int64OrString.self, forKey: .observedGeneration)
    }

    private struct PartialCondition: Decodable {
        var type: String?
        var status: String?
        var observedGeneration: Int64OrString?
        var lastTransitionTime: String?
        var reason: String?
        var message: String?

        var condition: Condition {
            Condition(type: type ?? "", status: status ?? "Unknown", observedGeneration: observedGeneration?.value,
                      lastTransitionTime: lastTransitionTime ?? "", reason: reason ?? "", message: message ?? "")
        }
    }

    /// Istio's `AnalysisMessageBase`.
    public struct ValidationMessage: Codable, Sendable, Hashable {
        public var type: MessageType?
        public var level: Level?
        /// What was found (Coxswain adds it; Istio's own messages carry only the type).
        public var message: String?
        public var documentationUrl: String?

        public init(type: MessageType? = nil, level: Level? = nil, message: String? = nil, documentationUrl: String? = nil) {
            self.type = type
            self.level = level
            self.message = message
            self.documentationUrl = documentationUrl
        }

        public struct MessageType: Codable, Sendable, Hashable {
            /// A human name, e.g. "InternalError".
            public var name: String?
            /// A stable code, e.g. "IST0001".
            public var code: String?
            public init(name: String? = nil, code: String? = nil) {
                self.name = name
                self.code = code
            }
        }

        public enum Level: String, IstioEnum {
            case unknown = "UNKNOWN"
            case error = "ERROR"
            case warning = "WARNING"
            case info = "INFO"
        }
    }
}
