/// Istio's admission rules for DestinationRule.
enum DestinationRuleRules {
    static func validate(_ rule: DestinationRule, into out: inout FindingCollector) {
        out.metadata(rule.metadata)
        let spec = rule.spec
        out.error("spec.host", ifPresent: Names.wildcardDomainProblem(spec.host ?? ""))
        trafficPolicy(spec.trafficPolicy, path: "spec.trafficPolicy", into: &out)
        var names = Set<String>()
        for (index, subset) in (spec.subsets ?? []).enumerated() {
            let path = "spec.subsets"[index: index]
            let name = subset.name ?? ""
            if !names.insert(name).inserted { out.error(path / "name", "duplicate subset names: \(name)") }
            if name.isEmpty {
                out.error(path / "name", "subset name cannot be empty")
            } else if !Names.isDNS1123Label(name, allowUpper: true) {
                out.error(path / "name", "subset name is invalid: \(name)")
            }
            out.labels(path / "labels", subset.labels)
            trafficPolicy(subset.trafficPolicy, path: path / "trafficPolicy", into: &out)
        }
        let namespace = rule.metadata.namespace ?? MeshSnapshot.defaultNamespace
        out.exportTo("spec.exportTo", spec.exportTo, namespace: namespace, workloadSelector: spec.workloadSelector != nil)
        if let selector = spec.workloadSelector {
            let labels = selector.matchLabels ?? [:]
            for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
                let path = "spec.workloadSelector.matchLabels"[key: key]
                if key.isEmpty { out.error(path, "empty key is not supported in selector: \"\(key)=\(value)\"") }
                if key.contains("*" as Character) || value.contains("*" as Character) { out.error(path, "wildcard is not supported in selector: \"\(key)=\(value)\"") }
            }
            if labels.isEmpty { out.warning("spec.workloadSelector", "workload selector specified without labels") }
        }
    }

    static func trafficPolicy(_ policy: TrafficPolicy?, path: String, into out: inout FindingCollector) {
        guard let policy else { return }
        if policy.outlierDetection == nil && policy.connectionPool == nil && policy.loadBalancer == nil && policy.tls == nil
            && policy.portLevelSettings == nil && policy.tunnel == nil && policy.proxyProtocol == nil && policy.retryBudget == nil {
            out.error(path, "traffic policy must have at least one field")
            return
        }
        if policy.tunnel != nil && policy.proxyProtocol != nil {
            out.error(path, "tunnel and proxyProtocol must not be set together")
            return
        }
        outlierDetection(policy.outlierDetection, path: path / "outlierDetection", into: &out)
        connectionPool(policy.connectionPool, path: path / "connectionPool", into: &out)
        loadBalancer(policy.loadBalancer, outlier: policy.outlierDetection, path: path / "loadBalancer", into: &out)
        clientTLS(policy.tls, path: path / "tls", into: &out)
        for (index, portPolicy) in (policy.portLevelSettings ?? []).enumerated() {
            let portPath = (path / "portLevelSettings")[index: index]
            if portPolicy.port == nil {
                out.error(portPath / "port", "portTrafficPolicy must have valid port")
            } else {
                let number = portPolicy.port?.number ?? 0
                if !(1...65535).contains(number) { out.error(portPath / "port" / "number", "port number \(number) must be in the range 1..65535") }
            }
            if portPolicy.outlierDetection == nil && portPolicy.connectionPool == nil && portPolicy.loadBalancer == nil && portPolicy.tls == nil {
                out.error(portPath, "port traffic policy must have at least one field")
            } else {
                outlierDetection(portPolicy.outlierDetection, path: portPath / "outlierDetection", into: &out)
                connectionPool(portPolicy.connectionPool, path: portPath / "connectionPool", into: &out)
                loadBalancer(portPolicy.loadBalancer, outlier: portPolicy.outlierDetection, path: portPath / "loadBalancer", into: &out)
                clientTLS(portPolicy.tls, path: portPath / "tls", into: &out)
            }
        }
        if let percent = policy.retryBudget?.percent, percent < 0 || percent > 100 {
            out.error(path / "retryBudget" / "percent", "retry budget percent \(formatNumber(percent)) is not in range [0, 100]")
        }
        if let tunnel = policy.tunnel {
            let tunnelPath = path / "tunnel"
            if let proto = tunnel.protocol, !proto.isEmpty, proto != "CONNECT", proto != "POST" {
                out.error(tunnelPath / "protocol", "tunnel protocol must be \"CONNECT\" or \"POST\"")
            }
            let target = tunnel.targetHost ?? ""
            if let problem = Names.fqdnProblem(target), !Names.isIPAddress(target) {
                out.error(tunnelPath / "targetHost", "tunnel target host must be valid FQDN or IP address: \(problem)")
            }
            let port = tunnel.targetPort ?? 0
            if !(1...65535).contains(port) {
                out.error(tunnelPath / "targetPort", "tunnel target port is invalid: port number \(port) must be in the range 1..65535")
            }
        }
    }

    static func outlierDetection(_ outlier: OutlierDetection?, path: String, into out: inout FindingCollector) {
        guard let outlier else { return }
        out.duration(path / "baseEjectionTime", outlier.baseEjectionTime)
        if let errors = outlier.consecutiveErrors, errors != 0 {
            out.warning(path / "consecutiveErrors", "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead")
        }
        if outlier.splitExternalLocalOriginErrors != true, (outlier.consecutiveLocalOriginFailures ?? 0) > 0 {
            out.error(path / "consecutiveLocalOriginFailures", "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false")
        }
        out.duration(path / "interval", outlier.interval)
        out.percent(path / "maxEjectionPercent", outlier.maxEjectionPercent)
        out.percent(path / "minHealthPercent", outlier.minHealthPercent)
    }

    static func connectionPool(_ pool: ConnectionPoolSettings?, path: String, into out: inout FindingCollector) {
        guard let pool else { return }
        if pool.http == nil && pool.tcp == nil {
            out.error(path, "connection pool must have at least one field")
            return
        }
        if let http = pool.http {
            let httpPath = path / "http"
            let counts: [(String, Int32?, String)] = [
                ("http1MaxPendingRequests", http.http1MaxPendingRequests, "http1 max pending requests"),
                ("http2MaxRequests", http.http2MaxRequests, "http2 max requests"),
                ("maxRequestsPerConnection", http.maxRequestsPerConnection, "max requests per connection"),
                ("maxRetries", http.maxRetries, "max retries"),
                ("maxConcurrentStreams", http.maxConcurrentStreams, "max concurrent streams"),
            ]
            for (field, value, label) in counts where (value ?? 0) < 0 {
                out.error(httpPath / field, "\(label) must be non-negative")
            }
            out.duration(httpPath / "idleTimeout", http.idleTimeout)
            if http.h2UpgradePolicy == .upgrade && http.useClientProtocol == true {
                out.error(httpPath / "useClientProtocol", "use client protocol must not be true when H2UpgradePolicy is UPGRADE")
            }
        }
        if let tcp = pool.tcp {
            let tcpPath = path / "tcp"
            if (tcp.maxConnections ?? 0) < 0 { out.error(tcpPath / "maxConnections", "max connections must be non-negative") }
            out.duration(tcpPath / "connectTimeout", tcp.connectTimeout)
            out.duration(tcpPath / "maxConnectionDuration", tcp.maxConnectionDuration)
            // Istio documents 0s as "no idle timeout" for TCP (istio/istio#55409).
            out.duration(tcpPath / "idleTimeout", tcp.idleTimeout, allowZero: true)
            if let keepalive = tcp.tcpKeepalive {
                out.duration(tcpPath / "tcpKeepalive" / "time", keepalive.time)
                out.duration(tcpPath / "tcpKeepalive" / "interval", keepalive.interval)
            }
        }
    }

    /// Envoy's primality test for Maglev table sizes.
    static func isPrime(_ x: UInt64) -> Bool {
        if x != 0 && x < 4 { return true }
        if x & 1 == 0 { return false }
        var factor: UInt64 = 3
        while factor <= x / factor {
            if x % factor == 0 { return false }
            factor += 2
        }
        return true
    }

    static func loadBalancer(_ settings: LoadBalancerSettings?, outlier: OutlierDetection?, path: String, into out: inout FindingCollector) {
        guard let settings else { return }
        if settings.simple != nil && settings.consistentHash != nil {
            out.error(path, "only one of simple or consistentHash may be set")
        }
        if let hash = settings.consistentHash {
            let hashPath = path / "consistentHash"
            let keys = [hash.httpHeaderName != nil, hash.httpCookie != nil, hash.useSourceIp != nil, hash.httpQueryParameterName != nil].filter { $0 }.count
            if keys != 1 {
                out.error(hashPath, "consistent hash must set exactly one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName")
            }
            if let cookie = hash.httpCookie, (cookie.name ?? "").isEmpty {
                out.error(hashPath / "httpCookie" / "name", "name required for HttpCookie")
            }
            if let header = hash.httpHeaderName { out.headerName(hashPath / "httpHeaderName", header) }
            if let parameter = hash.httpQueryParameterName, parameter.isEmpty {
                out.error(hashPath / "httpQueryParameterName", "query parameter name cannot be empty")
            }
            if hash.ringHash != nil && hash.maglev != nil {
                out.error(hashPath, "only one of ringHash or maglev may be set")
            }
            if let size = hash.minimumRingSize, size != 0 {
                out.warning(hashPath / "minimumRingSize", "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead")
                if hash.ringHash != nil || hash.maglev != nil {
                    out.error(hashPath / "minimumRingSize", "only one of MinimumRingSize or Maglev/Ringhash can be specified")
                }
                if size > 8_388_608 {
                    out.error(hashPath / "minimumRingSize", "minimumRingSize must be at most 8388608 (Envoy's limit)")
                }
            }
            if let ring = hash.ringHash?.minimumRingSize, ring > 8_388_608 {
                out.error(hashPath / "ringHash" / "minimumRingSize", "minimumRingSize must be at most 8388608 (Envoy's limit)")
            }
            if let maglev = hash.maglev {
                let size = maglev.tableSize ?? 0
                let sizePath = hashPath / "maglev" / "tableSize"
                if size == 0 { out.error(sizePath, "tableSize must be set for maglev") }
                if size >= 5_000_011 { out.error(sizePath, "tableSize must be less than 5000011 for maglev") }
                if size < 5_000_011, !isPrime(size) { out.error(sizePath, "tableSize must be a prime number for maglev") }
            }
        }
        localityLoadBalancer(settings.localityLbSetting, outlier: outlier, path: path / "localityLbSetting", into: &out)
        out.duration(path / "warmupDurationSecs", settings.warmupDurationSecs)
        if settings.warmupDurationSecs != nil {
            out.warning(path / "warmupDurationSecs", "using deprecated setting \"warmupDurationSecs\", use \"warmup\" instead")
        }
        if let warmup = settings.warmup {
            out.duration(path / "warmup" / "duration", warmup.duration)
            if let minimum = warmup.minimumPercent, minimum < 0 || minimum > 100 {
                out.error(path / "warmup" / "minimumPercent", "minimumPercent must be in range [0, 100]")
            }
            if let aggression = warmup.aggression, aggression < 1 {
                out.error(path / "warmup" / "aggression", "aggression must be at least 1")
            }
        }
    }

    static func localityLoadBalancer(_ lb: LocalityLoadBalancerSetting?, outlier: OutlierDetection?, path: String, into out: inout FindingCollector) {
        guard let lb else { return }
        let distribute = lb.distribute ?? [], failover = lb.failover ?? [], priority = lb.failoverPriority ?? []
        if !distribute.isEmpty && !failover.isEmpty {
            out.error(path, "can not simultaneously specify 'distribute' and 'failover'")
            return
        }
        if !failover.isEmpty {
            for label in priority where [Self.regionLabel, Self.zoneLabel, Self.subzoneLabel].contains(label) {
                out.error(path / "failoverPriority", "can not simultaneously set 'failover' and topology label '\(label)' in 'failover_priority'")
                return
            }
        }
        for (index, entry) in distribute.enumerated() {
            let entryPath = (path / "distribute")[index: index]
            var total: UInt64 = 0
            for (locality, weight) in (entry.to ?? [:]).sorted(by: { $0.key < $1.key }) {
                if weight == 0 || weight > 100 {
                    out.error((entryPath / "to")[key: locality], "locality weight must be in range [1, 100]")
                    return
                }
                total += UInt64(weight)
            }
            if total != 100 {
                out.error(entryPath / "to", "total locality weight \(total) != 100")
                return
            }
            if let problem = localitiesProblem((entry.to ?? [:]).keys.sorted()) { out.error(entryPath / "to", problem) }
        }
        if let problem = localitiesProblem(distribute.map { $0.from ?? "" }) { out.error(path / "distribute", problem) }
        if (!failover.isEmpty || !priority.isEmpty) && outlier == nil {
            out.warning(path, "outlier detection policy must be provided for failover")
        }
        for (index, entry) in failover.enumerated() {
            let entryPath = (path / "failover")[index: index]
            let from = entry.from ?? "", to = entry.to ?? ""
            if from == to { out.error(entryPath, "locality lb failover settings must specify different regions") }
            if from.contains("/" as Character) || to.contains("/" as Character) { out.error(entryPath, "locality lb failover only specify region") }
            if from.contains("*" as Character) || to.contains("*" as Character) { out.error(entryPath, "locality lb failover region should not contain '*' wildcard") }
        }
    }

    static let regionLabel = "topology.kubernetes.io/region"
    static let zoneLabel = "topology.kubernetes.io/zone"
    static let subzoneLabel = "topology.istio.io/subzone"

    /// Localities `region[/zone[/subzone]]`, a trailing `*` at most, without overlap.
    static func localitiesProblem(_ localities: [String]) -> String? {
        var seen: [[String]] = []
        for locality in localities {
            let stars = locality.filter { $0 == "*" }.count
            if stars > 1 || (stars == 1 && !locality.hasSuffix("*")) {
                return "locality \(locality) wildcard '*' number can not exceed 1 and must be in the end"
            }
            let parts = locality.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            if parts.contains(where: \.isEmpty) { return "locality \(locality) must not contain empty region/zone/subzone info" }
            for earlier in seen {
                let common = min(earlier.count, parts.count)
                var overlap = true
                for level in 0..<common where earlier[level] != parts[level] && earlier[level] != "*" && parts[level] != "*" {
                    overlap = false
                }
                if overlap { return "locality \(locality) overlap with previous specified ones" }
            }
            seen.append(parts)
        }
        return nil
    }

    static func clientTLS(_ tls: ClientTLSSettings?, path: String, into out: inout FindingCollector) {
        guard let tls else { return }
        let mode = tls.mode ?? .disable
        let ca = tls.caCertificates ?? "", credential = tls.credentialName ?? "", cert = tls.clientCertificate ?? ""
        let key = tls.privateKey ?? "", crl = tls.caCrl ?? ""
        // Envoy's UpstreamTlsContext.sni: at most 255 bytes (a DNS name's limit).
        if let sni = tls.sni, sni.utf8.count > 255 {
            out.error(path / "sni", "SNI \"\(sni.prefix(40))…\" is \(sni.utf8.count) bytes long; at most 255 are allowed")
        }
        for (index, san) in (tls.subjectAltNames ?? []).enumerated() where san.isEmpty {
            out.error((path / "subjectAltNames")[index: index], "subject alt name cannot be empty")
        }
        if tls.insecureSkipVerify == true {
            if mode == .simple, !ca.isEmpty || !credential.isEmpty || tls.subjectAltNames != nil {
                out.error(path, "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true")
            }
            if mode == .mutual, !ca.isEmpty || tls.subjectAltNames != nil {
                out.error(path, "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true")
            }
        }
        if mode == .istioMutual {
            let set = [("clientCertificate", cert), ("privateKey", key), ("caCertificates", ca), ("credentialName", credential), ("caCrl", crl)].filter { !$0.1.isEmpty }
            for (field, _) in set {
                out.error(path / field, "ISTIO_MUTUAL TLS cannot have associated \(field); Istio provides the workload certificates")
            }
            return
        }
        if (mode == .simple || mode == .mutual) && !credential.isEmpty {
            if !cert.isEmpty || !ca.isEmpty || !key.isEmpty || !crl.isEmpty {
                out.error(path, "cannot specify client certificates or CA certificate or CA CRL If credentialName is set")
            }
            return
        }
        if mode == .mutual {
            if cert.isEmpty { out.error(path / "clientCertificate", "client certificate required for mutual tls") }
            if key.isEmpty { out.error(path / "privateKey", "private key required for mutual tls") }
        }
    }
}
