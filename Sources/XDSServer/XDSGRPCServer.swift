import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle

/// Serves ADS on a port as a swift-service-lifecycle `Service`: on graceful shutdown it stops
/// accepting streams (HTTP/2 GOAWAY), gives open ones `drainPeriod` and then ends them, so proxies
/// reconnect elsewhere (ADS streams never finish on their own).
public struct XDSGRPCServer: Service {
    /// Certificates for serving xDS over TLS; with a client CA, proxies must present a certificate it signed.
    public struct TLS: Sendable {
        public var certificateChainPath: String
        public var privateKeyPath: String
        public var clientCAPath: String?

        public init(certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil) {
            self.certificateChainPath = certificateChainPath
            self.privateKeyPath = privateKeyPath
            self.clientCAPath = clientCAPath
        }

        /// How a port with these certificates authenticates clients: by their certificate when a
        /// client CA verifies it, else not at all (clients still see the server is genuine).
        public var clientAuthentication: ClientAuthentication {
            clientCAPath == nil ? .none(servePrivateKeys: false, reason: "TLS port without a client CA: clients are not authenticated") : .clientCertificate
        }
    }

    public var host: String
    public var port: Int
    public var tls: TLS?
    public let service: AggregatedDiscoveryService
    /// Connections, streams and request sizes this port accepts (the node id limit is the service's).
    public var limits: XDSLimits
    /// Called with the bound port once listening (port 0 picks a free one).
    public var onListening: @Sendable (Int) -> Void
    /// How long open streams are left after GOAWAY before they are ended.
    public var drainPeriod: Duration = .seconds(1)
    let logger: Logger

    public init(
        host: String = "0.0.0.0", port: Int = 15010, tls: TLS? = nil, service: AggregatedDiscoveryService, limits: XDSLimits = XDSLimits(),
        logger: Logger = Logger(label: "coxswain.xds"), onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.limits = limits
        self.host = host
        self.port = port
        self.tls = tls
        self.service = service
        self.logger = logger
        self.onListening = onListening
    }

    var transportSecurity: HTTP2ServerTransport.Posix.TransportSecurity {
        guard let tls else { return .plaintext }
        let chain: [TLSConfig.CertificateSource] = [.file(path: tls.certificateChainPath, format: .pem)]
        let key: TLSConfig.PrivateKeySource = .file(path: tls.privateKeyPath, format: .pem)
        guard let clientCA = tls.clientCAPath else { return .tls(certificateChain: chain, privateKey: key) }
        return .mTLS(certificateChain: chain, privateKey: key) { config in
            config.trustRoots = .certificates([.file(path: clientCA, format: .pem)])
        }
    }

    public func run() async throws {
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: host, port: port), transportSecurity: transportSecurity, config: .xds(limits: limits))
        let server = GRPCServer(transport: transport, services: [service])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            group.addTask { [drainPeriod, logger] in
                // Returns when graceful shutdown starts; throws (ending nothing) if the task is cancelled first.
                try await gracefulShutdown()
                server.beginGracefulShutdown()
                logger.info("draining xDS streams", metadata: ["period": "\(drainPeriod)"])
                try? await Task.sleep(for: drainPeriod)
            }
            if let bound = try await transport.listeningAddress.ipv4?.port {
                logger.info("serving xDS", metadata: ["address": "\(host)", "port": "\(bound)", "tls": "\(tls != nil)", "client-ca": "\(tls?.clientCAPath != nil)"])
                onListening(bound)
            }
            // Whichever ends first (the drain, or the server on its own) ends the other.
            _ = try await group.next()
            group.cancelAll()
        }
    }
}
