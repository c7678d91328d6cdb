import AsyncHTTPClient
import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import NIOCore
import NIOHTTP1
import NIOSSL

/// A response as tests look at it.
struct APIResponse {
    var status: Int
    var headers: HTTPHeaders
    var bytes: ByteBuffer

    var json: JSONValue? { try? JSONCoding.parse(bytes) }
    var text: String { String(buffer: bytes) }
}

/// A minimal HTTP client for the test server over real HTTPS (verifying its CA) or HTTP.
final class APITestClient: Sendable {
    let http: HTTPClient
    let baseURL: String
    let token: String?

    init(server: TestAPIServer, useHTTPS: Bool = true, token: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(server.caCertificatePEM.utf8)))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        // Generous: the whole suite shares two cores, and the server can be starved for tens of seconds.
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(180))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = useHTTPS ? server.httpsURL : server.httpURL!
        self.token = token ?? server.token
    }

    func shutdown() async throws {
        try await http.shutdown()
    }

    func request(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, rawBody: ByteBuffer? = nil,
                 contentType: String = "application/json", headers extra: [(String, String)] = []) async throws -> APIResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        request.headers.add(name: "user-agent", value: "coxswain-tests/1.0")
        for (name, value) in extra { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.body = .bytes(JSONCoding.encode(body))
            request.headers.add(name: "content-type", value: contentType)
        } else if let rawBody {
            request.body = .bytes(rawBody)
            request.headers.add(name: "content-type", value: contentType)
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return APIResponse(status: Int(response.status.code), headers: response.headers, bytes: bytes)
    }

    func get(_ path: String) async throws -> APIResponse { try await request(.GET, path) }
    func post(_ path: String, _ body: JSONValue) async throws -> APIResponse { try await request(.POST, path, body: body) }
    func put(_ path: String, _ body: JSONValue) async throws -> APIResponse { try await request(.PUT, path, body: body) }
    func delete(_ path: String, _ body: JSONValue? = nil) async throws -> APIResponse { try await request(.DELETE, path, body: body) }
    func patch(_ path: String, _ body: JSONValue, type: String) async throws -> APIResponse {
        try await request(.PATCH, path, body: body, contentType: type)
    }

    /// Opens a watch and returns its events (one JSON object per line) as they arrive.
    func watch(_ path: String, headers extra: [(String, String)] = []) async throws -> (status: Int, events: AsyncThrowingStream<JSONValue, any Error>) {
        var request = HTTPClientRequest(url: baseURL + path)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        for (name, value) in extra { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await http.execute(request, timeout: .seconds(120))
        let body = response.body
        let stream = AsyncThrowingStream<JSONValue, any Error> { continuation in
            let task = Task {
                var pending: [UInt8] = []
                do {
                    for try await chunk in body {
                        pending.append(contentsOf: chunk.readableBytesView)
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            let line = Array(pending[..<newline])
                            pending.removeSubrange(...newline)
                            if !line.isEmpty { continuation.yield(try JSONCoding.parse(line)) }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return (Int(response.status.code), stream)
    }
}

/// Starts a server and a client, runs `body`, and tears both down.
func withServer(_ configure: (inout TestAPIServerConfiguration) -> Void = { _ in },
                _ body: (TestAPIServer, APITestClient) async throws -> Void) async throws {
    var configuration = TestAPIServerConfiguration()
    configure(&configuration)
    let server = try await TestAPIServer.start(configuration)
    let client = try APITestClient(server: server)
    do {
        try await body(server, client)
        try await client.shutdown()
        try await server.shutdown()
    } catch {
        try? await client.shutdown()
        try? await server.shutdown()
        throw error
    }
}

/// Collects events from a watch stream until `count` arrived or `timeout` passed.
func collect(_ events: AsyncThrowingStream<JSONValue, any Error>, count: Int, timeout: Duration = .seconds(10)) async throws -> [JSONValue] {
    try await withThrowingTaskGroup(of: [JSONValue]?.self) { group in
        group.addTask {
            var received: [JSONValue] = []
            for try await event in events {
                received.append(event)
                if received.count >= count { break }
            }
            return received
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        return first ?? []
    }
}

func configMap(_ name: String, namespace: String = "default", data: [String: JSONValue] = ["k": "v"], labels: [String: JSONValue] = [:]) -> JSONValue {
    var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
    if !labels.isEmpty { metadata["labels"] = .object(labels) }
    return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(metadata), "data": .object(data)]
}
