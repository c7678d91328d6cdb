import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing
@testable import XDSServer

@Suite struct AdminServerTests {
    /// A scraper's idle keep-alive connection must not keep the process alive after SIGTERM:
    /// graceful shutdown closes it and the server returns at once.
    @Test(.timeLimit(.minutes(1)))
    func gracefulShutdownClosesIdleKeepAliveConnections() async throws {
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let server = AdminServer(host: "127.0.0.1", port: 0, registry: ProxyRegistry(), metrics: nil,
                                 isReady: { true }, onListening: { listening.yield($0) })
        let group = ServiceGroup(services: [server], logger: Logger(label: "admin-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var portIterator = ports.makeAsyncIterator()
            let port = try #require(await portIterator.next())
            let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await client.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: coxswain\r\n\r\n"))
                var responses = inbound.makeAsyncIterator()
                var response = ""
                while !response.hasSuffix("ok\n"), let chunk = try await responses.next() { response += String(buffer: chunk) }
                #expect(response.hasPrefix("HTTP/1.1 200"))

                // The connection is now idle and kept alive; shut down.
                let start = ContinuousClock.now
                await group.triggerGracefulShutdown()
                while try await responses.next() != nil {}
                try await tasks.next()
                #expect(ContinuousClock.now - start < .seconds(2), "shutdown took \(ContinuousClock.now - start)")
            }
        }
    }
}
