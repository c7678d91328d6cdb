import Foundation

/// The values of Kubernetes objects that reach Envoy, checked as kube-apiserver checks them
/// (same messages, same field paths). Coxswain also reads objects that never went through an
/// API server (`render`, `analyze`, file mode), and a port of `-5` there used to trap the
/// translator; so every port, address and Secret is checked here, and the index leaves out
/// the part that fails (the port, the endpoint, the credential), never the whole mesh.
public enum KubernetesValues {
    /// `IsValidPortNum`'s message.
    public static let portRangeMessage = "must be between 1 and 65535, inclusive"

    /// Whether a number is a TCP/UDP port Envoy accepts in a `SocketAddress` (1...65535).
    public static func isPort<Number: BinaryInteger>(_ number: Number) -> Bool { number >= 1 && number <= 65535 }

    /// An IPv4 address in dotted-quad form without leading zeros, as Go's `netip` parses it.
    public static func isIPv4(_ text: some StringProtocol) -> Bool { Names.isIPv4(text) }

    /// An IPv6 address without a zone (`fe80::1%eth0` is not an endpoint address).
    public static func isIPv6(_ text: some StringProtocol) -> Bool { !text.contains("%") && Names.isIPv6(text) }

    public static func isIP(_ text: some StringProtocol) -> Bool { isIPv4(text) || isIPv6(text) }

    /// `IsValidPortName` (IANA_SVC_NAME): nil when `name` is valid, else each problem in kube-apiserver's words.
    public static func portNameProblems(_ name: String) -> [String] {
        var problems: [String] = []
        let bytes = Array(name.utf8)
        if bytes.count < 1 || bytes.count > 15 { problems.append("must be no more than 15 characters") }
        if !bytes.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }) {
            problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if name.contains("--") { problems.append("must not contain consecutive hyphens") }
        if !bytes.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) { problems.append("must contain at least one letter (a-z)") }
        if name.hasPrefix("-") || name.hasSuffix("-") { problems.append("must not begin or end with a hyphen") }
        return problems
    }

    /// The message kube-apiserver gives for a bad address of this EndpointSlice `addressType`; nil when valid.
    public static func endpointAddressProblem(_ address: String, addressType: String) -> String? {
        switch addressType {
        case "IPv4": isIPv4(address) ? nil : "must be a valid IPv4 address"
        case "IPv6": isIPv6(address) ? nil : "must be a valid IPv6 address"
        case "FQDN": Names.isDNS1123Subdomain(address) ? nil : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
        default: nil
        }
    }

    public static let ipAddressMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
}

/// Findings for the Kubernetes kinds Envoy config is built from. kube-apiserver refuses most
/// of these; objects read from files or from an API server that did not check them still
/// reach Coxswain, and what fails here is left out of translation with this field path.
enum KubernetesRules {
    static func validate(_ service: Service, into findings: inout FindingCollector) {
        guard let spec = service.spec else { return }
        var seenNames: Set<String> = []
        var seenPorts: Set<String> = []
        for (index, port) in (spec.ports ?? []).enumerated() {
            let path = "spec.ports"[index: index]
            if !KubernetesValues.isPort(port.port) {
                findings.error(path / "port", "Invalid value: \(port.port): \(KubernetesValues.portRangeMessage)")
            }
            switch port.targetPort {
            case .int(let number)?:
                if !KubernetesValues.isPort(number) {
                    findings.error(path / "targetPort", "Invalid value: \(number): \(KubernetesValues.portRangeMessage)")
                }
            case .string(let name)?:
                for problem in KubernetesValues.portNameProblems(name) {
                    findings.error(path / "targetPort", "Invalid value: \"\(name)\": \(problem)")
                }
            case nil: break
            }
            if let nodePort = port.nodePort, nodePort != 0, !KubernetesValues.isPort(nodePort) {
                findings.error(path / "nodePort", "Invalid value: \(nodePort): \(KubernetesValues.portRangeMessage)")
            }
            if let name = port.name, !name.isEmpty, !seenNames.insert(name).inserted {
                findings.error(path / "name", "Duplicate value: \"\(name)\"")
            }
            let transport = (port.protocol ?? "TCP").uppercased()
            if !seenPorts.insert("\(port.port)/\(transport)").inserted {
                findings.error(path, "Duplicate value: port \(port.port)/\(transport)")
            }
        }
        if let clusterIP = spec.clusterIP, !clusterIP.isEmpty, clusterIP != "None", !KubernetesValues.isIP(clusterIP) {
            findings.error("spec.clusterIP", "Invalid value: \"\(clusterIP)\": \(KubernetesValues.ipAddressMessage)")
        }
        for (index, clusterIP) in (spec.clusterIPs ?? []).enumerated() where !(clusterIP == "None" && index == 0) && !KubernetesValues.isIP(clusterIP) {
            findings.error("spec.clusterIPs"[index: index], "Invalid value: \"\(clusterIP)\": \(KubernetesValues.ipAddressMessage)")
        }
    }

    static let addressTypes = ["FQDN", "IPv4", "IPv6"]

    static func validate(_ slice: EndpointSlice, into findings: inout FindingCollector) {
        guard addressTypes.contains(slice.addressType) else {
            findings.error("addressType", "Unsupported value: \"\(slice.addressType)\": supported values: \"FQDN\", \"IPv4\", \"IPv6\"")
            return
        }
        if slice.addressType == "FQDN" {
            // Envoy's EDS takes IP addresses only; Istio does not read FQDN slices either.
            findings.warning("addressType", "FQDN endpoints are not served: Envoy's EDS takes IP addresses")
        }
        for (index, endpoint) in (slice.endpoints ?? []).enumerated() {
            let path = "endpoints"[index: index] / "addresses"
            if endpoint.addresses.isEmpty { findings.error(path, "Required value: must contain at least 1 address") }
            for (position, address) in endpoint.addresses.enumerated() {
                if let problem = KubernetesValues.endpointAddressProblem(address, addressType: slice.addressType) {
                    findings.error(path[index: position], "Invalid value: \"\(address)\": \(problem)")
                }
            }
        }
        var seenNames: Set<String> = []
        for (index, port) in (slice.ports ?? []).enumerated() {
            let path = "ports"[index: index]
            if let number = port.port, !KubernetesValues.isPort(number) {
                findings.error(path / "port", "Invalid value: \(number): \(KubernetesValues.portRangeMessage)")
            }
            if !seenNames.insert(port.name ?? "").inserted {
                findings.error(path / "name", "Duplicate value: \"\(port.name ?? "")\"")
            }
        }
    }

    static func validate(_ pod: Pod, into findings: inout FindingCollector) {
        if let ip = pod.status?.podIP, !ip.isEmpty, !KubernetesValues.isIP(ip) {
            findings.error("status.podIP", "Invalid value: \"\(ip)\": \(KubernetesValues.ipAddressMessage)")
        }
        for (index, entry) in (pod.status?.podIPs ?? []).enumerated() where !KubernetesValues.isIP(entry.ip) {
            findings.error("status.podIPs"[index: index] / "ip", "Invalid value: \"\(entry.ip)\": \(KubernetesValues.ipAddressMessage)")
        }
    }

    static func validate(_ secret: Secret, into findings: inout FindingCollector) {
        for key in (secret.data ?? [:]).keys.sorted() where Data(base64Encoded: secret.data?[key] ?? "") == nil {
            findings.error("data"[key: key], "illegal base64 data")
        }
        let isTLS = secret.type == Secret.tlsType
        if isTLS {
            for key in [Secret.certificateKey, Secret.privateKeyKey] where secret.data?[key] == nil && secret.stringData?[key] == nil {
                findings.error("data"[key: key], "Required value")
            }
        }
        // What a Gateway would serve: checked for TLS Secrets, and for Istio's generic layout.
        if isTLS || (secret.data?["cert"] != nil && secret.data?["key"] != nil) {
            for problem in TLSCredential.problems(in: secret) { findings.error(problem.fieldPath, problem.message) }
        }
    }
}
