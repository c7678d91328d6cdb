import EnvoyAPI
import MeshAPI
import SwiftProtobuf
import Testing
@testable import Translator

@Suite struct RetryTests {
    @Test func istiosDefaultWhenRetriesAreUnset() throws {
        let policy = try #require(RetryTranslator.policy(nil, consistentHash: false))
        #expect(policy.numRetries.value == 2)
        #expect(policy.retryOn == "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes")
        #expect(policy.retriableStatusCodes == [503])
        #expect(policy.hostSelectionRetryMaxAttempts == 5)
        #expect(policy.retryHostPredicate.map(\.name) == [EnvoyExtensionName.previousHostsRetryPredicate])
        let predicate = try #require(policy.retryHostPredicate.first)
        #expect(predicate.typedConfig.typeURL == "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate")
        #expect(policy.retryBackOff.baseInterval.nanos == 25_000_000, "Envoy's 25 ms, never less")
        #expect(!policy.hasPerTryTimeout)
    }

    @Test func consistentHashingKeepsThePreviousHost() throws {
        let policy = try #require(RetryTranslator.policy(nil, consistentHash: true))
        #expect(policy.retryHostPredicate.isEmpty)
        #expect(policy.numRetries.value == 2)
    }

    @Test func zeroAttemptsDisableRetries() {
        var retries = HTTPRetry()
        retries.attempts = 0
        #expect(RetryTranslator.policy(retries, consistentHash: false) == nil)
    }

    @Test func explicitRetries() throws {
        var retries = HTTPRetry()
        retries.attempts = 5
        retries.perTryTimeout = IstioDuration(milliseconds: 250)
        retries.retryOn = "gateway-error, 409,reset"
        retries.retryRemoteLocalities = true
        retries.backoff = IstioDuration(milliseconds: 100)
        let policy = try #require(RetryTranslator.policy(retries, consistentHash: false))
        #expect(policy.numRetries.value == 5)
        #expect(policy.perTryTimeout.nanos == 250_000_000)
        #expect(policy.retryOn == "gateway-error,reset,retriable-status-codes")
        #expect(policy.retriableStatusCodes == [409])
        #expect(policy.retryPriority.name == EnvoyExtensionName.previousPrioritiesRetryPriority)
        let priority = try Envoy_Extensions_Retry_Priority_PreviousPriorities_V3_PreviousPrioritiesConfig(unpackingAny: policy.retryPriority.typedConfig)
        #expect(priority.updateFrequency == 2)
        #expect(policy.retryBackOff.baseInterval.nanos == 100_000_000)
    }

    @Test func aBackOffBelowEnvoysDefaultIsRaised() throws {
        var retries = HTTPRetry()
        retries.attempts = 1
        retries.backoff = IstioDuration(milliseconds: 1)
        let policy = try #require(RetryTranslator.policy(retries, consistentHash: false))
        #expect(policy.retryBackOff.baseInterval.nanos == 25_000_000)
        #expect(!policy.hasRetryPriority)
    }
}
