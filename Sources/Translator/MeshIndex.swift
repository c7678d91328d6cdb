import KubernetesAPI
import MeshAPI

/// Everything the translators read, built once per mesh snapshot (like Contour's DAG):
/// only objects that pass validation, looked up by what translation asks for. An invalid
/// object is left out here and never stops the others from translating.
public struct MeshIndex: Sendable {
    /// A Service port with its protocol as Istio selects it. Only a port Envoy accepts
    /// (1...65535, and a numeric targetPort in that range) can be built, so no translator
    /// converting it to a protobuf `UInt32` can trap.
    public struct ServicePort: Sendable, Hashable {
        public var name: String
        public private(set) var port: Int
        public private(set) var targetPort: IntOrString?
        public var protocolKind: PortProtocol

        init?(name: String, port: Int, targetPort: IntOrString?, protocolKind: PortProtocol) {
            guard KubernetesValues.isPort(port) else { return nil }
            if case .int(let number)? = targetPort, !KubernetesValues.isPort(number) { return nil }
            self.name = name
            self.port = port
            self.targetPort = targetPort
            self.protocolKind = protocolKind
        }
    }

    /// A Service as the mesh sees it.
    public struct ServiceEntry: Sendable, Hashable {
        public var name: String
        public var namespace: String
        public var fqdn: String
        public var ports: [ServicePort]
        public var selector: [String: String]?
        public var clusterIP: String?
    }

    /// One endpoint of a service port: an IP address and a port in 1...65535 (the index
    /// leaves out any other).
    public struct EndpointEntry: Sendable, Hashable {
        public var address: String
        public var port: Int
        public var labels: [String: String]
        public var region: String?
        public var zone: String?
        public var subzone: String?
        public var draining: Bool
    }

    public let snapshot: MeshSnapshot
    public let services: [String: ServiceEntry]
    /// Services in FQDN order (deterministic output).
    public let serviceOrder: [String]
    /// Valid VirtualServices bound to sidecars, oldest first.
    public let meshVirtualServices: [VirtualService]
    /// For each host FQDN, the mesh-bound VirtualServices claiming it, oldest first (which one
    /// a sidecar uses depends on what is exported to its namespace).
    public let meshVirtualServicesByHost: [String: [VirtualService]]
    /// Mesh-bound VirtualServices with wildcard hosts, oldest first, with their resolved patterns.
    let meshWildcardVirtualServices: [(pattern: String, virtualService: VirtualService)]
    /// Valid VirtualServices by the gateway (`namespace/name`) they bind to, oldest first.
    private let virtualServicesByGateway: [String: [VirtualService]]
    /// Valid Gateways, by namespace/name.
    public let gateways: [Gateway]
    /// Valid DestinationRules by host FQDN, oldest first.
    private let destinationRulesByHost: [String: [DestinationRule]]
    private let endpointsByServicePort: [HostPort: [EndpointEntry]]
    /// Names of invalid objects left out, with why (for status and `render` diagnostics).
    public let leftOut: [(kind: MeshKind, name: NamespacedName, reason: String)]
    /// Errors in Services, EndpointSlices, Pods and Secrets, each naming the part left out by its
    /// field path (a port, an endpoint address, a cluster IP, a credential): the rest of the
    /// object is still served.
    public let partsLeftOut: [ValidationFinding]

    public var domainSuffix: String { snapshot.domainSuffix }
    /// Clusters and endpoints already built from this index (or still valid from the previous one).
    public let memo: TranslationMemo
    /// Route configurations built from this index; carried to the next one only when that
    /// changes nothing but endpoints, which no route or listener reads.
    public let routeMemo: RouteMemo
    /// Whether any VirtualService matches on `sourceLabels`: only then do a sidecar's routes depend on its labels.
    public let matchesSourceLabels: Bool
    /// Sidecar and gRPC virtual hosts, carried from the previous index for the hosts a change did not touch.
    public let hostMemo: VirtualHostMemo
    /// The service ports whose endpoints differ from the index this one was built from, when only
    /// EndpointSlices, Pods, Nodes or Secrets changed (nothing clusters or routes read); else nil.
    public let endpointChanges: EndpointChanges?
    /// Whether this index was built from a previous one whose snapshot differs from this one's in
    /// EndpointSlices and Pods at most: nothing but endpoints can need pushing.
    public let changesOnlyEndpoints: Bool

    /// Indexes `snapshot`, keeping from `previous` the translation results the differences between
    /// the two cannot have changed.
    public init(_ snapshot: MeshSnapshot, reusing previous: MeshIndex) {
        let old = previous.snapshot
        let sameClusterInputs = old.domainSuffix == snapshot.domainSuffix && old.services == snapshot.services
            && old.destinationRules == snapshot.destinationRules && old.namespaces == snapshot.namespaces
        let sameEndpointInputs = sameClusterInputs && old.endpointSlices == snapshot.endpointSlices
            && old.pods == snapshot.pods && old.nodes == snapshot.nodes
        let memo = sameEndpointInputs ? previous.memo : sameClusterInputs ? TranslationMemo(clustersOf: previous.memo) : TranslationMemo()
        let sameIndexedObjects = sameClusterInputs && old.virtualServices == snapshot.virtualServices && old.gateways == snapshot.gateways
        if sameIndexedObjects {
            // Endpoints, Pods, Nodes or Secrets changed: everything but the endpoints is indexed as before.
            let sameSecrets = old.secrets == snapshot.secrets
            let routes = sameSecrets ? previous.routeMemo : RouteMemo()
            let onlyEndpoints = sameSecrets && old.nodes == snapshot.nodes
            if sameEndpointInputs {
                self.init(snapshot, indexedLike: previous, memo: memo, routes: routes, endpoints: previous.endpointsByServicePort,
                          endpointChanges: nil, changesOnlyEndpoints: onlyEndpoints)
            } else {
                let (endpoints, changed) = Self.indexEndpoints(snapshot, services: previous.services, like: previous.endpointsByServicePort)
                self.init(snapshot, indexedLike: previous, memo: memo, routes: routes, endpoints: endpoints,
                          endpointChanges: EndpointChanges(servicePorts: changed), changesOnlyEndpoints: onlyEndpoints)
            }
            return
        }
        // Virtual hosts also read VirtualServices: kept when only VirtualServices changed, except for the
        // hosts those claimed before or claim now. A change to a delegate or a wildcard host can reach any host.
        var hosts = VirtualHostMemo()
        if sameClusterInputs && old.gateways == snapshot.gateways && previous.matchesSourceLabels == Self.matchesSourceLabels(snapshot),
           let touched = Self.hostsClaimedByChangedVirtualServices(old, snapshot) {
            hosts = previous.hostMemo.carrying(excluding: touched)
        }
        self.init(snapshot, memo: memo, hosts: hosts, routes: RouteMemo(),
                  endpoints: sameEndpointInputs ? .same(previous.endpointsByServicePort) : .like(previous.endpointsByServicePort))
    }

    /// `snapshot` indexed as `previous` was, but for its endpoints: what else the index holds reads
    /// only Services, DestinationRules, VirtualServices and Gateways, each validated on its own.
    private init(_ snapshot: MeshSnapshot, indexedLike previous: MeshIndex, memo: TranslationMemo, routes: RouteMemo,
                 endpoints: [HostPort: [EndpointEntry]], endpointChanges: EndpointChanges?, changesOnlyEndpoints: Bool) {
        self.snapshot = snapshot
        self.changesOnlyEndpoints = changesOnlyEndpoints
        self.memo = memo
        routeMemo = routes
        hostMemo = previous.hostMemo
        self.endpointChanges = endpointChanges
        endpointsByServicePort = endpoints
        services = previous.services
        serviceOrder = previous.serviceOrder
        meshVirtualServices = previous.meshVirtualServices
        meshVirtualServicesByHost = previous.meshVirtualServicesByHost
        meshWildcardVirtualServices = previous.meshWildcardVirtualServices
        virtualServicesByGateway = previous.virtualServicesByGateway
        gateways = previous.gateways
        destinationRulesByHost = previous.destinationRulesByHost
        leftOut = previous.leftOut
        // Services are as before; slices, Pods and Secrets may not be.
        partsLeftOut = previous.partsLeftOut.filter { $0.kind == .service } + Self.partsLeftOut(snapshot, kinds: [.endpointSlice, .pod, .secret])
        matchesSourceLabels = previous.matchesSourceLabels
    }

    /// The hosts (FQDNs) that VirtualServices added, removed or changed between two snapshots claim,
    /// before or after; nil when one of them has no hosts (a delegate) or a wildcard host.
    static func hostsClaimedByChangedVirtualServices(_ old: MeshSnapshot, _ new: MeshSnapshot) -> Set<String>? {
        var before = Dictionary(old.virtualServices.map { (MeshSnapshot.key($0.metadata), $0) }, uniquingKeysWith: { first, _ in first })
        var touched: Set<String> = []
        func claim(_ virtualService: VirtualService, in snapshot: MeshSnapshot) -> Bool {
            guard let hosts = virtualService.spec.hosts, !hosts.isEmpty else { return false }
            let namespace = MeshSnapshot.key(virtualService.metadata).namespace
            for host in hosts {
                let resolved = snapshot.resolveHost(host, namespace: namespace)
                if resolved.contains("*" as Character) { return false }
                touched.insert(resolved)
            }
            return true
        }
        for virtualService in new.virtualServices {
            let key = MeshSnapshot.key(virtualService.metadata)
            if let earlier = before.removeValue(forKey: key) {
                guard earlier != virtualService else { continue }
                guard claim(earlier, in: old), claim(virtualService, in: new) else { return nil }
            } else if !claim(virtualService, in: new) {
                return nil
            }
        }
        for removed in before.values where !claim(removed, in: old) { return nil }
        return touched
    }

    static func matchesSourceLabels(_ snapshot: MeshSnapshot) -> Bool {
        snapshot.virtualServices.contains { vs in
            (vs.spec.http ?? []).contains { $0.match?.contains { $0.sourceLabels?.isEmpty == false } == true }
                || (vs.spec.tcp ?? []).contains { $0.match?.contains { $0.sourceLabels?.isEmpty == false } == true }
                || (vs.spec.tls ?? []).contains { $0.match?.contains { $0.sourceLabels?.isEmpty == false } == true }
        }
    }

    public init(_ snapshot: MeshSnapshot, memo: TranslationMemo = TranslationMemo(), hosts: VirtualHostMemo = VirtualHostMemo(),
                routes: RouteMemo = RouteMemo()) {
        self.init(snapshot, memo: memo, hosts: hosts, routes: routes, endpoints: .fresh)
    }

    /// Where an index's endpoints come from.
    private enum EndpointSource {
        /// Read from the snapshot.
        case fresh
        /// Read from the snapshot, sharing the lists of the previous index's that are equal, so that
        /// an assignment carried from it is checked against its endpoints by identity.
        case like([HostPort: [EndpointEntry]])
        /// The previous index's, whose inputs are the same.
        case same([HostPort: [EndpointEntry]])
    }

    private init(_ snapshot: MeshSnapshot, memo: TranslationMemo, hosts: VirtualHostMemo, routes: RouteMemo, endpoints source: EndpointSource) {
        self.snapshot = snapshot
        self.memo = memo
        routeMemo = routes
        hostMemo = hosts
        var leftOut: [(kind: MeshKind, name: NamespacedName, reason: String)] = []
        func valid<T>(_ objects: [T], _ wrap: (T) -> MeshObject) -> [T] {
            objects.filter { object in
                let mesh = wrap(object)
                let errors = snapshot.validation(of: mesh).filter { $0.level == .error }
                if let first = errors.first {
                    leftOut.append((kind: mesh.kind, name: MeshSnapshot.key(mesh.metadata), reason: "\(first.fieldPath): \(first.message)"))
                    return false
                }
                return true
            }
        }
        /// Oldest first, then by namespace/name; each object's sort key is built once.
        func byAge<T>(_ objects: [T], _ metadata: (T) -> ObjectMeta) -> [T] {
            objects.map { object -> (String, NamespacedName, T) in
                let meta = metadata(object)
                return (meta.creationTimestamp ?? "", MeshSnapshot.key(meta), object)
            }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            .map(\.2)
        }

        var services: [String: ServiceEntry] = [:]
        for service in snapshot.services {
            let key = MeshSnapshot.key(service.metadata)
            let fqdn = MeshSnapshot.serviceHost(name: key.name, namespace: key.namespace, domainSuffix: snapshot.domainSuffix)
            // A port out of range, or one repeating an earlier number, is left out (each Envoy
            // rejects a listener update with a port above 65535, or two clusters of one name).
            var numbers: Set<Int> = []
            let ports = (service.spec?.ports ?? []).compactMap { port -> ServicePort? in
                guard let entry = ServicePort(name: port.name ?? "", port: Int(port.port), targetPort: port.targetPort,
                                              protocolKind: PortProtocol(name: port.name, appProtocol: port.appProtocol, transport: port.protocol)),
                      numbers.insert(entry.port).inserted else { return nil }
                return entry
            }
            let clusterIP = service.spec?.clusterIP.flatMap { $0.isEmpty || $0 == "None" || KubernetesValues.isIP($0) ? $0 : nil }
            services[fqdn] = ServiceEntry(name: key.name, namespace: key.namespace, fqdn: fqdn, ports: ports,
                                          selector: service.spec?.selector, clusterIP: clusterIP)
        }
        self.services = services
        serviceOrder = services.keys.sorted()

        let validVirtualServices = byAge(valid(snapshot.virtualServices, MeshObject.virtualService), \.metadata)
        meshVirtualServices = validVirtualServices
            .filter { vs in let gateways = vs.spec.gateways ?? []; return gateways.isEmpty || gateways.contains("mesh") }
        var byHost: [String: [VirtualService]] = [:]
        var wildcards: [(pattern: String, virtualService: VirtualService)] = []
        for vs in meshVirtualServices {
            let namespace = MeshSnapshot.key(vs.metadata).namespace
            for host in vs.spec.hosts ?? [] {
                let resolved = snapshot.resolveHost(host, namespace: namespace)
                if resolved.contains("*" as Character) { wildcards.append((resolved, vs)) } else { byHost[resolved, default: []].append(vs) }
            }
        }
        meshVirtualServicesByHost = byHost
        meshWildcardVirtualServices = wildcards
        var byGateway: [String: [VirtualService]] = [:]
        for vs in validVirtualServices {
            let namespace = MeshSnapshot.key(vs.metadata).namespace
            for reference in Set(vs.spec.gateways ?? []) where reference != "mesh" {
                byGateway[Self.gatewayKey(reference, relativeTo: namespace), default: []].append(vs)
            }
        }
        virtualServicesByGateway = byGateway
        gateways = valid(snapshot.gateways, MeshObject.gateway).sorted { MeshSnapshot.key($0.metadata) < MeshSnapshot.key($1.metadata) }

        var rules: [String: [DestinationRule]] = [:]
        for rule in byAge(valid(snapshot.destinationRules, MeshObject.destinationRule), \.metadata) {
            guard let host = rule.spec.host else { continue }
            rules[snapshot.resolveHost(host, namespace: MeshSnapshot.key(rule.metadata).namespace), default: []].append(rule)
        }
        destinationRulesByHost = rules
        switch source {
        case .fresh: endpointsByServicePort = Self.indexEndpoints(snapshot, services: services)
        case .like(let previous): endpointsByServicePort = Self.indexEndpoints(snapshot, services: services, like: previous).endpoints
        case .same(let previous): endpointsByServicePort = previous
        }
        // Built afresh, or more than endpoints changed: there is nothing to patch.
        endpointChanges = nil
        changesOnlyEndpoints = false
        self.leftOut = leftOut
        partsLeftOut = Self.partsLeftOut(snapshot, kinds: [.service, .endpointSlice, .pod, .secret])
        matchesSourceLabels = Self.matchesSourceLabels(snapshot)
    }

    /// The error findings of the Kubernetes objects of these kinds: each names a part the index leaves out.
    private static func partsLeftOut(_ snapshot: MeshSnapshot, kinds: Set<MeshKind>) -> [ValidationFinding] {
        var objects: [MeshObject] = []
        if kinds.contains(.service) { objects += snapshot.services.map(MeshObject.service) }
        if kinds.contains(.endpointSlice) { objects += snapshot.endpointSlices.map(MeshObject.endpointSlice) }
        if kinds.contains(.pod) { objects += snapshot.pods.map(MeshObject.pod) }
        if kinds.contains(.secret) { objects += snapshot.secrets.map(MeshObject.secret) }
        return objects.flatMap { object in
            snapshot.validation(of: object).filter { $0.level == .error || ($0.kind == .endpointSlice && $0.fieldPath == "addressType") }
        }
    }

    /// `namespace/name` of a gateway reference written in a VirtualService in `namespace`.
    public static func gatewayKey(_ reference: String, relativeTo namespace: String) -> String {
        if reference.contains("/" as Character) { return reference }
        if reference.contains("." as Character) {
            let labels = reference.split(separator: ".")
            return "\(labels.count > 1 ? String(labels[1]) : namespace)/\(labels[0])"
        }
        return "\(namespace)/\(reference)"
    }

    /// The VirtualService a sidecar in `namespace` applies to a service host: of those
    /// exported to that namespace, the oldest naming the host exactly, else the oldest
    /// wildcard covering it.
    public func meshVirtualService(for host: String, visibleTo namespace: String) -> VirtualService? {
        if let exact = meshVirtualServicesByHost[host]?.first(where: { ExportTo.isVisible($0, to: namespace) }) { return exact }
        return meshWildcardVirtualServices.first { entry in
            (entry.pattern == "*" || (entry.pattern.hasPrefix("*") && host.hasSuffix(entry.pattern.dropFirst())))
                && ExportTo.isVisible(entry.virtualService, to: namespace)
        }?.virtualService
    }

    /// The VirtualServices bound to a gateway (`namespace/name`) that a gateway proxy in
    /// `namespace` sees, oldest first: as in Istio, a VirtualService must be exported to the
    /// proxy's namespace, not the Gateway's.
    public func gatewayVirtualServices(_ gateway: String, visibleTo namespace: String) -> [VirtualService] {
        (virtualServicesByGateway[gateway] ?? []).filter { ExportTo.isVisible($0, to: namespace) }
    }

    public func service(host: String, relativeTo namespace: String) -> ServiceEntry? {
        services[snapshot.resolveHost(host, namespace: namespace)]
    }

    /// The DestinationRule that applies to `host` for a client in `clientNamespace`, as Istio
    /// picks it among those exported to the client's namespace: one in the client's namespace, else one in the service's namespace, else any
    /// other; several in the chosen namespace are merged (subsets combined, the oldest
    /// one's traffic policy wins).
    public func destinationRule(host: String, clientNamespace: String) -> DestinationRule? {
        guard let all = destinationRulesByHost[host] else { return nil }
        if all.count == 1 { return ExportTo.isVisible(all[0], to: clientNamespace) ? all[0] : nil }
        let candidates = all.filter { ExportTo.isVisible($0, to: clientNamespace) }
        guard !candidates.isEmpty else { return nil }
        let serviceNamespace = services[host]?.namespace
        let chosenNamespace = [clientNamespace, serviceNamespace].compactMap { $0 }.first { namespace in
            candidates.contains { MeshSnapshot.key($0.metadata).namespace == namespace }
        } ?? MeshSnapshot.key(candidates[0].metadata).namespace
        let inNamespace = candidates.filter { MeshSnapshot.key($0.metadata).namespace == chosenNamespace && $0.spec.workloadSelector == nil }
        guard var merged = inNamespace.first ?? candidates.first else { return nil }
        var seen = Set((merged.spec.subsets ?? []).compactMap(\.name))
        for other in inNamespace.dropFirst() {
            for subset in other.spec.subsets ?? [] where !seen.contains(subset.name ?? "") {
                merged.spec.subsets = (merged.spec.subsets ?? []) + [subset]
                seen.insert(subset.name ?? "")
            }
        }
        return merged
    }

    /// Endpoints of one service port.
    public func endpoints(host: String, port: Int) -> [EndpointEntry] {
        endpointsByServicePort[HostPort(host: host, port: port)] ?? []
    }

    struct HostPort: Hashable {
        var host: String
        var port: Int
    }

    /// The endpoints of every service port, sharing the lists of `previous` that are equal, and the
    /// service ports whose lists are not.
    private static func indexEndpoints(_ snapshot: MeshSnapshot, services: [String: ServiceEntry],
                                       like previous: [HostPort: [EndpointEntry]]) -> (endpoints: [HostPort: [EndpointEntry]], changed: Set<HostPort>) {
        var endpoints = indexEndpoints(snapshot, services: services)
        var changed: Set<HostPort> = []
        // One comparison per service port here instead of one per cluster and client namespace
        // in every carried assignment's check (arrays with the same storage compare at once).
        for (port, list) in endpoints {
            if let earlier = previous[port], earlier == list { endpoints[port] = earlier } else { changed.insert(port) }
        }
        for port in previous.keys where endpoints[port] == nil { changed.insert(port) }
        return (endpoints, changed)
    }

    /// Reads EndpointSlices once: endpoints keyed by `fqdn:servicePort`, with each
    /// endpoint's pod labels and locality.
    private static func indexEndpoints(_ snapshot: MeshSnapshot, services: [String: ServiceEntry]) -> [HostPort: [EndpointEntry]] {
        // Endpoints without a Pod reference find their pod by IP (as Istio does): labels and node.
        var podsByIP: [String: (labels: [String: String], node: String?)] = [:]
        for pod in snapshot.pods {
            let key = MeshSnapshot.key(pod.metadata)
            for ip in [pod.status?.podIP].compactMap({ $0 }) + (pod.status?.podIPs ?? []).map(\.ip) {
                podsByIP["\(key.namespace)/\(ip)"] = (pod.metadata.labels ?? [:], pod.spec?.nodeName)
            }
        }
        var result: [HostPort: [EndpointEntry]] = [:]
        for slice in snapshot.endpointSlices {
            guard let serviceName = slice.serviceName else { continue }
            let namespace = MeshSnapshot.key(slice.metadata).namespace
            let fqdn = MeshSnapshot.serviceHost(name: serviceName, namespace: namespace, domainSuffix: snapshot.domainSuffix)
            // Envoy's EDS takes IP addresses only: an FQDN slice (or an unknown type) is not served.
            guard let service = services[fqdn], slice.addressType == "IPv4" || slice.addressType == "IPv6" else { continue }
            for slicePort in slice.ports ?? [] {
                guard let number = slicePort.port, KubernetesValues.isPort(number) else { continue }
                let portName = slicePort.name ?? ""
                guard let servicePort = service.ports.first(where: { $0.name == portName }) ?? (service.ports.count == 1 ? service.ports.first : nil) else { continue }
                for endpoint in slice.endpoints ?? [] {
                    let ready = endpoint.conditions?.ready ?? true
                    let draining = !ready && (endpoint.conditions?.serving ?? false) && (endpoint.conditions?.terminating ?? false)
                    guard ready || draining else { continue }
                    var labels: [String: String] = [:]
                    var nodeName = endpoint.nodeName
                    if let target = endpoint.targetRef, target.kind == "Pod", let name = target.name,
                       let pod = snapshot.pod(namespace: target.namespace ?? namespace, name: name) {
                        labels = pod.metadata.labels ?? [:]
                        nodeName = nodeName ?? pod.spec?.nodeName
                    }
                    for address in endpoint.addresses
                    where KubernetesValues.endpointAddressProblem(address, addressType: slice.addressType) == nil {
                        let byIP = labels.isEmpty ? podsByIP["\(namespace)/\(address)"] : nil
                        let podLabels = byIP?.labels ?? labels
                        let nodeLabels = (nodeName ?? byIP?.node).flatMap { snapshot.node(named: $0)?.metadata.labels } ?? [:]
                        result[HostPort(host: fqdn, port: servicePort.port), default: []].append(EndpointEntry(
                            address: address, port: Int(number), labels: podLabels,
                            region: nodeLabels["topology.kubernetes.io/region"],
                            zone: nodeLabels["topology.kubernetes.io/zone"] ?? endpoint.zone,
                            subzone: nodeLabels["topology.istio.io/subzone"], draining: draining))
                    }
                }
            }
        }
        return result.mapValues { $0.sorted { ($0.address, $0.port) < ($1.address, $1.port) } }
    }
}

/// A port's protocol as Istio selects it: `appProtocol`, else the port name's prefix
/// (`http`, `http-web`, `grpc-api`…), else unspecified: Istio then sniffs each connection
/// (HTTP/1.1 or h2c is routed per request, anything else is plain TCP).
public enum PortProtocol: String, Sendable, Hashable {
    case http, http2, grpc, grpcWeb = "grpc-web", https, tls, tcp, mongo, redis, mysql, udp
    case unspecified = "auto"

    init(name: String?, appProtocol: String?, transport: String?) {
        if transport?.uppercased() == "UDP" { self = .udp; return }
        for candidate in [appProtocol, name?.split(separator: "-").first.map(String.init)] {
            guard let raw = candidate?.lowercased() else { continue }
            switch raw {
            case "http", "http1": self = .http; return
            case "http2", "h2c", "kubernetes.io/h2c": self = .http2; return
            case "grpc": self = .grpc; return
            case "grpc-web": self = .grpcWeb; return
            case "https", "kubernetes.io/wss": self = .https; return
            case "tls": self = .tls; return
            case "tcp": self = .tcp; return
            case "mongo": self = .mongo; return
            case "redis": self = .redis; return
            case "mysql": self = .mysql; return
            default: continue
            }
        }
        self = .unspecified
    }

    /// Whether traffic on this port is routed per request by an HTTP connection manager.
    public var isHTTP: Bool { [.http, .http2, .grpc, .grpcWeb].contains(self) }
    /// Whether the sidecar tells HTTP from other TCP on this port by looking at each connection's
    /// first bytes (Envoy's HTTP inspector), as Istio does for ports it cannot classify.
    public var isSniffed: Bool { self == .unspecified }
    /// Whether clients speak TLS on this port, so a sidecar can route by SNI.
    public var isTLS: Bool { self == .https || self == .tls }
    /// Whether upstream connections should speak HTTP/2.
    public var isHTTP2: Bool { [.http2, .grpc].contains(self) }
}
