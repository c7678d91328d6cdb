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
    func cluster(client: KubernetesClient, namespaces: [String], leaderElection: LeaderElectionOptions) -> ClusterMode {
        ClusterMode(client: client, namespaces: namespaces, leaderElection: leaderElection, generator: generator,
                    debouncer: debouncer, snapshotCache: cache, registry: registry)
    }

    /// Runs `sources` (what feeds the mesh) with the xDS and admin servers until SIGTERM/SIGINT.
    /// Shutdown runs in reverse order: `stopFirst` (the status writer: it releases the lease at once),
    /// then the servers (xDS streams drain), then the sources.
    func serve(with sources: [any ServiceLifecycle.Service], stopFirst: [any ServiceLifecycle.Service] = [], host: String, xdsPort: Int,
               adminPort: Int, metrics: PrometheusCollectorRegistry) async throws {
        let ads = AggregatedDiscoveryService(generator: generator, cache: cache, registry: registry)
        let generator = self.generator
        let services: [any ServiceLifecycle.Service] = sources + [
            XDSGRPCServer(host: host, port: xdsPort, service: ads),
            AdminServer(host: host, port: adminPort, registry: registry, metrics: metrics, isReady: { generator.isReady }),
        ] + stopFirst
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

/// The ports and logging every serving command takes (`run`, `dev`), spelled the same everywhere.
struct ServingOptions: ParsableArguments {
    @Option(name: .customLong("xds-port"), help: "Port for xDS (ADS over gRPC, plaintext).")
    var xdsPort = 15010

    @Option(name: .customLong("admin-port"), help: "Port for /healthz, /readyz, /metrics and /debug/* views.")
    var adminPort = 15014

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("log-format"), help: "text or json.")
    var logFormat = "text"

    func validate() throws {
        for (flag, port) in [("--xds-port", xdsPort), ("--admin-port", adminPort)] where !(0...65535).contains(port) {
            throw ValidationError("\(flag) must be between 0 and 65535")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \"\(logLevel)\"") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format: text or json") }
    }
}
