/// Istio's admission rules for Gateway.
enum GatewayRules {
    /// Protocols Istio parses (case-insensitive), and which of them are HTTP or TLS.
    static let protocols: Set<String> = ["HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "HTTP_PROXY", "MONGO", "REDIS", "MYSQL", "TCP", "TLS", "UDP"]
    static let httpProtocols: Set<String> = ["HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB"]
    static let tlsProtocols: Set<String> = ["HTTPS", "TLS"]

    /// Cipher suites Envoy (BoringSSL) accepts.
    static let cipherSuites: Set<String> = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-PSK-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-PSK-AES128-CBC-SHA",
        "ECDHE-PSK-AES256-CBC-SHA", "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA",
        "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA", "PSK-AES128-CBC-SHA", "PSK-AES256-CBC-SHA", "DES-CBC3-SHA",
    ]

    static let unixPrefix = "unix://"

    static func validate(_ gateway: Gateway, into out: inout FindingCollector) {
        // Istio requires a Gateway's name to be a DNS label (no dots).
        out.metadata(gateway.metadata, nameMustBeLabel: true)
        let servers = gateway.spec.servers ?? []
        if servers.isEmpty { out.error("spec.servers", "gateway must have at least one server") }
        var portNames = Set<String>()
        for (index, server) in servers.enumerated() {
            let path = "spec.servers"[index: index]
            self.server(server, path: path, into: &out)
            if let port = server.port {
                let name = port.name ?? ""
                if !portNames.insert(name).inserted {
                    out.error(path / "port" / "name", "port names in servers must be unique: duplicate name \(name)")
                }
                let proto = (port.protocol ?? "").uppercased()
                if !httpProtocols.contains(proto), server.tls?.httpsRedirect == true {
                    out.warning(path / "tls" / "httpsRedirect", "tls.httpsRedirect should only be used with http servers")
                }
            }
        }
        for (key, value) in (gateway.spec.selector ?? [:]).sorted(by: { $0.key < $1.key }) {
            out.error("spec.selector"[key: key], ifPresent: Names.labelKeyProblem(key))
            out.error("spec.selector"[key: key], ifPresent: Names.labelValueProblem(value))
        }
    }

    static func server(_ server: Server, path: String, into out: inout FindingCollector) {
        let hosts = server.hosts ?? []
        if hosts.isEmpty { out.error(path / "hosts", "server config must contain at least one host") }
        for (index, host) in hosts.enumerated() {
            hostProblems(host).forEach { out.error((path / "hosts")[index: index], $0) }
        }
        let bind = server.bind ?? ""
        var portValid = true
        if let port = server.port {
            let proto = port.protocol ?? ""
            if !protocols.contains(proto.uppercased()) {
                out.error(path / "port" / "protocol", "invalid protocol \"\(proto)\", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP")
                portValid = false
            }
            let number = port.number ?? 0
            if number > 0 || !bind.hasPrefix(unixPrefix) {
                if !(1...65535).contains(number) {
                    out.error(path / "port" / "number", "port number \(number) must be in the range 1..65535")
                    portValid = false
                }
            }
            if let target = port.targetPort, target > 0 {
                out.error(path / "port" / "targetPort", "targetPort has no impact on Gateways")
                portValid = false
            }
            if (port.name ?? "").isEmpty {
                out.error(path / "port" / "name", "port name must be set")
                portValid = false
            }
        } else {
            out.error(path / "port", "port is required")
            portValid = false
        }
        if bind.hasPrefix(unixPrefix) {
            let socket = String(bind.dropFirst(unixPrefix.count))
            if socket.isEmpty {
                out.error(path / "bind", "unix address must not be empty")
            } else if !socket.hasPrefix("@") && (!socket.hasPrefix("/") || socket.hasSuffix("/")) {
                out.error(path / "bind", "\(socket) is not an absolute path to a file")
            }
            if let number = server.port?.number, number != 0 {
                out.error(path / "port" / "number", "port number must be 0 for unix domain socket")
            }
        } else if !bind.isEmpty, !Names.isIPAddress(bind) {
            out.error(path / "bind", "\(bind) is not a valid IP")
        }
        tls(server.tls, path: path / "tls", into: &out)
        if portValid, let port = server.port {
            let proto = (port.protocol ?? "").uppercased()
            if tlsProtocols.contains(proto), server.tls == nil {
                out.error(path / "tls", "server must have TLS settings for HTTPS/TLS protocols")
            } else if !tlsProtocols.contains(proto), let tls = server.tls {
                if httpProtocols.contains(proto) {
                    let passthrough = tls.mode == nil || tls.mode == .passthrough
                    if !passthrough || !(tls.caCertificates ?? "").isEmpty || !(tls.privateKey ?? "").isEmpty || !(tls.serverCertificate ?? "").isEmpty {
                        out.error(path / "tls", "server cannot have TLS settings for plain text HTTP ports")
                    }
                } else {
                    out.error(path / "tls", "server cannot have TLS settings for non HTTPS/TLS ports")
                }
            }
        }
    }

    /// A Gateway host: `namespace/dnsName` (namespace `.`, `*` or a DNS label) or a bare name.
    static func hostProblems(_ host: String) -> [String] {
        var problems: [String] = []
        let parts = host.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let dnsName: String
        if parts.count == 2 {
            if parts[0].isEmpty || parts[1].isEmpty { problems.append("config namespace and dnsName in host entry cannot be empty") }
            if parts[0] != "*" && parts[0] != "." && !Names.isDNS1123Label(parts[0]) {
                problems.append("invalid namespace value \"\(parts[0])\" in gateway")
            }
            dnsName = parts[1]
        } else {
            dnsName = host
        }
        if dnsName != "*" && !dnsName.contains("." as Character) { problems.append("short names (non FQDN) are not allowed") }
        if let problem = Names.wildcardDomainProblem(dnsName), !Names.isIPAddress(dnsName) { problems.append(problem) }
        if dnsName.contains("*" as Character) && dnsName.count != 1 && !dnsName.hasPrefix("*.") {
            problems.append("partial wildcard \"\(dnsName)\" not allowed")
        }
        return problems
    }

    static func tls(_ tls: ServerTLSSettings?, path: String, into out: inout FindingCollector) {
        guard let tls else { return }
        let mode = tls.mode ?? .passthrough
        let cert = tls.serverCertificate ?? "", key = tls.privateKey ?? "", ca = tls.caCertificates ?? ""
        let credential = tls.credentialName ?? "", crl = tls.caCrl ?? ""
        let credentials = tls.credentialNames ?? []
        if let min = tls.minProtocolVersion, (min == .v1_0 || min == .v1_1), (tls.cipherSuites ?? []).isEmpty {
            out.warning(path / "minProtocolVersion", "TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.")
        }
        if let min = tls.minProtocolVersion, let max = tls.maxProtocolVersion, min != .auto, max != .auto, min > max {
            out.error(path / "minProtocolVersion", "minProtocolVersion \(min.rawValue) must not be greater than maxProtocolVersion \(max.rawValue)")
        }
        var seen = Set<String>()
        for (index, suite) in (tls.cipherSuites ?? []).enumerated() {
            if !cipherSuites.contains(suite) {
                out.warning((path / "cipherSuites")[index: index], "ignoring invalid cipher suite: \(suite)")
            } else if !seen.insert(suite).inserted {
                out.warning((path / "cipherSuites")[index: index], "ignoring duplicate cipher suite: \(suite)")
            }
        }
        // Envoy's CertificateValidationContext: a SHA-256 as 64 hex digits (colons between bytes
        // allowed), an SPKI pin as the base64 of a SHA-256 (44 characters).
        for (index, hash) in (tls.verifyCertificateHash ?? []).enumerated() {
            let digits = hash.filter { $0 != ":" }
            if digits.count != 64 || !digits.allSatisfy(\.isHexDigit) {
                out.error((path / "verifyCertificateHash")[index: index], "\"\(hash)\" is not a SHA-256 fingerprint (64 hex digits, colons between bytes allowed)")
            }
        }
        for (index, pin) in (tls.verifyCertificateSpki ?? []).enumerated() where pin.utf8.count != 44 || !pin.hasSuffix("=") || !VirtualServiceRules.isBase64(pin) {
            out.error((path / "verifyCertificateSpki")[index: index], "\"\(pin)\" is not a base64-encoded SHA-256 SPKI pin (44 characters)")
        }
        if !credential.isEmpty && !credentials.isEmpty {
            out.error(path, "only one of credentialName or credentialNames may be set")
        }
        if credentials.count > 2 {
            out.error(path / "credentialNames", "at most two credentialNames (an RSA and an ECDSA certificate) may be set")
        }
        if let certificates = tls.tlsCertificates, !certificates.isEmpty {
            if !cert.isEmpty || !key.isEmpty || !credential.isEmpty || !credentials.isEmpty {
                out.error(path / "tlsCertificates", "only one of serverCertificate/privateKey, credentialName(s) or tlsCertificates may be set")
            }
            for (index, item) in certificates.enumerated() {
                if (item.serverCertificate ?? "").isEmpty { out.error((path / "tlsCertificates")[index: index] / "serverCertificate", "server certificate is required") }
                if (item.privateKey ?? "").isEmpty { out.error((path / "tlsCertificates")[index: index] / "privateKey", "private key is required") }
            }
        }
        if mode == .istioMutual {
            if !cert.isEmpty { out.error(path / "serverCertificate", "ISTIO_MUTUAL TLS cannot have associated server certificate") }
            if !key.isEmpty { out.error(path / "privateKey", "ISTIO_MUTUAL TLS cannot have associated private key") }
            if !ca.isEmpty { out.error(path / "caCertificates", "ISTIO_MUTUAL TLS cannot have associated CA bundle") }
            if !credential.isEmpty { out.error(path / "credentialName", "ISTIO_MUTUAL TLS cannot have associated credentialName") }
            return
        }
        if mode == .passthrough || mode == .autoPassthrough {
            if !crl.isEmpty || !cert.isEmpty || !key.isEmpty || !ca.isEmpty || !credential.isEmpty {
                out.warning(path, "\(mode.rawValue) mode does not use certificates, they will be ignored")
            }
        }
        let fromCredential = !credential.isEmpty || !credentials.isEmpty
        if (mode == .simple || mode == .mutual || mode == .optionalMutual) && fromCredential {
            if !cert.isEmpty || !key.isEmpty {
                out.error(path, "credentialName and serverCertificate/privateKey are mutually exclusive")
            }
            if !crl.isEmpty { out.error(path / "caCrl", "CRL is not supported with credentialName. CRL has to be specified in the credential") }
            return
        }
        let fromList = !(tls.tlsCertificates ?? []).isEmpty
        if mode == .simple {
            if !fromList {
                if cert.isEmpty { out.error(path / "serverCertificate", "SIMPLE TLS requires a server certificate") }
                if key.isEmpty { out.error(path / "privateKey", "SIMPLE TLS requires a private key") }
            }
        } else if mode == .mutual || mode == .optionalMutual {
            if !fromList {
                if cert.isEmpty { out.error(path / "serverCertificate", "MUTUAL TLS requires a server certificate") }
                if key.isEmpty { out.error(path / "privateKey", "MUTUAL TLS requires a private key") }
            }
            if ca.isEmpty { out.error(path / "caCertificates", "MUTUAL TLS requires a client CA bundle") }
        }
        if !crl.isEmpty, mode == .simple {
            out.error(path / "caCrl", "CRL is not supported with SIMPLE TLS")
        }
    }
}
