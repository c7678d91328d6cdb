import CoreMetrics
import EnvoyAPI

/// The xDS server's metrics, under istiod's names where it has them.
enum XDSMetrics {
    static let connected = CoreMetrics.Gauge(label: "pilot_xds")
    static let pushTime = CoreMetrics.Timer(label: "pilot_xds_push_time")
    static let convergence = CoreMetrics.Timer(label: "pilot_proxy_convergence_time")
    /// Connections closed on arrival because ``XDSLimits/maxConnections`` were open.
    static let connectionsRefused = CoreMetrics.Counter(label: "coxswain_xds_connections_refused_total")
    /// Connections closed after ``XDSLimits/idleTimeout`` plus ``XDSLimits/closeGracePeriod`` without a stream.
    static let idleConnectionsClosed = CoreMetrics.Counter(label: "coxswain_xds_idle_connections_closed_total")
    /// Gateway streams connected without the right to private keys, and (counted by the generator)
    /// servers left out of a gateway's config because it may not have their key.
    static let secretsWithheld = CoreMetrics.Counter(label: "coxswain_xds_secrets_withheld_total")

    /// Requests refused because they were larger than ``XDSLimits/maxRequestBytes`` (the stream ends).
    /// Made per event, like the other counters of rare events, so they report to whatever factory
    /// is bootstrapped when they happen.
    static func recordRequestTooLarge() {
        CoreMetrics.Counter(label: "coxswain_xds_requests_too_large_total").increment()
    }

    /// Times a connection reached ``XDSLimits/maxStreamsPerConnection`` open streams: HTTP/2 refuses
    /// (`REFUSED_STREAM`) every further stream until one ends, below gRPC, where it cannot be counted.
    static func recordStreamLimitReached() {
        CoreMetrics.Counter(label: "coxswain_xds_stream_limit_reached_total").increment()
    }

    /// Streams ended because of their first request's node: `node_id_too_long`, `invalid_node` or `identity_mismatch`.
    static func recordRefusedNode(reason: String) {
        CoreMetrics.Counter(label: "coxswain_xds_nodes_refused_total", dimensions: [("reason", reason)]).increment()
    }

    /// `cds`, `eds`, `lds`, `rds`, `sds`: istiod's type labels.
    static func shortName(_ typeURL: String) -> String {
        switch XDSResourceType(typeURL: typeURL) {
        case .cluster: "cds"
        case .endpoint: "eds"
        case .listener: "lds"
        case .route: "rds"
        case .secret: "sds"
        case nil: "unknown"
        }
    }

    static func recordNack(typeURL: String) {
        CoreMetrics.Counter(label: "pilot_total_xds_rejects", dimensions: [("type", shortName(typeURL))]).increment()
    }

    static func recordPush(typeURL: String, bytes: Int, since started: ContinuousClock.Instant) {
        let dimensions = [("type", shortName(typeURL))]
        CoreMetrics.Counter(label: "pilot_xds_pushes", dimensions: dimensions).increment()
        CoreMetrics.Counter(label: "pilot_xds_push_bytes", dimensions: dimensions).increment(by: bytes)
        pushTime.recordNanoseconds(Int64((ContinuousClock.now - started).nanoseconds))
    }

    /// Time from a mesh change being published to a proxy accepting config built from it.
    static func recordConvergence(of generation: UInt64, cache: SnapshotCache) async {
        guard let published = await cache.publicationTime(of: generation) else { return }
        convergence.recordNanoseconds(Int64((ContinuousClock.now - published).nanoseconds))
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
