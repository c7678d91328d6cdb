import AsyncHTTPClient
import Foundation
import KubernetesAPI
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import Synchronization

/// One HTTP request to the API server.
public struct APIRequest: Sendable {
    public var method: HTTPMethod
    /// Path without query, e.g. `/api/v1/namespaces/default/pods`.
    public var path: String
    public var query: [(String, String)] = []
    public var body: Data?
    public var contentType = "application/json"

    public init(method: HTTPMethod, path: String, query: [(String, String)] = [], body: Data? = nil, contentType: String = "application/json") {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType
    }
}

/// The HTTP layer: TLS (verification on unless the configuration turns it off), authentication,
/// client-side rate limiting, `Retry-After` on 429, response size limits, errors decoded from `Status`.
/// Connections are kept alive and reused by AsyncHTTPClient's pool.
public final class HTTPTransport: Sendable {
    public let configuration: ClientConfiguration
    let client: HTTPClient
    /// Nil when client-side rate limiting is off (`qps` ≤ 0).
    let rateLimiter: TokenBucket?
    private let authenticator: Authenticator
    /// The TLS configuration every request uses, and the one with the client certificate an exec
    /// plugin returned last (a request carries it; a new certificate means new connections).
    private let tls: TLSConfiguration
    private let identityTLS = Mutex<(identity: ClientIdentity, tls: TLSConfiguration)?>(nil)
    /// Where requests are addressed: `configuration.server`, or with `tlsServerName` as its host.
    private let base: String
    /// The `Host` header when `base` is not the server's own authority.
    private let hostHeader: String?
    let logger: Logger

    public init(configuration: ClientConfiguration, logger: Logger = Logger(label: "coxswain.kubernetes")) throws {
        self.configuration = configuration
        self.logger = logger
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = configuration.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
            }
            if let cert = configuration.clientCertificatePEM, let key = configuration.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
            }
        } catch {
            throw KubernetesError.configuration("TLS material is not valid PEM: \(error)")
        }
        if configuration.insecureSkipTLSVerify { tls.certificateVerification = .none }
        // Closing a connection waits for the server's close_notify, 5 s by default. A server busy
        // streaming a watch may never send it, and closing the client at exit then took those 5 s.
        tls.shutdownTimeout = .milliseconds(250)
        self.tls = tls
        var http = HTTPClient.Configuration(tlsConfiguration: tls)
        // Every watch holds an HTTP/1.1 connection for minutes; AsyncHTTPClient's default of 8 per host
        // would leave an operator watching eight kinds no connection for anything else.
        http.connectionPool = .init(idleTimeout: .seconds(90), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        http.timeout = .init(connect: .seconds(10))
        http.redirectConfiguration = .disallow
        http.decompression = .disabled
        var (base, hostHeader): (String, String?) = (configuration.server, nil)
        if let name = configuration.tlsServerName, let url = URLComponents(string: configuration.server), let host = url.host, host != name {
            // AsyncHTTPClient sends SNI and verifies the certificate for the URL's host; a DNS override
            // then connects that name to the real server, as client-go's tls-server-name does.
            var renamed = url
            renamed.host = name
            http.dnsOverride = [name: host]
            (base, hostHeader) = (renamed.string ?? configuration.server, url.port.map { "\(url.percentEncodedHost ?? host):\($0)" } ?? url.percentEncodedHost)
        }
        (self.base, self.hostHeader) = (base, hostHeader)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        rateLimiter = configuration.qps > 0 ? TokenBucket(qps: configuration.qps, burst: max(1, configuration.burst)) : nil
        authenticator = Authenticator(configuration.credentials)
    }

    /// Closes pooled connections.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    func makeRequest(_ request: APIRequest) async throws -> HTTPClientRequest {
        var components = URLComponents()
        components.path = request.path
        if !request.query.isEmpty {
            components.queryItems = request.query.map { URLQueryItem(name: $0.0, value: $0.1) }
        }
        // `+` is legal in a query but means a space to Go servers' form parsing; escape it.
        let suffix = (components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? "")
        var http = HTTPClientRequest(url: base + components.percentEncodedPath + suffix)
        http.method = request.method
        if let hostHeader { http.headers.add(name: "Host", value: hostHeader) }
        http.headers.add(name: "Accept", value: "application/json")
        http.headers.add(name: "User-Agent", value: configuration.userAgent)
        let credential = try await authenticator.credential()
        if let authorization = credential.header {
            http.headers.add(name: "Authorization", value: authorization)
        }
        if let identity = credential.clientIdentity {
            http.tlsConfiguration = try tlsConfiguration(presenting: identity)
        }
        if let body = request.body {
            http.headers.add(name: "Content-Type", value: request.contentType)
            http.body = .bytes(ByteBuffer(data: body))
        }
        return http
    }

    /// The client's TLS configuration with a plugin's certificate and key, built once per certificate.
    private func tlsConfiguration(presenting identity: ClientIdentity) throws -> TLSConfiguration {
        if let known = identityTLS.withLock({ $0 }), known.identity == identity { return known.tls }
        var tls = self.tls
        do {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certificatePEM.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.keyPEM.utf8), format: .pem))
        } catch {
            throw KubernetesError.configuration("exec plugin: the client certificate or key is not valid PEM: \(error)")
        }
        identityTLS.withLock { $0 = (identity, tls) }
        return tls
    }

    /// Sends a request and returns the body of a 2xx response; anything else becomes a `KubernetesError`.
    public func send(_ request: APIRequest) async throws -> Data {
        var attempt = 0
        var reauthenticated = false
        while true {
            try await rateLimiter?.acquire()
            let http = try await makeRequest(request)
            let response: HTTPClientResponse
            let body: ByteBuffer
            do {
                response = try await client.execute(http, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds))
                body = try await response.body.collect(upTo: configuration.maxResponseBytes)
            } catch is NIOTooManyBytesError {
                throw KubernetesError.responseTooLarge(limit: configuration.maxResponseBytes)
            } catch let error as KubernetesError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw KubernetesError.transport("\(request.method.rawValue) \(request.path): \(error)")
            }
            let code = Int(response.status.code)
            if (200..<300).contains(code) { return Data(buffer: body) }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
            let error = KubernetesError.from(code: code, status: try? JSONDecoder().decode(Status.self, from: Data(buffer: body)),
                                             retryAfterSeconds: retryAfter)
            if code == 401, !reauthenticated {
                // The token may have rotated: fetch it again once.
                reauthenticated = true
                authenticator.invalidate()
                continue
            }
            if (code == 429 || (code >= 500 && retryAfter != nil)), attempt < configuration.maxRetries {
                attempt += 1
                let wait = min(Duration.seconds(retryAfter ?? 1), configuration.maxRetryAfter)
                logger.debug("retrying after server asked to wait", metadata: ["path": "\(request.path)", "code": "\(code)", "wait": "\(wait)"])
                try await Task.sleep(for: wait)
                continue
            }
            throw error
        }
    }

    /// Opens a long-lived streaming response (a watch). The caller reads `body`.
    func stream(_ request: APIRequest, timeout: Duration) async throws -> HTTPClientResponse {
        try await rateLimiter?.acquire()
        let http = try await makeRequest(request)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(http, timeout: .nanoseconds(timeout.nanoseconds))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw KubernetesError.transport("\(request.method.rawValue) \(request.path): \(error)")
        }
        let code = Int(response.status.code)
        guard (200..<300).contains(code) else {
            let body = try? await response.body.collect(upTo: 1 << 20)
            let status = body.flatMap { try? JSONDecoder().decode(Status.self, from: Data(buffer: $0)) }
            throw KubernetesError.from(code: code, status: status,
                                       retryAfterSeconds: response.headers.first(name: "Retry-After").flatMap { Int($0) })
        }
        return response
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
