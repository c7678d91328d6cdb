/// Istio's cluster names, which dashboards, `istioctl proxy-config` habits and
/// EnvoyFilters all key on: `outbound|<port>|<subset>|<fqdn>`.
public enum ClusterName {
    public static func outbound(port: Int, subset: String? = nil, host: String) -> String {
        "outbound|\(port)|\(subset ?? "")|\(host)"
    }

    /// Splits an outbound cluster name into its parts, or nil for any other name.
    public static func parse(_ name: String) -> (port: Int, subset: String?, host: String)? {
        // No splitting into arrays: this runs for every cluster of every proxy.
        let bytes = name.utf8
        let bar = UInt8(ascii: "|")
        guard bytes.starts(with: "outbound|".utf8) else { return nil }
        let portStart = bytes.index(bytes.startIndex, offsetBy: 9)
        guard let portEnd = bytes[portStart...].firstIndex(of: bar) else { return nil }
        let subsetStart = bytes.index(after: portEnd)
        guard let subsetEnd = bytes[subsetStart...].firstIndex(of: bar) else { return nil }
        let hostStart = bytes.index(after: subsetEnd)
        guard !bytes[hostStart...].contains(bar), let port = Int(name[portStart..<portEnd]) else { return nil }
        let subset = name[subsetStart..<subsetEnd]
        return (port, subset.isEmpty ? nil : String(subset), String(name[hostStart...]))
    }
}
