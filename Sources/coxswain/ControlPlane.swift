import ArgumentParser
import Foundation
import KubernetesClient
import Logging
import Metrics
import Operator
import Prometheus
import ServiceLifecycle
import XDSServer

/// The parts every way of running Coxswain shares: the generator the mesh is installed in, the
/// xDS snapshot cache, the proxy registry and the push debouncer, served on the xDS and admin ports.
struct ControlPlane {
    let generator = MeshResourceGenerator()
    let cache: SnapshotCache
    let registry = ProxyRegistry()
    let debouncer: ChangeDebouncer
    let logger = Logger(label: "coxswain")

    init(debounceQuiet: Int, debounceMax: Int) {
        cache = SnapshotCache(generator: generator)
        debouncer = ChangeDebouncer(cache: cache, quiet: .milliseconds(debounceQuiet), maxDelay: .milliseconds(debounceMax))
    }

    /// The controllers for one replica against a cluster.
    func cluster(client: KubernetesClient, namespaces: [String], secretNamespaces: [String] = [], leaderElection: LeaderElectionOptions) -> ClusterMode {
        ClusterMode(client: client, namespaces: namespaces, secretNamespaces: secretNamespaces, leaderElection: leaderElection, generator: generator,
                    debouncer: debouncer, snapshotCache: cache, registry: registry)
    }

    /// Runs `sources` (what feeds the mesh) with the xDS and admin servers until SIGTERM/SIGINT.
    /// Shutdown runs in reverse order: `stopFirst` (the status writer: it releases the lease at once),
    /// then the servers (xDS streams drain), then the sources.
    func serve(with sources: [any ServiceLifecycle.Service], stopFirst: [any ServiceLifecycle.Service] = [], serving: ServingOptions,
               xdsAddress: String, adminAddress: String, metrics: PrometheusCollectorRegistry) async throws {
        let limits = serving.limits
        let plaintext = AggregatedDiscoveryService(
            generator: generator, cache: cache, registry: registry,
            authentication: .none(servePrivateKeys: serving.insecurePlaintextSecrets, reason: "plaintext port: clients are not authenticated"),
            limits: limits)
        var servers: [any ServiceLifecycle.Service] = [XDSGRPCServer(host: xdsAddress, port: serving.xdsPort, service: plaintext, limits: limits)]
        if let tls = serving.tls {
            let authenticated = AggregatedDiscoveryService(generator: generator, cache: cache, registry: registry,
                                                           authentication: tls.clientAuthentication, limits: limits)
            servers.append(XDSGRPCServer(host: xdsAddress, port: serving.xdsTLSPort, tls: tls, service: authenticated, limits: limits))
        }
        if serving.insecurePlaintextSecrets {
            logger.warning("--insecure-plaintext-secrets: anyone who can reach the plaintext xDS port can read the Gateways' private keys",
                           metadata: ["xds-port": "\(serving.xdsPort)"])
        }
        let generator = self.generator
        let admin = AdminServer(host: adminAddress, port: serving.adminPort, registry: registry, metrics: metrics, isReady: { generator.isReady })
        let services: [any ServiceLifecycle.Service] = sources + servers + [admin] + stopFirst
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// Closes the API client on the way out, without letting a close that hangs keep the process alive
/// past its graceful shutdown (the lease is released and xDS drained by then).
func close(_ client: KubernetesClient, logger: Logger) async {
    if await !client.shutdown(within: .seconds(3)) {
        logger.warning("API server connections did not close within 3 s; exiting anyway")
    }
}

/// Logging (text or JSON lines on stderr) and Prometheus metrics, once per process.
func bootstrapObservability(level: String, format: String) -> PrometheusCollectorRegistry {
    let level = Logger.Level(rawValue: level) ?? .info
    let json = format == "json"
    LoggingSystem.bootstrap { label in
        var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    let metrics = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
    return metrics
}

/// The ports, limits and logging every serving command takes (`run`, `dev`), spelled the same everywhere.
struct ServingOptions: ParsableArguments {
    @Option(name: .customLong("xds-port"), help: "Port for xDS over plaintext gRPC (ADS). Serves no private keys unless --insecure-plaintext-secrets.")
    var xdsPort = 15010

    @Option(name: .customLong("xds-tls-port"), help: "Port for xDS over TLS (like istiod's 15012), served when --xds-tls-cert and --xds-tls-key are given.")
    var xdsTLSPort = 15012

    @Option(name: .customLong("xds-tls-cert"), help: "PEM certificate chain the TLS xDS port presents.")
    var xdsTLSCert: String?

    @Option(name: .customLong("xds-tls-key"), help: "PEM private key of --xds-tls-cert.")
    var xdsTLSKey: String?

    @Option(name: .customLong("xds-client-ca"), help: "PEM CA that signs proxies' client certificates: with it the TLS port requires one, and a gateway whose certificate names spiffe://<domain>/ns/<ns>/sa/<sa> gets the private keys of the Gateways that select its own Pod in its namespace.")
    var xdsClientCA: String?

    @Flag(name: .customLong("insecure-plaintext-secrets"), help: "INSECURE: serve Gateways' private keys on the plaintext xDS port, to any client that claims to be a gateway.")
    var insecurePlaintextSecrets = false

    @Option(name: .customLong("admin-port"), help: "Port for /healthz, /readyz, /metrics and /debug/* views.")
    var adminPort = 15014

    @Option(name: .customLong("xds-max-connections"), help: "Most open xDS connections (per port); more are closed on arrival.")
    var xdsMaxConnections = XDSLimits().maxConnections

    @Option(name: .customLong("xds-max-streams-per-connection"), help: "HTTP/2 max concurrent streams on one xDS connection.")
    var xdsMaxStreamsPerConnection = XDSLimits().maxStreamsPerConnection

    @Option(name: .customLong("xds-max-request-bytes"), help: "Largest xDS request message accepted.")
    var xdsMaxRequestBytes = XDSLimits().maxRequestBytes

    @Option(name: .customLong("xds-max-node-id-bytes"), help: "Longest node id accepted; a longer one ends the stream.")
    var xdsMaxNodeIDBytes = XDSLimits().maxNodeIDBytes

    @Option(name: .customLong("xds-idle-timeout"), help: "Seconds an xDS connection may have no stream before it is asked to go (GOAWAY); it is closed outright up to 5 s later (a TLS handshake or HTTP/2 preface that never completes too).")
    var xdsIdleTimeout = 60.0

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("log-format"), help: "text or json.")
    var logFormat = "text"

    var limits: XDSLimits {
        var limits = XDSLimits()
        limits.maxConnections = xdsMaxConnections
        limits.maxStreamsPerConnection = xdsMaxStreamsPerConnection
        limits.maxRequestBytes = xdsMaxRequestBytes
        limits.maxNodeIDBytes = xdsMaxNodeIDBytes
        limits.idleTimeout = .milliseconds(Int64(xdsIdleTimeout * 1000))
        limits.closeGracePeriod = .milliseconds(Int64(min(xdsIdleTimeout, 5) * 1000))
        return limits
    }

    /// The TLS port's certificates, when it is configured.
    var tls: XDSGRPCServer.TLS? {
        guard let xdsTLSCert, let xdsTLSKey else { return nil }
        return XDSGRPCServer.TLS(certificateChainPath: xdsTLSCert, privateKeyPath: xdsTLSKey, clientCAPath: xdsClientCA)
    }

    func validate() throws {
        for (flag, port) in [("--xds-port", xdsPort), ("--xds-tls-port", xdsTLSPort), ("--admin-port", adminPort)] where !(0...65535).contains(port) {
            throw ValidationError("\(flag) must be between 0 and 65535")
        }
        guard (xdsTLSCert == nil) == (xdsTLSKey == nil) else { throw ValidationError("--xds-tls-cert and --xds-tls-key go together") }
        if xdsClientCA != nil, xdsTLSCert == nil { throw ValidationError("--xds-client-ca needs --xds-tls-cert and --xds-tls-key") }
        for (flag, value) in [("--xds-max-connections", xdsMaxConnections), ("--xds-max-streams-per-connection", xdsMaxStreamsPerConnection),
                              ("--xds-max-request-bytes", xdsMaxRequestBytes), ("--xds-max-node-id-bytes", xdsMaxNodeIDBytes)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1")
        }
        guard xdsIdleTimeout > 0 else { throw ValidationError("--xds-idle-timeout must be more than 0 seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \"\(logLevel.prefix(40))\"") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format: text or json") }
    }
}
