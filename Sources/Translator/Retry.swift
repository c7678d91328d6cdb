import Foundation
import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// VirtualService `retries` → RetryPolicy, with Istio's default when unset.
enum RetryTranslator {
    static let defaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
    /// Envoy's own default; gRPC's xDS client stalls retried calls with a 1 ms base interval.
    static let minimumBackOff: Int64 = 25

    /// Built once: packing an Any serializes the message, and nearly every route carries this.
    static let previousHosts: Envoy_Config_Route_V3_RetryPolicy.RetryHostPredicate = {
        var predicate = Envoy_Config_Route_V3_RetryPolicy.RetryHostPredicate()
        predicate.name = EnvoyExtensionName.previousHostsRetryPredicate
        predicate.typedConfig = (try? Google_Protobuf_Any(packing: Envoy_Extensions_Retry_Host_PreviousHosts_V3_PreviousHostsPredicate())) ?? Google_Protobuf_Any()
        return predicate
    }()

    /// Nil when retries are off (`attempts: 0`).
    static func policy(_ retries: HTTPRetry?, consistentHash: Bool) -> Envoy_Config_Route_V3_RetryPolicy? {
        // Most routes set no retries: Istio's default, built once per hashing mode.
        if retries == nil { return consistentHash ? defaultUnderConsistentHash : defaultPolicy }
        return build(retries, consistentHash: consistentHash)
    }

    static let defaultPolicy = build(nil, consistentHash: false)
    static let defaultUnderConsistentHash = build(nil, consistentHash: true)

    static func build(_ retries: HTTPRetry?, consistentHash: Bool) -> Envoy_Config_Route_V3_RetryPolicy? {
        if let attempts = retries?.attempts, attempts <= 0 { return nil }
        var policy = Envoy_Config_Route_V3_RetryPolicy()
        policy.numRetries = Google_Protobuf_UInt32Value(UInt32(clamping: retries?.attempts ?? 2))
        var tokens: [String] = []
        var codes: [UInt32] = []
        for token in (retries?.retryOn ?? defaultRetryOn).split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !token.isEmpty {
            if let code = UInt32(token) { codes.append(code) } else { tokens.append(token) }
        }
        if retries?.retryOn == nil { codes = [503] }
        if !codes.isEmpty, !tokens.contains("retriable-status-codes") { tokens.append("retriable-status-codes") }
        policy.retryOn = tokens.joined(separator: ",")
        policy.retriableStatusCodes = codes
        if let perTry = retries?.perTryTimeout { policy.perTryTimeout = Google_Protobuf_Duration(perTry) }
        // Consistent hashing wants the same host again; otherwise try a different one.
        if !consistentHash, retries?.retryIgnorePreviousHosts != false {
            policy.retryHostPredicate = [previousHosts]
        }
        policy.hostSelectionRetryMaxAttempts = 5
        // Retries move on to other localities' priorities once the local ones failed.
        if retries?.retryRemoteLocalities == true {
            var config = Envoy_Extensions_Retry_Priority_PreviousPriorities_V3_PreviousPrioritiesConfig()
            config.updateFrequency = 2
            policy.retryPriority.name = EnvoyExtensionName.previousPrioritiesRetryPriority
            policy.retryPriority.typedConfig = (try? Google_Protobuf_Any(packing: config)) ?? Google_Protobuf_Any()
        }
        let backOff = max(minimumBackOff, (retries?.backoff?.nanoseconds ?? 0) / 1_000_000)
        policy.retryBackOff.baseInterval = Google_Protobuf_Duration(milliseconds: backOff)
        return policy
    }
}
