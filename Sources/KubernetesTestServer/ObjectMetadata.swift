import Foundation
import KubernetesAPI

/// Reading and writing the metadata fields the server owns, directly on the
/// JSON form so every field a client sent (known or not) survives untouched.
extension JSONValue {
    var name: String? { self[path: ["metadata", "name"]]?.stringValue }
    var namespace: String? { self[path: ["metadata", "namespace"]]?.stringValue }
    var resourceVersion: String? { self[path: ["metadata", "resourceVersion"]]?.stringValue }
    var uid: String? { self[path: ["metadata", "uid"]]?.stringValue }
    var finalizers: [String] { self[path: ["metadata", "finalizers"]]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    var deletionTimestamp: String? { self[path: ["metadata", "deletionTimestamp"]]?.stringValue }

    /// Sets (or with nil removes) a member of `metadata`, creating `metadata` if needed.
    mutating func setMetadata(_ key: String, _ value: JSONValue?) {
        guard case .object(var members) = self else { return }
        var metadata = members["metadata"]?.objectValue ?? [:]
        metadata[key] = value
        members["metadata"] = .object(metadata)
        self = .object(members)
    }

    /// Removes a top-level member.
    mutating func removeMember(_ key: String) {
        guard case .object(var members) = self else { return }
        members[key] = nil
        self = .object(members)
    }

    /// The object without `metadata` and `status`: what a change to bumps `generation`.
    var specContent: [String: JSONValue] {
        var members = objectValue ?? [:]
        members["metadata"] = nil
        members["status"] = nil
        members["apiVersion"] = nil
        members["kind"] = nil
        return members
    }

    /// The object without fields that change on every write, to tell a no-op write apart.
    var comparableContent: JSONValue {
        var copy = self
        guard case .object(var members) = copy, case .object(var metadata)? = members["metadata"] else { return copy }
        metadata["resourceVersion"] = nil
        metadata["managedFields"] = nil
        members["metadata"] = .object(metadata)
        members["apiVersion"] = nil
        copy = .object(members)
        return copy
    }
}

/// RFC 3339 timestamps (second precision, UTC) as Kubernetes writes them.
enum Timestamp {
    static func now() -> String { format(Date()) }

    static func format(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)
    }

    /// "5s", "3m", "2h", "4d": the Age column `kubectl get` shows.
    static func age(of text: String?, now: Date = Date()) -> String {
        guard let text, let date = parse(text) else { return "<unknown>" }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<(60 * 60 * 2): return "\(seconds / 60)m"
        case ..<(60 * 60 * 48): return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }
}

/// Name rules kube-apiserver enforces (RFC 1123 subdomains and labels).
enum NameValidation {
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// Returns a message when `name` is not a DNS-1123 label (namespaces) or subdomain (most objects).
    static func problem(with name: String, label: Bool) -> String? {
        let bytes = Array(name.utf8)
        let limit = label ? 63 : 253
        if bytes.isEmpty { return "name or generateName is required" }
        if bytes.count > limit { return "must be no more than \(limit) characters" }
        let valid = bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || (!label && $0 == UInt8(ascii: ".")) }
        if !valid || !isAlphanumeric(bytes.first!) || !isAlphanumeric(bytes.last!) {
            if label {
                return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            }
            return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        }
        return nil
    }

    private static let suffixAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// Five random characters, as the server appends to `generateName`.
    static func randomSuffix() -> String {
        String((0..<5).map { _ in suffixAlphabet.randomElement()! })
    }
}
