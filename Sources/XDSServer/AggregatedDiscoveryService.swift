import EnvoyAPI
import GRPCCore
import GRPCProtobuf
import Logging
import SwiftProtobuf

/// `envoy.service.discovery.v3.AggregatedDiscoveryService`: state-of-the-world and
/// incremental ADS over one gRPC service. Each stream is one loop over its proxy's
/// requests and the cache's change notifications; a slow proxy only delays itself,
/// and after a burst of changes it is sent the newest state, never a queue of old ones.
public struct AggregatedDiscoveryService: RegistrableRPCService {
    public let cache: SnapshotCache
    public let registry: ProxyRegistry
    let generator: any ResourceGenerator
    let logger: Logger
    /// How this port's clients prove who they are, and so which private keys they may be sent.
    public var authentication: ClientAuthentication
    /// Only ``XDSLimits/maxNodeIDBytes`` applies here; the transport enforces the rest.
    public var limits: XDSLimits

    public init(generator: any ResourceGenerator, cache: SnapshotCache, registry: ProxyRegistry,
                authentication: ClientAuthentication = .none(servePrivateKeys: false, reason: "plaintext port"), limits: XDSLimits = XDSLimits(),
                logger: Logger = Logger(label: "coxswain.xds")) {
        self.generator = generator
        self.cache = cache
        self.registry = registry
        self.authentication = authentication
        self.limits = limits
        self.logger = logger
    }

    typealias Methods = Envoy_Service_Discovery_V3_AggregatedDiscoveryService.Method

    /// The generated service's methods, except that responses are written from the resources'
    /// bytes (``DiscoveryResponseSerializer``, ``DeltaDiscoveryResponseSerializer``) and a
    /// state-of-the-world request's resource names are kept as bytes (``DiscoveryRequestDeserializer``).
    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        register(Methods.StreamAggregatedResources.descriptor, deserializer: DiscoveryRequestDeserializer(), serializer: DiscoveryResponseSerializer(), on: &router) {
            StateOfTheWorldSession(cache: cache, registry: registry, generator: generator, logger: logger, peer: $0)
        }
        register(Methods.DeltaAggregatedResources.descriptor, deserializer: ProtobufDeserializer(), serializer: DeltaDiscoveryResponseSerializer(), on: &router) {
            DeltaSession(cache: cache, registry: registry, generator: generator, logger: logger, peer: $0)
        }
    }

    /// Serves `method` with a session of its own per stream.
    private func register<Session: ADSStreamSession & SendableMetatype, Transport: ServerTransport>(
        _ method: MethodDescriptor, deserializer: some MessageDeserializer<Session.Request>, serializer: some MessageSerializer<Session.Response>,
        on router: inout RPCRouter<Transport>, session makeSession: @escaping @Sendable (StreamPeer) -> Session
    ) {
        router.registerHandler(forMethod: method, deserializer: deserializer, serializer: serializer) { [authentication, limits] request, context in
            let peer = StreamPeer(credentials: authentication.credentials(context), maxNodeIDBytes: limits.maxNodeIDBytes)
            return StreamingServerResponse { writer in
                var session = makeSession(peer)
                try await serve(&session, requests: request.messages, writer: writer)
                return [:]
            }
        }
    }

    /// One stream's loop: requests and mesh changes, in arrival order, until the proxy hangs up.
    private func serve<Session: ADSStreamSession>(
        _ session: inout Session, requests: RPCAsyncSequence<Session.Request, any Error>, writer: RPCWriter<Session.Response>
    ) async throws {
        do {
            try await withStreamEvents(requests: requests, cache: cache) { events in
                loop: for await event in events {
                    switch event {
                    case .request(let message): try await session.handle(message, writer: writer)
                    case .changed: try await session.push(writer: writer)
                    case .ended(let error):
                        if let error { throw error }
                        break loop
                    }
                }
            }
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }
}

/// What the stream loop needs of a session, state of the world or incremental.
protocol ADSStreamSession {
    associatedtype Request: Sendable
    associatedtype Response: Sendable
    mutating func handle(_ request: Request, writer: RPCWriter<Response>) async throws
    mutating func push(writer: RPCWriter<Response>) async throws
    mutating func close() async
}

extension StateOfTheWorldSession: ADSStreamSession {}
extension DeltaSession: ADSStreamSession {}

/// Who is on the other end of a stream: set by the first request, which must carry the node,
/// checked against what the stream's credentials prove.
struct StreamPeer {
    private(set) var proxy: ProxyDescriptor?
    private(set) var streamID: Int?
    let credentials: ProxyCredentials
    let maxNodeIDBytes: Int

    init(credentials: ProxyCredentials, maxNodeIDBytes: Int) {
        self.credentials = credentials
        self.maxNodeIDBytes = maxNodeIDBytes
    }

    /// Errors name the node shortened (``ClientText``), never whole: a client chooses its size,
    /// and it would go back in a gRPC trailer and into the log.
    mutating func identify(_ node: Envoy_Config_Core_V3_Node?, generator: any ResourceGenerator, registry: ProxyRegistry, stream: String, logger: Logger) async throws {
        guard proxy == nil else { return }
        guard let node else {
            throw RPCError(code: .invalidArgument, message: "the first request on a stream must carry the node")
        }
        let length = node.id.utf8.count
        guard length <= maxNodeIDBytes else {
            XDSMetrics.recordRefusedNode(reason: "node_id_too_long")
            logger.warning("node id too long; stream refused", metadata: ["bytes": "\(length)", "limit": "\(maxNodeIDBytes)", "stream": "\(stream)"])
            throw RPCError(code: .invalidArgument, message: "node id is \(length) bytes; the limit is \(maxNodeIDBytes)")
        }
        let shown = ClientText(node.id)
        do {
            let described = try generator.describe(node: node, credentials: credentials)
            proxy = described
            streamID = await registry.connect(described, stream: stream)
            logger.info("proxy connected", metadata: ["proxy": "\(shown)", "kind": "\(described.kind)", "stream": "\(stream)"])
            if let withheld = described.secretsWithheld {
                XDSMetrics.secretsWithheld.increment()
                logger.warning("no private keys for this proxy", metadata: ["proxy": "\(shown)", "reason": "\(ClientText(withheld))"])
            }
        } catch let error as InvalidNode {
            XDSMetrics.recordRefusedNode(reason: "invalid_node")
            throw RPCError(code: .invalidArgument, message: "invalid node \"\(shown)\": \(ClientText(error.message))")
        } catch let error as UnauthorizedNode {
            XDSMetrics.recordRefusedNode(reason: "identity_mismatch")
            logger.warning("proxy refused", metadata: ["proxy": "\(shown)", "reason": "\(ClientText(error.message))"])
            throw RPCError(code: .permissionDenied, message: "node \"\(shown)\": \(ClientText(error.message))")
        }
    }

    func close(_ registry: ProxyRegistry) async {
        if let streamID { await registry.disconnect(streamID) }
    }
}
