import Foundation
import KubernetesAPI

/// The defaults kube-apiserver fills into built-in kinds that clients rely on reading
/// back: a Service's type, cluster IP and port protocols; a Pod's phase.
struct BuiltInDefaults {
    /// Next address handed out from the service range 10.96.0.0/12 (10.96.0.1 is the `kubernetes` Service in a real cluster).
    private var nextServiceAddress: UInt32 = (10 << 24) | (96 << 16) | 10

    mutating func applyOnCreate(_ object: inout JSONValue, resource: ResourceType) {
        guard resource.group.isEmpty else { return }
        switch resource.plural {
        case "services": defaultService(&object, previous: nil)
        case "secrets": normalizeSecret(&object)
        case "pods":
            if object[path: ["status", "phase"]] == nil {
                var status = object["status"]?.objectValue ?? [:]
                status["phase"] = "Pending"
                object["status"] = .object(status)
            }
        default: break
        }
    }

    mutating func applyOnUpdate(_ object: inout JSONValue, previous: JSONValue, resource: ResourceType) {
        guard resource.group.isEmpty else { return }
        switch resource.plural {
        case "services": defaultService(&object, previous: previous)
        case "secrets": normalizeSecret(&object)
        default: break
        }
    }

    /// `stringData` is write-only: merged into `data` base64-encoded; `type` defaults to Opaque.
    private func normalizeSecret(_ object: inout JSONValue) {
        if object["type"] == nil { object["type"] = "Opaque" }
        guard case .object(let plain)? = object["stringData"] else {
            object.removeMember("stringData")
            return
        }
        var data = object["data"]?.objectValue ?? [:]
        for (key, value) in plain {
            if let text = value.stringValue { data[key] = .string(Data(text.utf8).base64EncodedString()) }
        }
        object["data"] = .object(data)
        object.removeMember("stringData")
    }

    private mutating func defaultService(_ object: inout JSONValue, previous: JSONValue?) {
        guard case .object(var spec)? = object["spec"] else { return }
        if spec["type"] == nil { spec["type"] = "ClusterIP" }
        if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        if spec["clusterIP"] == nil || spec["clusterIP"] == "" {
            if let kept = previous?[path: ["spec", "clusterIP"]] {
                spec["clusterIP"] = kept
                spec["clusterIPs"] = previous?[path: ["spec", "clusterIPs"]] ?? .array([kept])
            } else if type != "ExternalName" {
                let address = nextServiceAddress
                nextServiceAddress += 1
                let text = "\(address >> 24).\((address >> 16) & 0xFF).\((address >> 8) & 0xFF).\(address & 0xFF)"
                spec["clusterIP"] = .string(text)
                spec["clusterIPs"] = [.string(text)]
            }
        } else if spec["clusterIPs"] == nil, let address = spec["clusterIP"] {
            spec["clusterIPs"] = [address]
        }
        if case .array(let ports)? = spec["ports"] {
            spec["ports"] = .array(ports.map { port in
                guard case .object(var members) = port else { return port }
                if members["protocol"] == nil { members["protocol"] = "TCP" }
                if members["targetPort"] == nil, let number = members["port"] { members["targetPort"] = number }
                return .object(members)
            })
        }
        object["spec"] = .object(spec)
    }
}
