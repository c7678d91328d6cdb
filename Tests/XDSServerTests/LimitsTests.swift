import CoxswainTestSupport
import EnvoyAPI
import Foundation
import GRPCCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing
@testable import XDSServer

/// A TCP connection that speaks raw bytes, for clients no gRPC library would be: one that stops
/// after the HTTP/2 preface, one that trickles HTTP/1 headers.
struct RawConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func open(port: Int) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return RawConnection(channel: channel)
    }

    /// The client's HTTP/2 connection preface and an empty SETTINGS frame.
    static let http2Preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 0x04, 0, 0, 0, 0, 0]

    /// Sends `bytes`, then reads until the server closes the connection or `timeout` passes:
    /// what arrived, and whether the server closed it.
    func send(_ bytes: [UInt8], thenReadFor timeout: Duration) async throws -> (received: [UInt8], closed: Bool) {
        let timedOut = Mutex(false)
        let underlying = channel.channel
        // Ends the read below when the server keeps the connection open.
        let timer = Task {
            try await Task.sleep(for: timeout)
            timedOut.withLock { $0 = true }
            underlying.close(promise: nil)
        }
        defer { timer.cancel() }
        let received = try await channel.executeThenClose { inbound, outbound -> [UInt8] in
            var received: [UInt8] = []
            do {
                // The server may have closed the connection before it is written to.
                if !bytes.isEmpty { try await outbound.write(ByteBuffer(bytes: bytes)) }
                for try await chunk in inbound { received += chunk.readableBytesView }
            } catch {
                // A reset counts as closed too.
            }
            return received
        }
        return (received, !timedOut.withLock { $0 })
    }
}

@Suite struct XDSLimitsTests {
    static func node(_ id: String) -> DiscoveryRequest {
        DiscoveryRequest.subscribe(TypeURL.cluster, node: id)
    }

    /// The failure a stream ends with after its first request.
    static func failure(of request: DiscoveryRequest, limits: XDSLimits = XDSLimits()) async throws -> RPCError? {
        try await XDSHarness.run(limits: limits) { harness in
            try await harness.sotw { requests, inbox in
                requests.yield(request)
                return await inbox.end() as? RPCError
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func aNodeIDOverTheLimitIsRefusedWithoutEchoingIt() async throws {
        let id = "sidecar~10.0.0.1~" + String(repeating: "x", count: 1 << 20) + ".default~default.svc.cluster.local"
        let error = try #require(try await Self.failure(of: Self.node(id)))
        #expect(error.code == .invalidArgument)
        #expect(error.message.utf8.count < 200, "\(error.message.prefix(300))")
        #expect(!error.message.contains("xxxxxxxx"))
    }

    /// Within the length limit, an invalid node is named in the error cut short, once.
    @Test(.timeLimit(.minutes(1))) func anInvalidNodeIsNamedShortened() async throws {
        var limits = XDSLimits()
        limits.maxNodeIDBytes = 1 << 20
        let id = String(repeating: "y", count: 100_000)
        let error = try #require(try await Self.failure(of: Self.node(id), limits: limits))
        #expect(error.code == .invalidArgument)
        #expect(error.message.utf8.count < 600, "\(error.message.utf8.count) bytes")
        #expect(error.message.contains("(100000 bytes)"))
    }

    @Test(.timeLimit(.minutes(1))) func aRequestOverTheSizeLimitEndsTheStream() async throws {
        var limits = XDSLimits()
        limits.maxRequestBytes = 1024
        let request = DiscoveryRequest.subscribe(TypeURL.cluster, names: (0..<100).map { "outbound|9080||service-\($0).default.svc.cluster.local" })
        let before = SharedTestMetrics.total("coxswain_xds_requests_too_large_total")
        // gRPC resets the stream; the client sees it end with an error, whichever code it gives.
        let error = try #require(try await Self.failure(of: request, limits: limits))
        #expect([.resourceExhausted, .unavailable, .internalError].contains(error.code), "\(error)")
        // The server's side of the stream ends a moment after the client's: wait for the count.
        let deadline = ContinuousClock.now + .seconds(10)
        while SharedTestMetrics.total("coxswain_xds_requests_too_large_total") == before, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(SharedTestMetrics.total("coxswain_xds_requests_too_large_total") > before, "the refused request is counted")
    }

    /// A client that sends the HTTP/2 preface and nothing else is closed once idle.
    @Test(.timeLimit(.minutes(1))) func aPrefaceOnlyConnectionIsClosedWhenIdle() async throws {
        var limits = XDSLimits()
        limits.idleTimeout = .milliseconds(200)
        limits.closeGracePeriod = .milliseconds(200)
        try await XDSHarness.run(limits: limits) { harness in
            let connection = try await RawConnection.open(port: harness.port)
            let result = try await connection.send(RawConnection.http2Preface, thenReadFor: .seconds(20))
            #expect(result.closed)
        }
    }

    /// One that never speaks at all (a TLS handshake that never starts looks the same) too.
    @Test(.timeLimit(.minutes(1))) func aSilentConnectionIsClosedWhenIdle() async throws {
        var limits = XDSLimits()
        limits.idleTimeout = .milliseconds(200)
        limits.closeGracePeriod = .milliseconds(200)
        try await XDSHarness.run(limits: limits) { harness in
            let result = try await RawConnection.open(port: harness.port).send([], thenReadFor: .seconds(20))
            #expect(result.closed)
        }
    }

    /// The idle limit is for connections without streams: an ADS stream that waits between
    /// pushes keeps its connection, and still gets the next push.
    @Test(.timeLimit(.minutes(1))) func aConnectionWithAnOpenStreamIsNotIdle() async throws {
        var limits = XDSLimits()
        limits.idleTimeout = .milliseconds(100)
        limits.closeGracePeriod = .milliseconds(100)
        try await XDSHarness.run(limits: limits) { harness in
            await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("outbound|9080||reviews.default.svc.cluster.local")])
            try await harness.sotw { requests, inbox in
                requests.yield(.subscribe(TypeURL.cluster))
                let first = try #require(await inbox.next())
                requests.yield(.ack(first))
                try await Task.sleep(for: .seconds(1))
                await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("outbound|9080||ratings.default.svc.cluster.local")])
                await harness.debouncer.changed(.all)
                let pushed = await inbox.next(timeout: .seconds(20))
                #expect(pushed?.names == ["outbound|9080||ratings.default.svc.cluster.local"])
                #expect(await inbox.failure == nil)
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func connectionsOverTheLimitAreClosedOnArrival() async throws {
        var limits = XDSLimits()
        limits.maxConnections = 1
        try await XDSHarness.run(limits: limits) { harness in
            try await harness.sotw { requests, inbox in
                requests.yield(.subscribe(TypeURL.cluster))
                #expect(await inbox.next() != nil, "the first connection is served")
                let second = try await RawConnection.open(port: harness.port).send(RawConnection.http2Preface, thenReadFor: .seconds(20))
                #expect(second.closed)
            }
        }
    }

    /// A connection that reaches its stream cap is counted: HTTP/2 refuses further streams below gRPC.
    @Test(.timeLimit(.minutes(1))) func reachingTheStreamLimitIsCounted() async throws {
        var limits = XDSLimits()
        limits.maxStreamsPerConnection = 1
        let before = SharedTestMetrics.total("coxswain_xds_stream_limit_reached_total")
        try await XDSHarness.run(limits: limits) { harness in
            await harness.mesh.set(TypeURL.cluster, [TestResources.cluster("outbound|9080||reviews.default.svc.cluster.local")])
            try await harness.sotw { requests, inbox in
                requests.yield(.subscribe(TypeURL.cluster))
                #expect(await inbox.next() != nil, "the one stream the limit allows is served")
            }
        }
        #expect(SharedTestMetrics.total("coxswain_xds_stream_limit_reached_total") > before)
    }

    /// The server's first SETTINGS frame carries SETTINGS_MAX_CONCURRENT_STREAMS (0x3).
    @Test(.timeLimit(.minutes(1))) func theStreamLimitIsAdvertised() async throws {
        var limits = XDSLimits()
        limits.maxStreamsPerConnection = 7
        limits.idleTimeout = .milliseconds(300)
        limits.closeGracePeriod = .milliseconds(100)
        try await XDSHarness.run(limits: limits) { harness in
            let result = try await RawConnection.open(port: harness.port).send(RawConnection.http2Preface, thenReadFor: .seconds(20))
            let bytes = result.received
            try #require(bytes.count >= 9 && bytes[3] == 0x04, "the server starts with SETTINGS")
            let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
            try #require(bytes.count >= 9 + length)
            var settings: [UInt16: UInt32] = [:]
            for offset in stride(from: 9, to: 9 + length, by: 6) {
                let id = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
                let value = bytes[(offset + 2)..<(offset + 6)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                settings[id] = value
            }
            #expect(settings[0x3] == 7)
        }
    }

    @Test func clientTextIsCutOnACharacterBoundaryWithItsLength() {
        #expect(ClientText("short").description == "short")
        let long = String(repeating: "é", count: 150)  // 300 bytes
        let shown = ClientText(long).description
        #expect(shown.hasSuffix("… (300 bytes)"))
        #expect(shown.hasPrefix(String(repeating: "é", count: 100)))
    }
}

@Suite struct AdminServerLimitsTests {
    static func withAdmin<T: Sendable>(readTimeout: Duration = .milliseconds(300), _ body: (Int) async throws -> T) async throws -> T {
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        var server = AdminServer(host: "127.0.0.1", port: 0, registry: ProxyRegistry(), metrics: nil, isReady: { true }, onListening: { listening.yield($0) })
        server.readTimeout = readTimeout
        server.maxBodyBytes = 1024
        let group = ServiceGroup(services: [server], logger: Logger(label: "admin-test"))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.next()
            return result
        }
    }

    /// Headers trickled a line at a time never finish the request: the connection is closed at
    /// the request deadline even though bytes keep arriving.
    @Test(.timeLimit(.minutes(1))) func aClientTricklingHeadersIsClosed() async throws {
        try await Self.withAdmin { port in
            let connection = try await RawConnection.open(port: port)
            let closed = try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET /healthz HTTP/1.1\r\n"))
                return try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        do { for try await _ in inbound {} } catch {}
                        return true
                    }
                    group.addTask {
                        // 10 s of one header line every 100 ms, unless the server closes first.
                        for index in 0..<100 {
                            try await Task.sleep(for: .milliseconds(100))
                            do { try await outbound.write(ByteBuffer(string: "X-Slow-\(index): y\r\n")) } catch { return true }
                        }
                        return false
                    }
                    let first = try await group.next() ?? false
                    group.cancelAll()
                    return first
                }
            }
            #expect(closed)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aBodyOverTheCapIsRefused() async throws {
        try await Self.withAdmin(readTimeout: .seconds(10)) { port in
            let body = String(repeating: "z", count: 4096)
            let request = "POST /healthz HTTP/1.1\r\nHost: coxswain\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let result = try await RawConnection.open(port: port).send(Array(request.utf8), thenReadFor: .seconds(20))
            #expect(String(decoding: result.received, as: UTF8.self).hasPrefix("HTTP/1.1 413"))
            #expect(result.closed)
        }
    }

    /// Ordinary requests are unaffected, and answered ones leave the connection open.
    @Test(.timeLimit(.minutes(1))) func aPromptRequestIsAnswered() async throws {
        try await Self.withAdmin { port in
            let result = try await RawConnection.open(port: port).send(Array("GET /healthz HTTP/1.1\r\nHost: coxswain\r\n\r\n".utf8), thenReadFor: .seconds(1))
            #expect(String(decoding: result.received, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(!result.closed, "a keep-alive connection stays open after its response")
        }
    }
}
