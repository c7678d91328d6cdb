import Foundation
import KubernetesAPI

extension KubernetesValues {
    /// The message kube-apiserver gives for a bad address of this EndpointSlice `addressType`; nil when valid.
    public static func endpointAddressProblem(_ address: String, addressType: String) -> String? {
        switch addressType {
        case "IPv4": isIPv4(address) ? nil : "must be a valid IPv4 address"
        case "IPv6": isIPv6(address) ? nil : "must be a valid IPv6 address"
        case "FQDN": Names.isDNS1123Subdomain(address) ? nil : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
        default: nil
        }
    }
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
