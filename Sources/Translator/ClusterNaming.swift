/// Istio's cluster names, which dashboards, `istioctl proxy-config` habits and
/// EnvoyFilters all key on: `outbound|<port>|<subset>|<fqdn>`.
public enum ClusterName {
    public static func outbound(port: Int, subset: String? = nil, host: String) -> String {
        "outbound|\(port)|\(subset ?? "")|\(host)"
    }

    /// Splits an outbound cluster name into its parts, or nil for any other name.
    public static func parse(_ name: String) -> (port: Int, subset: String?, host: String)? {
        let parts = name.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "outbound", let port = Int(parts[1]) else { return nil }
        return (port, parts[2].isEmpty ? nil : String(parts[2]), String(parts[3]))
    }
}
