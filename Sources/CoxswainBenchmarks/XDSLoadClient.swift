import ArgumentParser
import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import SwiftProtobuf

/// `coxswain-bench xds-load` (hidden): the proxies of `coxswain-bench xds`, in a process of their
/// own so that the server's memory is measured without them. Opens K ADS streams over a few
/// HTTP/2 connections and behaves like Envoy: CDS and LDS wildcard, then EDS for the clusters and
/// RDS for the route configurations they name, and an ACK for every response.
///
/// Talks to the benchmark over stdio: prints `ready` once every proxy holds a full
/// configuration, answers a `stats` line with `stats <responses> <resource bytes>`, and exits
/// when its standard input closes.
struct XDSLoadClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xds-load",
        abstract: "The load generator of `coxswain-bench xds` (started by it).",
        shouldDisplay: false
    )

    @Option(name: .long) var port: Int
    @Option(name: .long) var proxies: Int
    @Option(name: .customLong("streams-per-connection")) var streamsPerConnection = 100
    @Option(name: .long) var namespaces = 5
    @Option(name: .customLong("workloads-per-namespace")) var workloadsPerNamespace = 4
    @Option(name: .customLong("delta-percent")) var deltaPercent = 0

    func run() async throws {
        let fleet = ProxyFleet(namespaces: namespaces, workloadsPerNamespace: workloadsPerNamespace)
        let counters = LoadCounters()
        let total = proxies
        Thread.detachNewThread {
            // Commands on a thread of its own: reading stdin blocks.
            while let line = readLine() {
                if line == "stats" {
                    let (responses, bytes) = counters.totals
                    LoadClientOutput.say("stats \(responses) \(bytes)")
                }
            }
            Foundation.exit(0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while counters.ready.load(ordering: .relaxed) < total {
                    try await Task.sleep(for: .milliseconds(20))
                }
                LoadClientOutput.say("ready")
            }
            let connections = (proxies + streamsPerConnection - 1) / streamsPerConnection
            for connection in 0..<connections {
                let range = (connection * streamsPerConnection)..<min(proxies, (connection + 1) * streamsPerConnection)
                group.addTask {
                    let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
                    try await withGRPCClient(transport: transport) { client in
                        let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
                        try await withThrowingTaskGroup(of: Void.self) { streams in
                            for index in range {
                                let proxy = LoadProxy(node: fleet.node(index), counters: counters)
                                let delta = index % 100 < deltaPercent
                                streams.addTask { try await delta ? proxy.runDelta(ads) : proxy.run(ads) }
                            }
                            try await streams.waitForAll()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

enum LoadClientOutput {
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// What every proxy received, for the benchmark's pushes and bytes per second.
final class LoadCounters: Sendable {
    let responses = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)
    /// Proxies holding a complete configuration (every type they need received and ACKed).
    let ready = Atomic<Int>(0)

    var totals: (responses: Int, bytes: Int) { (responses.load(ordering: .relaxed), bytes.load(ordering: .relaxed)) }

    /// The names of the resources a CDS or LDS response refers to, by response version: equal
    /// versions have equal resources, so a thousand sidecars of one workload decode it once.
    private let referenced = Mutex<[String: [String]]>([:])

    /// What one delta resource names, by type, name and version (decoded once for all proxies).
    private let referencedByResource = Mutex<[String: [String]]>([:])

    func referencedNames(_ typeURL: String, _ resource: Envoy_Service_Discovery_V3_Resource) -> [String] {
        let key = typeURL + "|" + resource.name + "|" + resource.version
        if let known = referencedByResource.withLock({ $0[key] }) { return known }
        var response = Envoy_Service_Discovery_V3_DiscoveryResponse()
        response.typeURL = typeURL
        response.resources = [resource.resource]
        let names = LoadProxy.referencedNames(response)
        referencedByResource.withLock { $0[key] = names }
        return names
    }

    func referencedNames(_ response: Envoy_Service_Discovery_V3_DiscoveryResponse) -> [String] {
        let key = response.typeURL + "|" + response.versionInfo
        if let known = referenced.withLock({ $0[key] }) { return known }
        let names = LoadProxy.referencedNames(response)
        referenced.withLock { $0[key] = names }
        return names
    }
}

/// One simulated proxy on one ADS stream.
struct LoadProxy {
    let node: Envoy_Config_Core_V3_Node
    let counters: LoadCounters

    typealias Request = Envoy_Service_Discovery_V3_DiscoveryRequest
    typealias Response = Envoy_Service_Discovery_V3_DiscoveryResponse

    /// Per type: what was subscribed and the latest response (ACKs and subscription changes carry its nonce).
    struct TypeState {
        var names: [String] = []
        var version = ""
        var nonce = ""
        var received = false
    }

    func run(_ ads: Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client<some ClientTransport>) async throws {
        let (requests, sender) = AsyncStream.makeStream(of: Request.self)
        var first = Request()
        first.node = node
        first.typeURL = TypeURL.cluster
        sender.yield(first)
        sender.yield(Self.request(TypeURL.listener, TypeState()))
        try await ads.streamAggregatedResources(request: StreamingClientRequest { writer in
            for await request in requests { try await writer.write(request) }
        }) { response in
            var types: [String: TypeState] = [:]
            var isReady = false
            for try await message in response.messages {
                counters.responses.add(1, ordering: .relaxed)
                counters.bytes.add(message.resources.reduce(0) { $0 + $1.value.count }, ordering: .relaxed)
                var state = types[message.typeURL] ?? TypeState()
                state.version = message.versionInfo
                state.nonce = message.nonce
                state.received = true
                types[message.typeURL] = state
                sender.yield(Self.request(message.typeURL, state))
                // What CDS and LDS name, EDS and RDS subscribe to (with their own latest nonce).
                if let dependent = Self.dependentType[message.typeURL] {
                    let names = counters.referencedNames(message)
                    var dependentState = types[dependent] ?? TypeState()
                    if names != dependentState.names || types[dependent] == nil {
                        dependentState.names = names
                        types[dependent] = dependentState
                        if !names.isEmpty { sender.yield(Self.request(dependent, dependentState)) }
                    }
                }
                if !isReady, Self.isComplete(types) {
                    isReady = true
                    counters.ready.add(1, ordering: .relaxed)
                }
            }
            sender.finish()
        }
    }

    typealias DeltaRequest = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest

    /// The same proxy over incremental xDS, as istio-proxy speaks it: wildcard CDS and LDS, EDS
    /// and RDS subscribed to what they name, and an ACK for every response. Responses carry only
    /// what changed, so what the proxy must subscribe to follows the resources it holds.
    func runDelta(_ ads: Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client<some ClientTransport>) async throws {
        let (requests, sender) = AsyncStream.makeStream(of: DeltaRequest.self)
        var first = DeltaRequest()
        first.node = node
        first.typeURL = TypeURL.cluster
        sender.yield(first)
        var listeners = DeltaRequest()
        listeners.typeURL = TypeURL.listener
        sender.yield(listeners)
        try await ads.deltaAggregatedResources(request: StreamingClientRequest { writer in
            for await request in requests { try await writer.write(request) }
        }) { response in
            // Per CDS/LDS resource held: its version and what it names; per EDS/RDS name: how many name it.
            var held: [String: [String: String]] = [:]
            var names: [String: [String: [String]]] = [:]
            var subscribed: [String: [String: Int]] = [:]
            var received: Set<String> = []
            var isReady = false
            for try await message in response.messages {
                counters.responses.add(1, ordering: .relaxed)
                counters.bytes.add(message.resources.reduce(0) { $0 + $1.resource.value.count }, ordering: .relaxed)
                var ack = DeltaRequest()
                ack.typeURL = message.typeURL
                ack.responseNonce = message.nonce
                received.insert(message.typeURL)
                if let dependent = Self.dependentType[message.typeURL] {
                    var counts = subscribed[dependent] ?? [:]
                    var subscribe: [String] = []
                    var unsubscribe: [String] = []
                    func name(_ list: [String], _ step: Int) {
                        for name in list {
                            let count = (counts[name] ?? 0) + step
                            if count == 1 && step == 1 { subscribe.append(name) }
                            if count == 0 { unsubscribe.append(name) }
                            counts[name] = count == 0 ? nil : count
                        }
                    }
                    for resource in message.resources {
                        if let old = names[message.typeURL]?[resource.name] { name(old, -1) }
                        let new = counters.referencedNames(message.typeURL, resource)
                        names[message.typeURL, default: [:]][resource.name] = new
                        held[message.typeURL, default: [:]][resource.name] = resource.version
                        name(new, 1)
                    }
                    for removed in message.removedResources {
                        if let old = names[message.typeURL]?.removeValue(forKey: removed) { name(old, -1) }
                        held[message.typeURL]?[removed] = nil
                    }
                    subscribed[dependent] = counts
                    if !subscribe.isEmpty || !unsubscribe.isEmpty {
                        var change = DeltaRequest()
                        change.typeURL = dependent
                        change.resourceNamesSubscribe = subscribe
                        change.resourceNamesUnsubscribe = unsubscribe
                        sender.yield(change)
                    }
                }
                sender.yield(ack)
                if !isReady, [TypeURL.cluster, TypeURL.listener].allSatisfy(received.contains),
                   [TypeURL.clusterLoadAssignment, TypeURL.routeConfiguration].allSatisfy({ received.contains($0) || (subscribed[$0] ?? [:]).isEmpty }) {
                    isReady = true
                    counters.ready.add(1, ordering: .relaxed)
                }
            }
            sender.finish()
        }
    }

    static let dependentType = [TypeURL.cluster: TypeURL.clusterLoadAssignment, TypeURL.listener: TypeURL.routeConfiguration]

    /// CDS and LDS received, and EDS and RDS too where they name anything.
    static func isComplete(_ types: [String: TypeState]) -> Bool {
        [TypeURL.cluster, TypeURL.listener, TypeURL.clusterLoadAssignment, TypeURL.routeConfiguration].allSatisfy { type in
            guard let state = types[type] else { return false }
            return state.received || (state.names.isEmpty && type != TypeURL.cluster && type != TypeURL.listener)
        }
    }

    static func request(_ typeURL: String, _ state: TypeState) -> Request {
        var request = Request()
        request.typeURL = typeURL
        request.resourceNames = state.names
        request.versionInfo = state.version
        request.responseNonce = state.nonce
        return request
    }

    /// EDS names of a CDS response's EDS clusters, or RDS names of an LDS response's connection managers.
    static func referencedNames(_ response: Response) -> [String] {
        typealias HCM = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager
        var names: [String] = []
        for any in response.resources {
            if response.typeURL == TypeURL.cluster {
                guard let cluster = try? Envoy_Config_Cluster_V3_Cluster(unpackingAny: any), cluster.type == .eds else { continue }
                names.append(cluster.edsClusterConfig.serviceName.isEmpty ? cluster.name : cluster.edsClusterConfig.serviceName)
            } else if let listener = try? Envoy_Config_Listener_V3_Listener(unpackingAny: any) {
                var managers: [Google_Protobuf_Any] = listener.filterChains.flatMap { $0.filters.map(\.typedConfig) }
                if listener.hasApiListener { managers.append(listener.apiListener.apiListener) }
                for config in managers {
                    guard let hcm = try? HCM(unpackingAny: config), case .rds(let rds)? = hcm.routeSpecifier else { continue }
                    names.append(rds.routeConfigName)
                }
            }
        }
        return Array(Set(names)).sorted()
    }
}
