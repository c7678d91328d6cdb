import KubernetesAPI
import MeshAPI

/// `exportTo` as Istio reads it: unset, empty or `*` exports to every namespace; `.` is the
/// object's own namespace; any other entry names a namespace. Objects not exported to a
/// proxy's namespace do not exist for that proxy.
enum ExportTo {
    static func isVisible(_ entries: [String]?, from objectNamespace: String, to namespace: String) -> Bool {
        guard let entries, !entries.isEmpty else { return true }
        return entries.contains { $0 == "*" || $0 == namespace || ($0 == "." && objectNamespace == namespace) }
    }

    static func isVisible(_ virtualService: VirtualService, to namespace: String) -> Bool {
        isVisible(virtualService.spec.exportTo, from: MeshSnapshot.key(virtualService.metadata).namespace, to: namespace)
    }

    static func isVisible(_ rule: DestinationRule, to namespace: String) -> Bool {
        isVisible(rule.spec.exportTo, from: MeshSnapshot.key(rule.metadata).namespace, to: namespace)
    }
}
