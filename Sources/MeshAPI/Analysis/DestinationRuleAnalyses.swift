/// IST0174 for DestinationRules whose host names no Service; IST0173 for subsets that
/// select no pod (requests routed there fail with 503 UH); COX0001 when several
/// DestinationRules in one namespace configure the same host.
struct DestinationRuleHostAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        let snapshot = context.snapshot
        let serviceHosts = snapshot.services.map { service -> String in
            let key = MeshSnapshot.key(service.metadata)
            return MeshSnapshot.serviceHost(name: key.name, namespace: key.namespace, domainSuffix: snapshot.domainSuffix)
        }
        var rulesByScope: [String: [DestinationRule]] = [:]
        var scopes: [String] = []
        for rule in snapshot.destinationRules {
            guard let host = rule.spec.host, !host.isEmpty else { continue }
            let namespace = rule.namespacedName.namespace
            let fqdn = snapshot.resolveHost(host, namespace: namespace)
            let scope = "\(namespace) \(fqdn)"
            if rule.spec.workloadSelector == nil {
                if rulesByScope[scope] == nil { scopes.append(scope) }
                rulesByScope[scope, default: []].append(rule)
            }
            if host.contains("*" as Character) {
                if !serviceHosts.contains(where: { HostName.matches(pattern: fqdn, host: $0) }) {
                    findings.append(rule.finding(.unknownDestinationRuleHost, "spec.host", "The host \(host) defined in the DestinationRule does not match any services in the mesh."))
                }
                continue
            }
            guard let service = snapshot.service(host: host, relativeTo: namespace) else {
                findings.append(rule.finding(.unknownDestinationRuleHost, "spec.host", "The host \(host) defined in the DestinationRule does not match any services in the mesh."))
                continue
            }
            // A Service without a selector has hand-made endpoints: pods say nothing about it.
            guard let selector = service.spec?.selector, !selector.isEmpty else { continue }
            let serviceNamespace = MeshSnapshot.key(service.metadata).namespace
            for (index, subset) in (rule.spec.subsets ?? []).enumerated() {
                let subsetSelector = selector.merging(subset.labels ?? [:]) { _, subsetValue in subsetValue }
                if !context.podsMatching(subsetSelector, namespace: serviceNamespace) {
                    findings.append(rule.finding(
                        .destinationRuleSubsetNotSelectPods, "spec.subsets"[index: index],
                        "The Subset \(subset.name ?? "") defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream)."))
                }
            }
        }
        for scope in scopes {
            guard let rules = rulesByScope[scope], rules.count > 1 else { continue }
            let names = rules.map(\.namespacedName.description).joined(separator: ", ")
            let host = String(scope.split(separator: " ", maxSplits: 1)[1])
            for rule in rules {
                findings.append(rule.finding(
                    .multipleDestinationRulesForHost, "spec.host",
                    "DestinationRules \(names) all configure host \(host); they are merged (subsets combined, the oldest one's traffic policy wins), which is easy to get wrong: keep one DestinationRule per host"))
            }
        }
    }
}

/// IST0128/IST0129: TLS origination (SIMPLE or MUTUAL) that does not verify the server.
struct DestinationRuleCAAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for rule in context.snapshot.destinationRules {
            let name = rule.namespacedName
            let host = rule.spec.host ?? ""
            if let tls = rule.spec.trafficPolicy?.tls, let mode = Self.unverifiedMode(tls) {
                findings.append(rule.finding(
                    .noServerCertificateVerificationDestinationLevel, "spec.trafficPolicy.tls",
                    "DestinationRule \(name.name) in namespace \(name.namespace) has TLS mode set to \(mode) but no caCertificates are set to validate server identity for host: \(host)"))
            }
            for (index, portPolicy) in (rule.spec.trafficPolicy?.portLevelSettings ?? []).enumerated() {
                guard let tls = portPolicy.tls, let mode = Self.unverifiedMode(tls) else { continue }
                let port = portPolicy.port?.number.map(String.init) ?? ""
                findings.append(rule.finding(
                    .noServerCertificateVerificationPortLevel, ("spec.trafficPolicy.portLevelSettings"[index: index]) / "tls",
                    "DestinationRule \(name.name) in namespace \(name.namespace) has TLS mode set to \(mode) but no caCertificates are set to validate server identity for host: \(host) at port \(port)"))
            }
        }
    }

    /// The mode's name when it originates TLS without any way to verify the server.
    static func unverifiedMode(_ tls: ClientTLSSettings) -> String? {
        guard let mode = tls.mode, mode == .simple || mode == .mutual else { return nil }
        let hasCA = !(tls.caCertificates ?? "").isEmpty || !(tls.credentialName ?? "").isEmpty
        if hasCA || tls.insecureSkipVerify == true { return nil }
        return mode.rawValue
    }
}
