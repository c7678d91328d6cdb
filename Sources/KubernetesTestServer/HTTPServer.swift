import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import X509

/// One HTTP request, fully read (bodies are small; watches are responses, not requests).
struct HTTPRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var path: String
    var query: [String: String]
    var headers: HTTPHeaders
    var body: ByteBuffer?
    /// The body exceeded the size limit and was discarded while reading.
    var bodyTooLarge: Bool
    var isTLS: Bool
    /// The verified client certificate's common name, when the client presented one.
    var clientCommonName: String?

    init(head: HTTPRequestHead, body: ByteBuffer?, bodyTooLarge: Bool, isTLS: Bool, clientCommonName: String? = nil) {
        self.method = head.method
        self.uri = head.uri
        self.headers = head.headers
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.isTLS = isTLS
        self.clientCommonName = clientCommonName
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = HTTPRequest.percentDecode(String(parts.first ?? ""), plusIsSpace: false)
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = HTTPRequest.percentDecode(String(keyValue[0]), plusIsSpace: true)
                query[key] = keyValue.count > 1 ? HTTPRequest.percentDecode(String(keyValue[1]), plusIsSpace: true) : ""
            }
        }
        self.query = query
    }

    static func percentDecode(_ text: String, plusIsSpace: Bool) -> String {
        guard text.contains("%") || (plusIsSpace && text.contains("+")) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What a handler answers: a complete body, a stream of chunks (watch), or a dropped connection (partition fault).
enum HTTPResponseBody: Sendable {
    case full(ByteBuffer)
    case stream(AsyncStream<ByteBuffer>, timeout: Duration?)
    case closeConnection
}

struct HTTPResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: HTTPResponseBody
}

/// The request handling seam between NIO and the API logic.
protocol HTTPRequestResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
}

/// Reads one request at a time (the pipeline's pipelining assistance holds the next
/// one back until a response ends), enforces the body size limit while reading,
/// and hands the request to the responder on a task.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: any HTTPRequestResponder
    private let maxBodyBytes: Int
    private let isTLS: Bool
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false

    init(responder: any HTTPRequestResponder, maxBodyBytes: Int, isTLS: Bool) {
        self.responder = responder
        self.maxBodyBytes = maxBodyBytes
        self.isTLS = isTLS
    }

    /// The common name of the certificate the client presented (NIOSSL verified it against the CA).
    private static func clientCommonName(_ context: ChannelHandlerContext) -> String? {
        guard let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let certificate = handler.peerCertificate,
              let parsed = try? Certificate(derEncoded: certificate.toDERBytes()) else { return nil }
        return parsed.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }.map { "\($0.value)" }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
            tooLarge = false
            if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init), length > maxBodyBytes {
                tooLarge = true
            }
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodyBytes {
                tooLarge = true
                body = nil
                return
            }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            let request = HTTPRequest(head: head, body: body, bodyTooLarge: tooLarge, isTLS: isTLS,
                                      clientCommonName: isTLS ? Self.clientCommonName(context) : nil)
            self.head = nil
            self.body = nil
            let keepAlive = head.isKeepAlive
            let version = head.version
            let isHead = head.method == .HEAD
            let channel = context.channel
            let responder = self.responder
            Task {
                let response = await responder.respond(to: request)
                await HTTPConnectionHandler.write(response, to: channel, version: version, keepAlive: keepAlive, isHead: isHead)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private static func write(_ response: HTTPResponse, to channel: any Channel, version: HTTPVersion, keepAlive: Bool, isHead: Bool) async {
        var headers = response.headers
        switch response.body {
        case .closeConnection:
            try? await channel.close()
        case .full(let buffer):
            headers.replaceOrAdd(name: "content-length", value: String(buffer.readableBytes))
            if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
            let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            if buffer.readableBytes > 0 && !isHead { channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil) }
            let done: EventLoopFuture<Void> = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive {
                try? await done.get()
                try? await channel.close()
            }
        case .stream(let stream, let timeout):
            headers.remove(name: "content-length")
            let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
            do {
                try await channel.writeAndFlush(HTTPServerResponsePart.head(head)).get()
                let writer = Task {
                    var written = 0
                    var pending: EventLoopFuture<Void>?
                    for await chunk in stream {
                        pending = channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(chunk)))
                        written += 1
                        // Waiting on every 64th write keeps a slow reader from queueing unbounded data here.
                        if written % 64 == 0 { try await pending?.get() }
                    }
                    try await pending?.get()
                }
                // The watch ends when the client goes away or its timeout passes; cancelling the
                // writer ends the stream, which unregisters the watcher.
                channel.closeFuture.whenComplete { _ in writer.cancel() }
                let timer = timeout.map { timeout in
                    Task {
                        try await Task.sleep(for: timeout)
                        writer.cancel()
                    }
                }
                defer { timer?.cancel() }
                try await writer.value
                try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
                if !keepAlive { try await channel.close() }
            } catch {
                try? await channel.close()
            }
        }
    }
}

/// Binds an HTTP/1.1 listener (optionally TLS) on a host and port.
enum HTTPListener {
    static func bind(host: String, port: Int, group: any EventLoopGroup, tls: NIOSSLContext?,
                     responder: any HTTPRequestResponder, maxBodyBytes: Int) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        HTTPConnectionHandler(responder: responder, maxBodyBytes: maxBodyBytes, isTLS: tls != nil))
                }
            }
        return try await bootstrap.bind(host: host, port: port).get()
    }
}
