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
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = channel.channel.localAddress?.port ?? port
        logger.info("serving admin", metadata: ["port": "\(bound)"])
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
            for try await part in inbound {
                switch part {
                case .head(let request): head = request
                case .body: continue
                case .end:
                    guard let request = head else { continue }
                    let (status, contentType, body) = await respond(to: request)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: contentType)
                    headers.add(name: "Content-Length", value: String(body.utf8.count))
                    try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                    try await outbound.write(.end(nil))
                    head = nil
                }
            }
        }
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
