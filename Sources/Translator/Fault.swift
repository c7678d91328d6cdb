import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// VirtualService `fault` → the fault filter's per-route HTTPFault.
enum FaultTranslator {
    static func perRouteConfig(_ fault: HTTPFaultInjection?) -> Google_Protobuf_Any? {
        guard let fault, fault.delay != nil || fault.abort != nil else { return nil }
        var config = Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault()
        if let delay = fault.delay, let fixed = delay.fixedDelay ?? delay.exponentialDelay {
            var faultDelay = Envoy_Extensions_Filters_Common_Fault_V3_FaultDelay()
            faultDelay.fixedDelay = Google_Protobuf_Duration(fixed)
            faultDelay.percentage = fraction(delay.percentage?.value ?? delay.percent.map(Double.init) ?? 100)
            config.delay = faultDelay
        }
        // Envoy requires an error type; an abort without one is ignored (validation warns: "abort
        // configured, but error type not set"), as istiod ignores it.
        if let abort = fault.abort, abort.httpStatus != nil || abort.grpcStatus != nil {
            var faultAbort = Envoy_Extensions_Filters_Http_Fault_V3_FaultAbort()
            if let status = abort.httpStatus {
                faultAbort.httpStatus = UInt32(clamping: status)
            } else if let grpc = abort.grpcStatus {
                faultAbort.grpcStatus = GRPCStatusCode.number(grpc)
            }
            faultAbort.percentage = fraction(abort.percentage?.value ?? 100)
            config.abort = faultAbort
        }
        return try? Google_Protobuf_Any(packing: config)
    }

    /// A percentage (0–100, fractional) as parts per million, as Istio sends it.
    static func fraction(_ percent: Double) -> Envoy_Type_V3_FractionalPercent {
        var fraction = Envoy_Type_V3_FractionalPercent()
        fraction.numerator = UInt32((min(max(percent, 0), 100) * 10_000).rounded())
        fraction.denominator = .million
        return fraction
    }
}

/// gRPC status names (Istio accepts `UNAVAILABLE` or `14`).
enum GRPCStatusCode {
    static let names = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]

    static func number(_ text: String) -> UInt32 {
        if let number = UInt32(text) { return number }
        return UInt32(names.firstIndex(of: text.uppercased()) ?? 2)
    }
}
