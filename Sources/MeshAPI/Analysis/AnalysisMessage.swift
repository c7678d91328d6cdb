/// The kinds of finding `coxswain analyze` reports. Istio's codes and levels where
/// Istio has the same check (so documentation and muscle memory carry over), and
/// `COX…` codes for checks Istio does not make.
public struct AnalysisMessageType: Sendable, Hashable {
    public var code: String
    public var name: String
    public var level: ValidationFinding.Level

    public init(code: String, name: String, level: ValidationFinding.Level) {
        self.code = code
        self.name = name
        self.level = level
    }

    public static let schemaValidationError = Self(code: "IST0106", name: "SchemaValidationError", level: .error)
    public static let schemaWarning = Self(code: "IST0133", name: "SchemaWarning", level: .warning)
    public static let referencedResourceNotFound = Self(code: "IST0101", name: "ReferencedResourceNotFound", level: .error)
    public static let conflictingMeshGatewayVirtualServiceHosts = Self(code: "IST0109", name: "ConflictingMeshGatewayVirtualServiceHosts", level: .error)
    public static let virtualServiceDestinationPortSelectorRequired = Self(code: "IST0112", name: "VirtualServiceDestinationPortSelectorRequired", level: .error)
    public static let invalidRegexp = Self(code: "IST0122", name: "InvalidRegexp", level: .warning)
    public static let noServerCertificateVerificationDestinationLevel = Self(code: "IST0128", name: "NoServerCertificateVerificationDestinationLevel", level: .warning)
    public static let noServerCertificateVerificationPortLevel = Self(code: "IST0129", name: "NoServerCertificateVerificationPortLevel", level: .warning)
    public static let virtualServiceUnreachableRule = Self(code: "IST0130", name: "VirtualServiceUnreachableRule", level: .warning)
    public static let virtualServiceIneffectiveMatch = Self(code: "IST0131", name: "VirtualServiceIneffectiveMatch", level: .info)
    public static let virtualServiceHostNotFoundInGateway = Self(code: "IST0132", name: "VirtualServiceHostNotFoundInGateway", level: .warning)
    public static let gatewayDuplicateCertificate = Self(code: "IST0138", name: "GatewayDuplicateCertificate", level: .warning)
    public static let conflictingGateways = Self(code: "IST0145", name: "ConflictingGateways", level: .error)
    public static let invalidGatewayCredential = Self(code: "IST0161", name: "InvalidGatewayCredential", level: .error)
    public static let gatewayPortNotDefinedOnService = Self(code: "IST0162", name: "GatewayPortNotDefinedOnService", level: .warning)
    public static let destinationRuleSubsetNotSelectPods = Self(code: "IST0173", name: "DestinationRuleSubsetNotSelectPods", level: .error)
    public static let unknownDestinationRuleHost = Self(code: "IST0174", name: "UnknownDestinationRuleHost", level: .warning)

    // Coxswain's own checks.
    /// Several DestinationRules for one host: Istio merges them in an order users rarely predict.
    public static let multipleDestinationRulesForHost = Self(code: "COX0001", name: "MultipleDestinationRulesForHost", level: .warning)
    /// Weights are relative, so this is legal; most people mean percentages, so say so.
    public static let weightsDoNotSumTo100 = Self(code: "COX0002", name: "WeightsDoNotSumTo100", level: .info)

    public var documentationURL: String? {
        code.hasPrefix("IST") ? "https://istio.io/latest/docs/reference/config/analysis/\(code.lowercased())/" : nil
    }
}

/// One finding of the analysis, tied to an object and, where it helps, a field.
public struct AnalysisFinding: Sendable, Hashable, CustomStringConvertible {
    public var type: AnalysisMessageType
    public var level: ValidationFinding.Level
    public var kind: MeshKind
    public var namespace: String?
    public var name: String?
    /// e.g. `spec.http[0].route[1].destination.host`; empty when the finding is about the whole object.
    public var fieldPath: String
    public var message: String

    public init(_ type: AnalysisMessageType, kind: MeshKind, namespace: String?, name: String?, fieldPath: String = "", message: String, level: ValidationFinding.Level? = nil) {
        self.type = type
        self.level = level ?? type.level
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.fieldPath = fieldPath
        self.message = message
    }

    /// `VirtualService/default/reviews`.
    public var objectReference: String {
        [kind.rawValue, namespace, name].compactMap { $0 }.joined(separator: "/")
    }

    /// `Error [IST0101] (VirtualService/default/reviews spec.http[0]…) Referenced host not found: "reviewz"`.
    public var description: String {
        let level = self.level.rawValue.prefix(1).uppercased() + self.level.rawValue.dropFirst()
        let place = fieldPath.isEmpty ? objectReference : "\(objectReference) \(fieldPath)"
        return "\(level) [\(type.code)] (\(place)) \(message)"
    }
}
