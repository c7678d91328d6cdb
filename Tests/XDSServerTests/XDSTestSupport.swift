import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftProtobuf
import Testing
@testable import XDSServer

/// A mesh for tests: resources per type URL that a test changes at will.
actor TestMesh {
    private(set) var resources: [String: [XDSResource]] = [:]
    /// Per proxy kind, resources that kind gets instead of the shared ones of their type.
    private var byKind: [String: [String: [XDSResource]]] = [:]
    private(set) var generated = 0

    func set(_ typeURL: String, _ list: [XDSResource], for kind: String? = nil) {
        if let kind { byKind[kind, default: [:]][typeURL] = list } else { resources[typeURL] = list }
    }

    func snapshot(types: Set<String>?, kind: String = "") -> ResourceSnapshot {
        generated += 1
        let merged = resources.merging(byKind[kind] ?? [:]) { _, own in own }
        return ResourceSnapshot(merged.filter { types?.contains($0.key) ?? true })
    }
}

/// A generator over a `TestMesh`; node ids must look like Istio's (`sidecar~…`, `router~…`).
/// Proxies of one kind share a cache key.
struct TestGenerator: ResourceGenerator {
    let mesh: TestMesh

    func describe(node: Envoy_Config_Core_V3_Node, credentials: ProxyCredentials) throws -> ProxyDescriptor {
        let parts = node.id.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 4, ["sidecar", "router"].contains(parts[0]) else {
            throw InvalidNode("node id must be <sidecar|router>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local")
        }
        let kind = parts[0] == "router" ? "gateway" : "sidecar"
        return ProxyDescriptor(id: node.id, kind: kind, cacheKey: kind)
    }

    func resources(for proxy: ProxyDescriptor, types: Set<String>?) async -> ResourceSnapshot {
        await mesh.snapshot(types: types, kind: proxy.kind)
    }
}

/// Resources named like the translator names them.
enum TestResources {
    static func cluster(_ name: String, connectTimeout: Int64 = 10) -> XDSResource {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = name
        cluster.connectTimeout = Google_Protobuf_Duration(seconds: connectTimeout)
        return try! XDSResource(name: name, message: cluster)
    }

    static func endpoints(_ cluster: String, ports: [UInt32]) -> XDSResource {
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = cluster
        var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        locality.lbEndpoints = ports.map { port in
            var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
            endpoint.endpoint.address.socketAddress.address = "127.0.0.1"
            endpoint.endpoint.address.socketAddress.portValue = port
            return endpoint
        }
        assignment.endpoints = [locality]
        return try! XDSResource(name: cluster, message: assignment)
    }

    static func listener(_ name: String) -> XDSResource {
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = name
        return try! XDSResource(name: name, message: listener)
    }

    static func route(_ name: String) -> XDSResource {
        var route = Envoy_Config_Route_V3_RouteConfiguration()
        route.name = name
        return try! XDSResource(name: name, message: route)
    }
}

/// Responses a client received, read with a deadline.
actor Inbox<Message: Sendable> {
    private var messages: [Message] = []
    private(set) var failure: (any Error)?
    private(set) var finished = false

    func append(_ message: Message) { messages.append(message) }
    func fail(_ error: any Error) { failure = error; finished = true }
    func finish() { finished = true }
    var count: Int { messages.count }
    var all: [Message] { messages }

    /// The next message, or nil when none arrives within `timeout`.
    func next(timeout: Duration = .seconds(30)) async -> Message? {
        let deadline = ContinuousClock.now + timeout
        while messages.isEmpty, ContinuousClock.now < deadline, !finished {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return messages.isEmpty ? nil : messages.removeFirst()
    }

    /// Waits until the stream ends (or `timeout` passes) and returns its error, if any.
    func end(timeout: Duration = .seconds(20)) async -> (any Error)? {
        let deadline = ContinuousClock.now + timeout
        while !finished, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return failure
    }

    /// Collects messages until one satisfies `done` (included) or `timeout` passes.
    func collect(until done: (Message) -> Bool, timeout: Duration = .seconds(30)) async -> [Message] {
        var collected: [Message] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if messages.isEmpty {
                if finished { break }
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            let message = messages.removeFirst()
            collected.append(message)
            if done(message) { break }
        }
        return collected
    }

    /// Waits until nothing has arrived for `quiet`, then returns (and drops) what did.
    func drain(quiet: Duration = .milliseconds(300)) async -> [Message] {
        var seen = messages.count
        while true {
            try? await Task.sleep(for: quiet)
            if messages.count == seen { break }
            seen = messages.count
        }
        defer { messages.removeAll() }
        return messages
    }
}

/// Polls `condition` until it holds or `timeout` passes; the server records ACKs asynchronously.
func eventually(timeout: Duration = .seconds(20), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

typealias DiscoveryRequest = Envoy_Service_Discovery_V3_DiscoveryRequest
typealias DiscoveryResponse = Envoy_Service_Discovery_V3_DiscoveryResponse
typealias DeltaRequest = Envoy_Service_Discovery_V3_DeltaDiscoveryRequest
typealias DeltaResponse = Envoy_Service_Discovery_V3_DeltaDiscoveryResponse

/// An xDS server on an ephemeral loopback port, with the pieces a test drives.
struct XDSHarness {
    let mesh: TestMesh
    let cache: SnapshotCache
    let registry: ProxyRegistry
    let debouncer: ChangeDebouncer
    let port: Int

    static func run<Result: Sendable>(quiet: Duration = .milliseconds(20), maxDelay: Duration = .milliseconds(500), limits: XDSLimits = XDSLimits(),
                                      _ body: (XDSHarness) async throws -> Result) async throws -> Result {
        let mesh = TestMesh()
        let generator = TestGenerator(mesh: mesh)
        let cache = SnapshotCache(generator: generator)
        let registry = ProxyRegistry()
        let service = AggregatedDiscoveryService(generator: generator, cache: cache, registry: registry, limits: limits)
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext, config: .xds(limits: limits))
        return try await withGRPCServer(transport: transport, services: [service]) { _ in
            let port = try #require(try await transport.listeningAddress.ipv4?.port)
            let harness = XDSHarness(mesh: mesh, cache: cache, registry: registry, debouncer: ChangeDebouncer(cache: cache, quiet: quiet, maxDelay: maxDelay), port: port)
            return try await body(harness)
        }
    }

    /// Opens a state-of-the-world stream; `body` sends requests and reads responses.
    func sotw<Result: Sendable>(_ body: (AsyncStream<DiscoveryRequest>.Continuation, Inbox<DiscoveryResponse>) async throws -> Result) async throws -> Result {
        try await withGRPCClient(transport: try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)) { client in
            let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
            let (requests, sender) = AsyncStream.makeStream(of: DiscoveryRequest.self)
            let inbox = Inbox<DiscoveryResponse>()
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await ads.streamAggregatedResources(request: StreamingClientRequest { writer in
                            for await request in requests { try await writer.write(request) }
                        }) { response in
                            for try await message in response.messages { await inbox.append(message) }
                        }
                        await inbox.finish()
                    } catch {
                        await inbox.fail(error)
                    }
                }
                let result = try await body(sender, inbox)
                sender.finish()
                group.cancelAll()
                return result
            }
        }
    }

    /// Opens an incremental stream.
    func delta<Result: Sendable>(_ body: (AsyncStream<DeltaRequest>.Continuation, Inbox<DeltaResponse>) async throws -> Result) async throws -> Result {
        try await withGRPCClient(transport: try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)) { client in
            let ads = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Client(wrapping: client)
            let (requests, sender) = AsyncStream.makeStream(of: DeltaRequest.self)
            let inbox = Inbox<DeltaResponse>()
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await ads.deltaAggregatedResources(request: StreamingClientRequest { writer in
                            for await request in requests { try await writer.write(request) }
                        }) { response in
                            for try await message in response.messages { await inbox.append(message) }
                        }
                        await inbox.finish()
                    } catch {
                        await inbox.fail(error)
                    }
                }
                let result = try await body(sender, inbox)
                sender.finish()
                group.cancelAll()
                return result
            }
        }
    }
}

extension DiscoveryRequest {
    static func subscribe(_ typeURL: String, names: [String] = [], node: String? = "sidecar~10.0.0.1~client.default~default.svc.cluster.local") -> Self {
        var request = Self()
        request.typeURL = typeURL
        request.resourceNames = names
        if let node { request.node.id = node }
        return request
    }

    static func ack(_ response: DiscoveryResponse, names: [String] = []) -> Self {
        var request = Self()
        request.typeURL = response.typeURL
        request.versionInfo = response.versionInfo
        request.responseNonce = response.nonce
        request.resourceNames = names
        return request
    }

    static func nack(_ response: DiscoveryResponse, previousVersion: String, message: String, names: [String] = []) -> Self {
        var request = ack(response, names: names)
        request.versionInfo = previousVersion
        request.errorDetail.code = 3
        request.errorDetail.message = message
        return request
    }
}

extension DiscoveryResponse {
    var names: [String] {
        resources.compactMap { any -> String? in
            switch XDSResourceType(typeURL: any.typeURL) {
            case .cluster: (try? Envoy_Config_Cluster_V3_Cluster(unpackingAny: any))?.name
            case .endpoint: (try? Envoy_Config_Endpoint_V3_ClusterLoadAssignment(unpackingAny: any))?.clusterName
            case .listener: (try? Envoy_Config_Listener_V3_Listener(unpackingAny: any))?.name
            case .route: (try? Envoy_Config_Route_V3_RouteConfiguration(unpackingAny: any))?.name
            default: nil
            }
        }
    }
}
