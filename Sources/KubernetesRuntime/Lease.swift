import Foundation
import KubernetesAPI
import KubernetesClient

/// coordination.k8s.io/v1 Lease: what leader election writes.
public struct Lease: KubernetesObject, Hashable {
    public var apiVersion: String? = "coordination.k8s.io/v1"
    public var kind: String? = "Lease"
    public var metadata: ObjectMeta
    public var spec: LeaseSpec?

    public init(metadata: ObjectMeta, spec: LeaseSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct LeaseSpec: Codable, Sendable, Hashable {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int?
    /// MicroTime strings (`2006-01-02T15:04:05.000000Z07:00`).
    public var acquireTime: String?
    public var renewTime: String?
    public var leaseTransitions: Int?

    public init(holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: String? = nil,
                renewTime: String? = nil, leaseTransitions: Int? = nil) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }
}

/// metav1.MicroTime: RFC 3339 with exactly six fractional digits, in UTC.
public enum MicroTime {
    public static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = floor(seconds)
        var micros = Int(((seconds - whole) * 1_000_000).rounded())
        var base = Date(timeIntervalSince1970: whole)
        if micros >= 1_000_000 { micros -= 1_000_000; base = base.addingTimeInterval(1) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let text = formatter.string(from: base) // 2006-01-02T15:04:05Z
        return String(text.dropLast()) + "." + String(format: "%06d", micros) + "Z"
    }

    /// Parses MicroTime (any number of fractional digits, `Z` or an offset) or plain RFC 3339.
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let dot = text.firstIndex(of: ".") else { return formatter.date(from: text) }
        var end = text.index(after: dot)
        while end < text.endIndex, text[end].isNumber { end = text.index(after: end) }
        let fraction = Double("0" + text[dot..<end]) ?? 0
        guard let base = formatter.date(from: String(text[..<dot]) + String(text[end...])) else { return nil }
        return base.addingTimeInterval(fraction)
    }
}
