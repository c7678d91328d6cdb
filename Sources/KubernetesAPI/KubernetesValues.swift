/// The values of Kubernetes objects that reach Envoy, checked as kube-apiserver checks them
/// (same messages). Coxswain also reads objects that never went through an API server
/// (`render`, `analyze`, file mode), and a port of `-5` there used to trap the translator;
/// the mesh validation, the translator's index and the test API server all use these.
public enum KubernetesValues {
    /// `IsValidPortNum`'s message.
    public static let portRangeMessage = "must be between 1 and 65535, inclusive"
    public static let ipAddressMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

    /// Whether a number is a TCP/UDP port Envoy accepts in a `SocketAddress` (1...65535).
    public static func isPort<Number: BinaryInteger>(_ number: Number) -> Bool { number >= 1 && number <= 65535 }

    /// An IPv4 address in dotted-quad form without leading zeros, as Go's `netip` parses it.
    public static func isIPv4(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber), let value = Int(part) else { return false }
            return value <= 255 && !(part.count > 1 && part.first == "0")
        }
    }

    /// An IPv6 address; with a zone (`fe80::1%eth0`) only when `allowingZone` (no endpoint address has one).
    public static func isIPv6(_ text: some StringProtocol, allowingZone: Bool = false) -> Bool {
        var body = Substring(text)
        if let percent = body.firstIndex(of: "%") {
            guard allowingZone else { return false }
            body = body[..<percent]
        }
        guard body.contains(":"), body.count >= 2, !body.contains(":::") else { return false }
        let doubleColons = body.components(separatedBy: "::").count - 1
        guard doubleColons <= 1 else { return false }
        var groups = body.split(separator: ":", omittingEmptySubsequences: false)
        // Leading or trailing "::" yields empty groups at the ends.
        if body.hasPrefix("::") { groups.removeFirst() }
        if body.hasSuffix("::") { groups.removeLast() }
        var count = 0
        for (index, group) in groups.enumerated() {
            if group.isEmpty {
                if doubleColons == 1 { continue }
                return false
            }
            if index == groups.count - 1, group.contains("." as Character) {
                guard isIPv4(group) else { return false }
                count += 2
                continue
            }
            guard group.count <= 4, group.allSatisfy(\.isHexDigit) else { return false }
            count += 1
        }
        return doubleColons == 1 ? count < 8 : count == 8
    }

    public static func isIP(_ text: some StringProtocol) -> Bool { isIPv4(text) || isIPv6(text) }

    /// `IsValidPortName` (IANA_SVC_NAME): each problem in kube-apiserver's words; empty when valid.
    public static func portNameProblems(_ name: String) -> [String] {
        var problems: [String] = []
        let bytes = Array(name.utf8)
        let isLower = { (byte: UInt8) in byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if bytes.count < 1 || bytes.count > 15 { problems.append("must be no more than 15 characters") }
        if !bytes.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }) {
            problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if name.contains("--") { problems.append("must not contain consecutive hyphens") }
        if !bytes.contains(where: isLower) { problems.append("must contain at least one letter (a-z)") }
        if name.hasPrefix("-") || name.hasSuffix("-") { problems.append("must not begin or end with a hyphen") }
        return problems
    }
}
