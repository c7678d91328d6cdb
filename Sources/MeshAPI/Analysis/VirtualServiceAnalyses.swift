import Foundation

/// A destination a VirtualService sends (or mirrors) traffic to, with where it is written.
struct RoutedDestination {
    enum Role { case route, mirror }
    var destination: Destination
    var fieldPath: String
    var role: Role
}

extension VirtualService {
    /// Every destination in http, tcp and tls routes and mirrors, in document order.
    var routedDestinations: [RoutedDestination] {
        var result: [RoutedDestination] = []
        for (ruleIndex, rule) in (spec.http ?? []).enumerated() {
            let rulePath = "spec.http"[index: ruleIndex]
            for (index, route) in (rule.route ?? []).enumerated() {
                if let destination = route.destination {
                    result.append(.init(destination: destination, fieldPath: (rulePath / "route")[index: index] / "destination", role: .route))
                }
            }
            if let mirror = rule.mirror {
                result.append(.init(destination: mirror, fieldPath: rulePath / "mirror", role: .mirror))
            }
            for (index, mirror) in (rule.mirrors ?? []).enumerated() {
                if let destination = mirror.destination {
                    result.append(.init(destination: destination, fieldPath: (rulePath / "mirrors")[index: index] / "destination", role: .mirror))
                }
            }
        }
        for (field, rules) in [("tcp", spec.tcp?.map { $0.route ?? [] } ?? []), ("tls", spec.tls?.map { $0.route ?? [] } ?? [])] {
            for (ruleIndex, routes) in rules.enumerated() {
                for (index, route) in routes.enumerated() {
                    if let destination = route.destination {
                        result.append(.init(destination: destination, fieldPath: ("spec.\(field)"[index: ruleIndex] / "route")[index: index] / "destination", role: .route))
                    }
                }
            }
        }
        return result
    }

    /// Every gateway reference with its field path: `spec.gateways` and the per-match `gateways`.
    var gatewayReferences: [(reference: String, fieldPath: String)] {
        var result: [(String, String)] = []
        for (index, gateway) in (spec.gateways ?? []).enumerated() {
            result.append((gateway, "spec.gateways"[index: index]))
        }
        for (ruleIndex, rule) in (spec.http ?? []).enumerated() {
            for (matchIndex, match) in (rule.match ?? []).enumerated() {
                for (index, gateway) in (match.gateways ?? []).enumerated() {
                    result.append((gateway, (("spec.http"[index: ruleIndex] / "match")[index: matchIndex] / "gateways")[index: index]))
                }
            }
        }
        return result
    }
}

/// Per-object validation, reported with Istio's codes: errors as IST0106, rules that can
/// never match as IST0130/IST0131, other warnings as IST0133.
struct ValidationAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        let snapshot = context.snapshot
        // The Kubernetes objects too: a bad port or address there is left out of translation.
        let objects = snapshot.virtualServices.map(MeshObject.virtualService) + snapshot.destinationRules.map(MeshObject.destinationRule)
            + snapshot.gateways.map(MeshObject.gateway) + snapshot.services.map(MeshObject.service)
            + snapshot.endpointSlices.map(MeshObject.endpointSlice) + snapshot.pods.map(MeshObject.pod) + snapshot.secrets.map(MeshObject.secret)
        for object in objects {
            for finding in snapshot.validation(of: object) {
                findings.append(Self.classify(finding))
            }
        }
    }

    static func classify(_ finding: ValidationFinding) -> AnalysisFinding {
        let type: AnalysisMessageType
        let message: String
        switch finding.level {
        case .error:
            type = .schemaValidationError
            message = "Schema validation error: \(finding.message)"
        case .warning, .info:
            if finding.message.contains("is not used (duplicate/overlapping match") {
                type = .virtualServiceIneffectiveMatch
                message = finding.message
            } else if finding.message.contains(" not used (") {
                type = .virtualServiceUnreachableRule
                message = finding.message
            } else {
                type = .schemaWarning
                message = "Schema validation warning: \(finding.message)"
            }
        }
        let level: ValidationFinding.Level = type == .schemaWarning ? finding.level : type.level
        return AnalysisFinding(type, kind: finding.kind, namespace: finding.namespace, name: finding.name, fieldPath: finding.fieldPath, message: message, level: level)
    }
}

/// IST0101: gateways a VirtualService names that do not exist.
struct GatewayReferenceAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for virtualService in context.snapshot.virtualServices {
            let namespace = virtualService.namespacedName.namespace
            for (reference, fieldPath) in virtualService.gatewayReferences {
                guard let gateway = GatewayReference(reference, relativeTo: namespace) else { continue }
                if context.snapshot.gateway(namespace: gateway.namespace, name: gateway.name) == nil {
                    findings.append(virtualService.finding(.referencedResourceNotFound, fieldPath, "Referenced gateway not found: \(quoted(reference))"))
                }
            }
        }
    }
}

/// IST0101 for destination hosts (and ports) that name no Service; IST0112 when a
/// destination leaves the port out of a multi-port Service.
struct DestinationHostAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for virtualService in context.snapshot.virtualServices {
            let namespace = virtualService.namespacedName.namespace
            for routed in virtualService.routedDestinations {
                guard let host = routed.destination.host, !host.isEmpty, !host.contains("*" as Character) else { continue }
                let hostPath = routed.fieldPath / "host"
                guard let service = context.service(host: host, relativeTo: namespace) else {
                    let what = routed.role == .mirror ? "mirror host" : "host"
                    findings.append(virtualService.finding(.referencedResourceNotFound, hostPath, "Referenced \(what) not found: \(quoted(host))"))
                    continue
                }
                let ports = (service.spec?.ports ?? []).map { Int($0.port) }
                if let number = routed.destination.port?.number {
                    if !ports.contains(Int(number)) {
                        findings.append(virtualService.finding(.referencedResourceNotFound, routed.fieldPath / "port" / "number", "Referenced host:port not found: \(quoted("\(host):\(number)"))"))
                    }
                } else if ports.count > 1 {
                    let list = "[" + ports.map(String.init).joined(separator: " ") + "]"
                    findings.append(virtualService.finding(
                        .virtualServiceDestinationPortSelectorRequired, routed.fieldPath,
                        "This VirtualService routes to a service \(quoted(host)) that exposes multiple ports \(list). Specifying a port in the destination is required to disambiguate."))
                }
            }
        }
    }
}

/// IST0101 for `host+subset` pairs no DestinationRule defines: traffic to them gets 503 NR.
struct DestinationSubsetAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for virtualService in context.snapshot.virtualServices {
            let namespace = virtualService.namespacedName.namespace
            for routed in virtualService.routedDestinations {
                guard let host = routed.destination.host, !host.isEmpty, let subset = routed.destination.subset, !subset.isEmpty else { continue }
                let fqdn = context.snapshot.resolveHost(host, namespace: namespace)
                let defined = (context.destinationRulesByHost[fqdn] ?? []).contains { rule in
                    (rule.spec.subsets ?? []).contains { $0.name == subset }
                }
                if !defined {
                    let what = routed.role == .mirror ? "mirror+subset in destinationrule" : "host+subset in destinationrule"
                    findings.append(virtualService.finding(.referencedResourceNotFound, routed.fieldPath / "subset", "Referenced \(what) not found: \(quoted("\(host)+\(subset)"))"))
                }
            }
        }
    }
}

/// IST0109: several VirtualServices bound to sidecars (the mesh gateway) claim one host;
/// sidecars use only one of them.
struct MeshHostConflictAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        var claims: [String: [VirtualService]] = [:]
        var order: [String] = []
        for virtualService in context.snapshot.virtualServices where virtualService.bindsToMesh {
            let namespace = virtualService.namespacedName.namespace
            var seen: Set<String> = []
            for host in virtualService.spec.hosts ?? [] where !host.isEmpty {
                let fqdn = context.snapshot.resolveHost(host, namespace: namespace)
                guard seen.insert(fqdn).inserted else { continue }
                if claims[fqdn] == nil { order.append(fqdn) }
                claims[fqdn, default: []].append(virtualService)
            }
        }
        for host in order {
            guard let services = claims[host], services.count > 1 else { continue }
            let names = services.map(\.namespacedName.description).sorted().joined(separator: ",")
            for virtualService in services {
                findings.append(virtualService.finding(
                    .conflictingMeshGatewayVirtualServiceHosts, "spec.hosts",
                    "The VirtualServices \(names) associated with mesh gateway define the same host \(host) which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource."))
            }
        }
    }
}

/// IST0132: hosts of a VirtualService that none of the servers of a Gateway it binds to accepts.
struct GatewayHostAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for virtualService in context.snapshot.virtualServices {
            let namespace = virtualService.namespacedName.namespace
            for (index, reference) in (virtualService.spec.gateways ?? []).enumerated() {
                guard let gatewayReference = GatewayReference(reference, relativeTo: namespace),
                      let gateway = context.snapshot.gateway(namespace: gatewayReference.namespace, name: gatewayReference.name)
                else { continue }
                let gatewayNamespace = gateway.namespacedName.namespace
                let serverHosts = (gateway.spec.servers ?? []).flatMap { $0.hosts ?? [] }.map(HostName.splitServerHost)
                let missing = (virtualService.spec.hosts ?? []).filter { host in
                    !serverHosts.contains { server in
                        HostName.serverNamespace(server.namespace, admits: namespace, gatewayNamespace: gatewayNamespace)
                            && HostName.overlap(server.host, host)
                    }
                }
                if !missing.isEmpty {
                    findings.append(virtualService.finding(
                        .virtualServiceHostNotFoundInGateway, "spec.gateways"[index: index],
                        "one or more host [\(missing.joined(separator: " "))] defined in VirtualService \(virtualService.namespacedName) not found in Gateway \(gateway.namespacedName)."))
                }
            }
        }
    }
}

/// IST0122: regular expressions Envoy's RE2 engine would reject.
struct RegexAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for virtualService in context.snapshot.virtualServices {
            for (field, fieldPath, pattern) in Self.regexes(in: virtualService) {
                if let problem = RE2Syntax.problem(in: pattern) {
                    findings.append(virtualService.finding(.invalidRegexp, fieldPath, "Field \(quoted(field)) regular expression invalid: \(quoted(pattern)) (\(problem))"))
                }
            }
        }
    }

    static func regexes(in virtualService: VirtualService) -> [(field: String, fieldPath: String, pattern: String)] {
        var result: [(String, String, String)] = []
        func add(_ field: String, _ path: String, _ match: StringMatch?) {
            if let regex = match?.regex { result.append((field, path / "regex", regex)) }
        }
        func addMap(_ field: String, _ path: String, _ matches: [String: StringMatch]?) {
            for (key, match) in (matches ?? [:]).sorted(by: { $0.key < $1.key }) { add(field, path[key: key], match) }
        }
        for (ruleIndex, rule) in (virtualService.spec.http ?? []).enumerated() {
            let rulePath = "spec.http"[index: ruleIndex]
            for (matchIndex, match) in (rule.match ?? []).enumerated() {
                let path = (rulePath / "match")[index: matchIndex]
                add("uri", path / "uri", match.uri)
                add("scheme", path / "scheme", match.scheme)
                add("method", path / "method", match.method)
                add("authority", path / "authority", match.authority)
                addMap("headers", path / "headers", match.headers)
                addMap("queryParams", path / "queryParams", match.queryParams)
                addMap("withoutHeaders", path / "withoutHeaders", match.withoutHeaders)
            }
            for (index, origin) in (rule.corsPolicy?.allowOrigins ?? []).enumerated() {
                add("corsPolicy.allowOrigins", (rulePath / "corsPolicy" / "allowOrigins")[index: index], origin)
            }
            if let pattern = rule.rewrite?.uriRegexRewrite?.match {
                result.append(("rewrite.uriRegexRewrite", rulePath / "rewrite" / "uriRegexRewrite" / "match", pattern))
            }
        }
        return result
    }
}

/// COX0002: weights are relative, but a split that does not add up to 100 is usually a typo.
struct WeightAnalysis: MeshAnalysis {
    func analyze(_ context: AnalysisContext, into findings: inout [AnalysisFinding]) {
        for virtualService in context.snapshot.virtualServices {
            var splits: [(path: String, weights: [Int])] = []
            for (index, rule) in (virtualService.spec.http ?? []).enumerated() {
                splits.append(("spec.http"[index: index] / "route", (rule.route ?? []).map { Int($0.weight ?? 0) }))
            }
            for (index, rule) in (virtualService.spec.tcp ?? []).enumerated() {
                splits.append(("spec.tcp"[index: index] / "route", (rule.route ?? []).map { Int($0.weight ?? 0) }))
            }
            for (index, rule) in (virtualService.spec.tls ?? []).enumerated() {
                splits.append(("spec.tls"[index: index] / "route", (rule.route ?? []).map { Int($0.weight ?? 0) }))
            }
            for (path, weights) in splits where weights.count > 1 {
                let total = weights.reduce(0, +)
                guard total > 0, total != 100 else { continue }
                let shares = weights.map { String(format: "%.4g", Double($0) * 100 / Double(total)) }.joined(separator: "/")
                findings.append(virtualService.finding(
                    .weightsDoNotSumTo100, path,
                    "weights sum to \(total), not 100; they are relative, so traffic splits \(shares) percent"))
            }
        }
    }
}
