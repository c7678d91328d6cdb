import GRPCNIOTransportHTTP2
import NIOCore
import NIOEmbedded
import NIOHTTP2
import Testing
@testable import XDSServer

@Suite struct InboundBufferReleaseTests {
    /// Each DATA frame goes on unchanged, then an empty one that lets gRPC's deframer drop a
    /// buffer it has read to the end; none after the end of the stream, where gRPC would take it
    /// as a protocol error.
    @Test func anEmptyDataFrameFollowsEveryDataFrameBeforeTheEndOfTheStream() throws {
        let channel = EmbeddedChannel(handler: InboundBufferRelease())
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: [":path": "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"])))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "first")))))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "last")), endStream: true)))

        var received: [String] = []
        while let payload = try channel.readInbound(as: HTTP2Frame.FramePayload.self) {
            switch payload {
            case .headers: received.append("headers")
            case .data(let data):
                guard case .byteBuffer(let buffer) = data.data else { Issue.record("a file region"); continue }
                received.append("data \"\(String(buffer: buffer))\"\(data.endStream ? " end" : "")")
            default: received.append("other")
            }
        }
        #expect(received == ["headers", "data \"first\"", "data \"\"", "data \"last\" end"])
        #expect(try channel.finish().isClean)
    }

    /// The xDS transport configuration raises each accepted connection's write buffer above a
    /// sidecar's route configuration, and adds the buffer release to each stream.
    @Test func theXDSConfigurationSetsUpConnectionsAndStreams() throws {
        let config = HTTP2ServerTransport.Posix.Config.xds
        let connection = EmbeddedChannel()
        try config.channelDebuggingCallbacks.onAcceptTCPConnection?(connection).wait()
        let mark = try connection.getOption(ChannelOptions.writeBufferWaterMark).wait()
        #expect(mark.high >= 1 << 20 && mark.low < mark.high)
        let stream = EmbeddedChannel()
        try config.channelDebuggingCallbacks.onAcceptHTTP2Stream?(stream).wait()
        #expect(throws: Never.self) { try stream.pipeline.syncOperations.handler(type: InboundBufferRelease.self) }
    }
}
