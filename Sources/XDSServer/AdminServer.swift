import EnvoyAPI
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import SwiftProtobuf

/// The admin port: probes, Prometheus metrics and the debug views behind
/// `coxswain proxy-status` and `coxswain proxy-config` (like istiod's 15014).
public struct AdminServer: Service {
    public var host: String
    public var port: Int
    public let registry: ProxyRegistry
    public let metrics: PrometheusCollectorRegistry?
    /// Whether the first snapshot has been published (readiness).
    public let isReady: @Sendable () async -> Bool
    public var onListening: @Sendable (Int) -> Void
    /// How long a connection may go without sending anything while a request is incomplete or
    /// none has started: a client that trickles its headers (slowloris) is closed after it.
    public var readTimeout: Duration = .seconds(10)
    /// How long a keep-alive connection may sit between requests.
    public var keepAliveTimeout: Duration = .seconds(60)
    /// Largest request body accepted (every endpoint is a GET; bodies are read and dropped).
    public var maxBodyBytes = 64 << 10
    let logger: Logger

    public init(host: String = "0.0.0.0", port: Int = 15014, registry: ProxyRegistry, metrics: PrometheusCollectorRegistry?,
                logger: Logger = Logger(label: "coxswain.admin"), isReady: @escaping @Sendable () async -> Bool,
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.registry = registry
        self.metrics = metrics
        self.logger = logger
        self.isReady = isReady
        self.onListening = onListening
    }

    public func run() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { [readTimeout, keepAliveTimeout] channel in
                channel.eventLoop.makeCompletedFuture {
                    // Before the HTTP codec, so it sees raw bytes: a header trickled one byte at a time still
                    // counts as reading, which is why the deadline is per request too (``RequestDeadline``).
                    try channel.pipeline.syncOperations.addHandler(RequestDeadline(headerTimeout: TimeAmount(readTimeout), idleTimeout: TimeAmount(keepAliveTimeout)))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = channel.channel.localAddress?.port ?? port
        logger.info("serving admin", metadata: ["address": "\(host)", "port": "\(bound)"])
        onListening(bound)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await channel.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            channel.channel.close(promise: nil)
        }
    }

    /// Serves one connection until the client closes it or the server shuts down.
    ///
    /// On graceful shutdown the connection is asked to quiesce: NIO's HTTP pipeline closes
    /// it at once when idle, or after the response in flight. Without that, an idle
    /// keep-alive connection (a Prometheus scraper's) would keep the process from exiting.
    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        let channel = connection.channel
        await withGracefulShutdownHandler {
            await exchange(connection)
        } onGracefulShutdown: {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    private func exchange(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var bodyBytes = 0
            for try await part in inbound {
                switch part {
                case .head(let request):
                    head = request
                    bodyBytes = 0
                case .body(let chunk):
                    bodyBytes += chunk.readableBytes
                    // Answered at once, and the connection closed: the rest of the body is not read.
                    guard bodyBytes <= maxBodyBytes else {
                        var headers = HTTPHeaders()
                        headers.add(name: "Connection", value: "close")
                        try await Self.send(.payloadTooLarge, "text/plain", "request body over \(maxBodyBytes) bytes\n", version: head?.version ?? .http1_1, headers: headers, to: outbound)
                        return
                    }
                case .end:
                    guard let request = head else { continue }
                    let (status, contentType, body) = await respond(to: request)
                    try await Self.send(status, contentType, body, version: request.version, to: outbound)
                    head = nil
                }
            }
        }
    }

    private static func send(_ status: HTTPResponseStatus, _ contentType: String, _ body: String, version: HTTPVersion, headers extra: HTTPHeaders = [:],
                             to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = extra
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        try await outbound.write(.head(HTTPResponseHead(version: version, status: status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
        try await outbound.write(.end(nil))
    }

    func respond(to request: HTTPRequestHead) async -> (HTTPResponseStatus, String, String) {
        guard request.method == .GET else { return (.methodNotAllowed, "text/plain", "only GET\n") }
        let components = URLComponents(string: request.uri)
        switch components?.path ?? request.uri {
        case "/healthz":
            return (.ok, "text/plain", "ok\n")
        case "/readyz":
            return await isReady() ? (.ok, "text/plain", "ready\n") : (.serviceUnavailable, "text/plain", "no snapshot yet\n")
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4", metrics?.emitToString() ?? "")
        case "/debug/syncz":
            let statuses = await registry.statuses()
            return (.ok, "application/json", Self.encode(statuses))
        case "/debug/config_dump":
            guard let proxy = components?.queryItems?.first(where: { $0.name == "proxy" })?.value else {
                return (.badRequest, "text/plain", "give ?proxy=<node id> (see /debug/syncz)\n")
            }
            guard let dump = await registry.configDump(proxyID: proxy) else {
                return (.notFound, "text/plain", "no connected proxy \"\(proxy)\"\n")
            }
            return (.ok, "application/json", Self.configDump(dump))
        default:
            return (.notFound, "text/plain", "not found; try /healthz, /readyz, /metrics, /debug/syncz, /debug/config_dump?proxy=ID\n")
        }
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }

    /// What a proxy was sent, per type, as Envoy JSON: `{"clusters":[…],…}`.
    static func configDump(_ dump: [String: [XDSResource]]) -> String {
        EnvoyAPI.registerTypes()
        var options = JSONEncodingOptions()
        options.useDeterministicOrdering = true
        let sections: [(String, String)] = [
            ("listeners", TypeURL.listener), ("routes", TypeURL.routeConfiguration), ("clusters", TypeURL.cluster),
            ("endpoints", TypeURL.clusterLoadAssignment), ("secrets", TypeURL.secret),
        ]
        let parts = sections.map { name, typeURL -> String in
            let items = (dump[typeURL] ?? []).map { resource -> String in
                if typeURL == TypeURL.secret { return "{\"@type\":\"\(typeURL)\",\"name\":\"\(resource.name)\"}" }
                return (try? resource.body.jsonString(options: options)) ?? "{}"
            }
            return "\"\(name)\": [" + items.joined(separator: ",\n") + "]"
        }
        return "{\n" + parts.joined(separator: ",\n") + "\n}\n"
    }
}

/// Closes an admin connection whose request does not arrive in time: from the first byte of a
/// request to its end, at most `headerTimeout`; between requests, at most `idleTimeout`. NIO's
/// `IdleStateHandler` alone would let a client that sends one byte every few seconds hold the
/// connection forever.
final class RequestDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let headerTimeout: TimeAmount
    let idleTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// Whether bytes of a request have arrived that no response has answered yet.
    private var inRequest = false

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, after: idleTimeout)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, after: idleTimeout) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !inRequest {
            inRequest = true
            arm(context, after: headerTimeout)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A response answers the request: the connection may wait for the next one.
        if inRequest {
            inRequest = false
            arm(context, after: idleTimeout)
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func arm(_ context: ChannelHandlerContext, after timeout: TimeAmount) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.nanoseconds)
    }
}
