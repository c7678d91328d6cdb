import Foundation
import KubernetesAPI

/// The checks kube-apiserver makes on the built-in kinds Coxswain translates into Envoy config,
/// with its messages and field paths: Service ports, targetPorts, nodePorts and cluster IPs,
/// EndpointSlice addresses (per `addressType`) and ports, Pod IPs, and Secret data that is not
/// base64. Without them the test API server stored what a real cluster refuses, and tests
/// could not see that Coxswain gets only what a real cluster lets through.
enum BuiltInValidation {
    /// The 422 causes for an object of `resource`; empty when it is valid.
    static func causes(_ object: JSONValue, resource: ResourceType) -> [StatusCause] {
        switch (resource.group, resource.plural) {
        case ("", "services"): service(object)
        case ("discovery.k8s.io", "endpointslices"): endpointSlice(object)
        case ("", "pods"): pod(object)
        default: []
        }
    }

    /// Secret `data` that does not decode: kube-apiserver fails decoding the body (400), before validation.
    static func undecodableSecret(_ object: JSONValue, resource: ResourceType) -> String? {
        guard resource.group.isEmpty, resource.plural == "secrets", case .object(let data)? = object["data"] else { return nil }
        for key in data.keys.sorted() {
            guard let text = data[key]?.stringValue else { continue }
            if let offset = invalidBase64Offset(text) {
                return "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte \(offset)"
            }
        }
        return nil
    }

    /// Where Go's standard base64 decoder stops on `text`; nil when it decodes.
    static func invalidBase64Offset(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        let isAlphabet = { (byte: UInt8) in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
        }
        var padding: Int?
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "=") {
                if padding == nil { padding = offset }
                continue
            }
            if padding != nil || !isAlphabet(byte) { return offset }
        }
        let end = padding ?? bytes.count
        if let padding {
            let expected = (4 - end % 4) % 4
            if expected == 0 || bytes.count - padding != expected || bytes.count % 4 != 0 { return padding }
        } else if bytes.count % 4 != 0 {
            // An incomplete last quantum: reported at its start.
            return bytes.count - bytes.count % 4
        }
        return nil
    }

    private static func invalid(_ field: String, _ value: JSONValue, _ message: String) -> StatusCause {
        let shown: String = switch value {
        case .string(let text): "\"\(text)\""
        case .integer(let number): "\(number)"
        default: "\(value)"
        }
        return StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(shown): \(message)", field: field)
    }

    private static func port(_ field: String, _ value: JSONValue?, into causes: inout [StatusCause]) {
        guard let value, value != .null else { return }
        if let number = value.integerValue, !KubernetesValues.isPort(number) {
            causes.append(invalid(field, value, KubernetesValues.portRangeMessage))
        }
    }

    static func service(_ object: JSONValue) -> [StatusCause] {
        var causes: [StatusCause] = []
        guard case .object(let spec)? = object["spec"] else { return causes }
        if case .array(let ports)? = spec["ports"] {
            for (index, entry) in ports.enumerated() {
                let path = "spec.ports[\(index)]"
                port("\(path).port", entry["port"], into: &causes)
                if let nodePort = entry["nodePort"], nodePort.integerValue != 0 { port("\(path).nodePort", nodePort, into: &causes) }
                switch entry["targetPort"] {
                case .integer(let number)? where number != 0: port("\(path).targetPort", .integer(number), into: &causes)
                case .string(let name)?:
                    for problem in KubernetesValues.portNameProblems(name) { causes.append(invalid("\(path).targetPort", .string(name), problem)) }
                default: break
                }
            }
        }
        if let clusterIP = spec["clusterIP"]?.stringValue, !clusterIP.isEmpty, clusterIP != "None", !KubernetesValues.isIP(clusterIP) {
            causes.append(invalid("spec.clusterIPs[0]", .string(clusterIP), KubernetesValues.ipAddressMessage))
        } else if case .array(let clusterIPs)? = spec["clusterIPs"] {
            for (index, entry) in clusterIPs.enumerated() {
                guard let ip = entry.stringValue, !(index == 0 && (ip == "None" || ip.isEmpty)), !KubernetesValues.isIP(ip) else { continue }
                causes.append(invalid("spec.clusterIPs[\(index)]", entry, KubernetesValues.ipAddressMessage))
            }
        }
        return causes
    }

    static func endpointSlice(_ object: JSONValue) -> [StatusCause] {
        var causes: [StatusCause] = []
        let addressType = object["addressType"]?.stringValue ?? ""
        guard ["IPv4", "IPv6", "FQDN"].contains(addressType) else {
            return [StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(addressType)\": supported values: \"FQDN\", \"IPv4\", \"IPv6\"", field: "addressType")]
        }
        if case .array(let endpoints)? = object["endpoints"] {
            for (index, endpoint) in endpoints.enumerated() {
                guard case .array(let addresses)? = endpoint["addresses"] else { continue }
                for (position, address) in addresses.enumerated() {
                    let text = address.stringValue ?? ""
                    let problem: String? = switch addressType {
                    case "IPv4": KubernetesValues.isIPv4(text) ? nil : "must be a valid IPv4 address"
                    case "IPv6": KubernetesValues.isIPv6(text) ? nil : "must be a valid IPv6 address"
                    default: NameValidation.problem(with: text, label: false)
                    }
                    if let problem { causes.append(invalid("endpoints[\(index)].addresses[\(position)]", address, problem)) }
                }
            }
        }
        if case .array(let ports)? = object["ports"] {
            for (index, entry) in ports.enumerated() { port("ports[\(index)].port", entry["port"], into: &causes) }
        }
        return causes
    }

    static func pod(_ object: JSONValue) -> [StatusCause] {
        var causes: [StatusCause] = []
        if let ip = object[path: ["status", "podIP"]], let text = ip.stringValue, !text.isEmpty, !KubernetesValues.isIP(text) {
            causes.append(invalid("status.podIP", ip, KubernetesValues.ipAddressMessage))
        }
        if case .array(let ips)? = object[path: ["status", "podIPs"]] {
            for (index, entry) in ips.enumerated() {
                guard let ip = entry["ip"], let text = ip.stringValue, !KubernetesValues.isIP(text) else { continue }
                causes.append(invalid("status.podIPs[\(index)].ip", ip, KubernetesValues.ipAddressMessage))
            }
        }
        return causes
    }
}
