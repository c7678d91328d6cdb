import Foundation

extension Gateway {
    var selector: [String: String] { spec.selector ?? [:] }

    /// The namespaces of the pods this Gateway selects: where its workload runs and so
    /// where its `credentialName` Secrets must live.
    func workloadNamespaces(in context: AnalysisContext) -> [String] {
        context.podLabelsByNamespace.keys.sorted().filter { namespace in
            context.podsMatching(selector, namespace: namespace)
        }
    }
}

/// IST0101 for a selector no pod matches; IST0162 for server ports that no Service
/// in front of the gateway pods exposes.
struct GatewayWorkloadAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for gateway in context.snapshot.gateways where !gateway.selector.isEmpty {
            let namespaces = gateway.workloadNamespaces(in: context)
            let selectorText = Selector.describe(gateway.selector)
            if namespaces.isEmpty {
                findings.append(gateway.finding(.referencedResourceNotFound, "spec.selector", "Referenced selector not found: \(quoted(selectorText))"))
                continue
            }
            var exposed: Set<Int> = []
            for service in context.snapshot.services {
                let namespace = MeshSnapshot.key(service.metadata).namespace
                guard namespaces.contains(namespace), let selector = service.spec?.selector, !selector.isEmpty,
                      (context.podLabelsByNamespace[namespace] ?? []).contains(where: { Selector.matches(gateway.selector, labels: $0) && Selector.matches(selector, labels: $0) })
                else { continue }
                for port in service.spec?.ports ?? [] {
                    exposed.insert(Int(port.port))
                    if case .int(let target)? = port.targetPort { exposed.insert(Int(target)) }
                }
            }
            for (index, server) in (gateway.spec.servers ?? []).enumerated() {
                guard let number = server.port?.number, !exposed.contains(Int(number)) else { continue }
                findings.append(gateway.finding(
                    .gatewayPortNotDefinedOnService, ("spec.servers"[index: index]) / "port",
                    "The gateway is listening on a target port (port \(number)) that is not defined in the Service associated with its workload instances (Pod selector \(selectorText)). If you need to access the gateway port through the gateway Service, it will not be available."))
            }
        }
    }
}

/// IST0145: two Gateways on the same workloads and port claiming the same host, and
/// IST0138: two Gateways on the same workloads serving the same certificate.
struct GatewayConflictAnalysis: MeshAnalysis {
    private struct Claim {
        var gateway: Gateway
        var serverIndex: Int
        var hosts: [String]
    }

    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        var byListener: [String: [Claim]] = [:]
        var listenerOrder: [String] = []
        var byCertificate: [String: [Gateway]] = [:]
        var certificateOrder: [String] = []
        for gateway in context.snapshot.gateways {
            let selector = Selector.describe(gateway.selector)
            for (index, server) in (gateway.spec.servers ?? []).enumerated() {
                if let number = server.port?.number {
                    let key = "\(selector) \(number)"
                    if byListener[key] == nil { listenerOrder.append(key) }
                    byListener[key, default: []].append(Claim(gateway: gateway, serverIndex: index, hosts: (server.hosts ?? []).map { HostName.splitServerHost($0).host }))
                }
                for certificate in Self.certificates(of: server, in: gateway) {
                    let key = "\(selector) \(certificate)"
                    if byCertificate[key] == nil { certificateOrder.append(key) }
                    if !(byCertificate[key] ?? []).contains(where: { $0.namespacedName == gateway.namespacedName }) {
                        byCertificate[key, default: []].append(gateway)
                    }
                }
            }
        }
        for key in listenerOrder {
            let claims = byListener[key] ?? []
            guard claims.count > 1 else { continue }
            let selectorPart = String(key[..<key.lastIndex(of: " ")!])
            let port = String(key[key.index(after: key.lastIndex(of: " ")!)...])
            for claim in claims {
                let rivals = claims.filter { other in
                    other.gateway.namespacedName != claim.gateway.namespacedName
                        && other.hosts.contains { theirs in claim.hosts.contains { HostName.overlap($0, theirs) } }
                }
                guard !rivals.isEmpty else { continue }
                let names = Set(rivals.map(\.gateway.namespacedName.description)).sorted().joined(separator: ",")
                let hosts = claim.hosts.joined(separator: ",")
                findings.append(claim.gateway.finding(
                    .conflictingGateways, "spec.servers"[index: claim.serverIndex],
                    "Conflict with gateways \(names) (workload selector \(selectorPart), port \(port), hosts \(hosts))."))
            }
        }
        for key in certificateOrder {
            let gateways = byCertificate[key] ?? []
            guard gateways.count > 1 else { continue }
            let names = "[" + gateways.map(\.namespacedName.description).sorted().joined(separator: " ") + "]"
            for gateway in gateways {
                findings.append(gateway.finding(
                    .gatewayDuplicateCertificate, "spec.servers",
                    "Duplicate certificate in multiple gateways \(names) may cause 404s if clients re-use HTTP2 connections."))
            }
        }
    }

    /// What identifies a server's certificate: its Secret, or its file paths.
    private static func certificates(of server: Server, in gateway: Gateway) -> [String] {
        guard let tls = server.tls else { return [] }
        var result: [String] = []
        for name in [tls.credentialName].compactMap({ $0 }) + (tls.credentialNames ?? []) where !name.isEmpty {
            result.append("secret:\(gateway.namespacedName.namespace)/\(name)")
        }
        if let certificate = tls.serverCertificate, !certificate.isEmpty {
            result.append("file:\(certificate)|\(tls.privateKey ?? "")")
        }
        return result
    }
}

/// IST0101 for a `credentialName` with no Secret where the gateway runs; IST0161 for
/// a Secret that does not hold a usable certificate and key.
struct GatewayCredentialAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for gateway in context.snapshot.gateways {
            var namespaces = gateway.selector.isEmpty ? [] : gateway.workloadNamespaces(in: context)
            if namespaces.isEmpty { namespaces = [gateway.namespacedName.namespace] }
            for (index, server) in (gateway.spec.servers ?? []).enumerated() {
                guard let tls = server.tls else { continue }
                let names = [tls.credentialName].compactMap { $0 } + (tls.credentialNames ?? [])
                for name in names where !name.isEmpty {
                    let path = ("spec.servers"[index: index]) / "tls" / "credentialName"
                    let secrets = namespaces.compactMap { context.snapshot.secret(namespace: $0, name: name) }
                    guard let secret = secrets.first else {
                        findings.append(gateway.finding(.referencedResourceNotFound, path, "Referenced credentialName not found: \(quoted(name))"))
                        continue
                    }
                    let needsCA = tls.mode == .mutual
                    let caSecret = context.snapshot.secret(namespace: MeshSnapshot.key(secret.metadata).namespace, name: "\(name)-cacert")
                    let invalid = "The credential referenced by the Gateway \(gateway.namespacedName.name) in namespace \(gateway.namespacedName.namespace) is invalid, which can cause the traffic not to work as expected."
                    if !Self.holdsCertificateAndKey(secret) || (needsCA && !Self.holdsCA(secret) && !(caSecret.map(Self.holdsCA) ?? false)) {
                        findings.append(gateway.finding(.invalidGatewayCredential, path, invalid))
                    } else if let problem = TLSCredential.problems(in: secret).first {
                        // PEM that does not parse, or a key of another certificate: not served.
                        findings.append(gateway.finding(.invalidGatewayCredential, path, "\(invalid) Secret \(name) \(problem.fieldPath): \(problem.message)"))
                    }
                }
            }
        }
    }

    static func pem(_ secret: Secret, _ keys: [String]) -> String? {
        for key in keys {
            if let data = secret.value(forKey: key), let text = String(data: data, encoding: .utf8), !text.isEmpty { return text }
        }
        return nil
    }

    /// `tls.crt`/`tls.key` (or the generic `cert`/`key`) holding PEM blocks.
    static func holdsCertificateAndKey(_ secret: Secret) -> Bool {
        guard let certificate = pem(secret, [Secret.certificateKey, "cert"]), let key = pem(secret, [Secret.privateKeyKey, "key"]) else { return false }
        return certificate.contains("-----BEGIN CERTIFICATE-----") && key.contains("-----BEGIN") && key.contains("PRIVATE KEY-----")
    }

    static func holdsCA(_ secret: Secret) -> Bool {
        pem(secret, [Secret.caCertificateKey, "cacert"])?.contains("-----BEGIN CERTIFICATE-----") ?? false
    }
}
