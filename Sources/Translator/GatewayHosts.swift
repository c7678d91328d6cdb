import MeshAPI

/// Host names as Gateways and VirtualServices write them: `namespace/host` scoping on
/// server hosts, and wildcard intersection between a server's and a VirtualService's hosts.
enum GatewayHosts {
    /// A server host with the namespaces whose VirtualServices it admits.
    struct ScopedHost: Hashable, Sendable {
        /// `*` for any namespace, else one namespace.
        var namespace: String
        var host: String

        /// `ns/host`, `./host` (the Gateway's namespace), `*/host` or a bare `host` (any namespace).
        init(_ written: String, gatewayNamespace: String) {
            guard let slash = written.firstIndex(of: "/") else {
                namespace = "*"
                host = written
                return
            }
            let scope = String(written[..<slash])
            host = String(written[written.index(after: slash)...])
            namespace = scope == "." ? gatewayNamespace : scope
        }

        func admits(namespace candidate: String) -> Bool { namespace == "*" || namespace == candidate }
    }

    static func scoped(_ server: Server, gatewayNamespace: String) -> [ScopedHost] {
        (server.hosts ?? []).map { ScopedHost($0, gatewayNamespace: gatewayNamespace) }
    }

    /// The server's hosts without their namespace scope, for SNI matching; empty when one is
    /// `*` (every name matches, so no `server_names` restriction).
    static func serverNames(_ server: Server) -> [String] {
        let hosts = (server.hosts ?? []).map { ScopedHost($0, gatewayNamespace: "").host }
        if hosts.contains("*") { return [] }
        var seen: Set<String> = []
        return hosts.filter { seen.insert($0).inserted }
    }

    /// The more specific of two hosts when one covers the other (`*` covers everything,
    /// `*.example.com` covers `a.example.com` and `*.b.example.com`); nil when disjoint.
    static func intersection(_ a: String, _ b: String) -> String? {
        if a == b { return a }
        if covers(a, b) { return b }
        if covers(b, a) { return a }
        return nil
    }

    /// Whether the wildcard `pattern` covers `host`.
    static func covers(_ pattern: String, _ host: String) -> Bool {
        if pattern == "*" { return true }
        guard pattern.hasPrefix("*") else { return pattern == host }
        let suffix = pattern.dropFirst()
        return host.count > suffix.count && host.hasSuffix(suffix)
    }

    /// The hosts a VirtualService claims on a server, in the order the VirtualService lists
    /// them: each of its hosts intersected with each server host that admits its namespace.
    static func hosts(of virtualService: VirtualService, on server: Server, gatewayNamespace: String, snapshot: MeshSnapshot) -> [String] {
        let namespace = MeshSnapshot.key(virtualService.metadata).namespace
        let serverHosts = scoped(server, gatewayNamespace: gatewayNamespace).filter { $0.admits(namespace: namespace) }
        var result: [String] = []
        var seen: Set<String> = []
        for written in virtualService.spec.hosts ?? [] {
            let host = snapshot.resolveHost(written, namespace: namespace)
            for serverHost in serverHosts {
                if let common = intersection(host, serverHost.host), seen.insert(common).inserted { result.append(common) }
            }
        }
        return result
    }
}
