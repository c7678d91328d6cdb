import ArgumentParser
import Foundation
import Logging
import Metrics
import Operator
import Prometheus
import ServiceLifecycle
import XDSServer

/// `coxswain run`: the control plane. With `--config-dir` it serves the mesh described by
/// the YAML in a folder (no cluster needed) and follows edits to it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve xDS for a mesh: the Kubernetes-style YAML in --config-dir, re-read when files change.",
        discussion: "Watching a Kubernetes API server (with leader election and status) is not in this build: run needs --config-dir."
    )

    @Option(name: .customLong("config-dir"), help: "A folder of YAML/JSON: VirtualServices, DestinationRules, Gateways and the Services, EndpointSlices, Pods and Secrets they use.")
    var configDir: String?

    @Option(name: .customLong("xds-port"), help: "Port for xDS (ADS over gRPC, plaintext).")
    var xdsPort = 15010

    @Option(name: .customLong("admin-port"), help: "Port for /healthz, /readyz, /metrics and /debug/* views.")
    var adminPort = 15014

    @Option(name: .customLong("listen-address"), help: "Address both ports bind to.")
    var listenAddress = "0.0.0.0"

    @Option(name: .customLong("debounce-quiet"), help: "Milliseconds of quiet after a change before it is pushed.")
    var debounceQuiet = 100

    @Option(name: .customLong("debounce-max"), help: "Most milliseconds a change waits while changes keep coming.")
    var debounceMax = 1000

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("log-format"), help: "text or json.")
    var logFormat = "text"

    func validate() throws {
        guard configDir != nil else {
            throw ValidationError("give --config-dir DIR (watching a Kubernetes API server is not in this build)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \"\(logLevel)\"") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format: text or json") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
        let logger = Logger(label: "coxswain")

        let directory = URL(fileURLWithPath: configDir ?? ".")
        let generator = MeshResourceGenerator()
        let cache = SnapshotCache(generator: generator)
        let registry = ProxyRegistry()
        let debouncer = ChangeDebouncer(cache: cache, quiet: .milliseconds(debounceQuiet), maxDelay: .milliseconds(debounceMax))
        let ads = AggregatedDiscoveryService(generator: generator, cache: cache, registry: registry)
        let services: [any ServiceLifecycle.Service] = [
            FileModeRunner(watcher: ConfigDirectoryWatcher(directory: directory), generator: generator, debouncer: debouncer),
            XDSGRPCServer(host: listenAddress, port: xdsPort, service: ads),
            AdminServer(host: listenAddress, port: adminPort, registry: registry, metrics: metrics, isReady: { generator.isReady }),
        ]
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("coxswain starting", metadata: ["config-dir": "\(directory.path)", "xds-port": "\(xdsPort)", "admin-port": "\(adminPort)"])
        try await group.run()
    }
}

/// One JSON object per line, for log collectors.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = ["level": event.level.rawValue, "logger": label, "msg": "\(event.message)",
                                        "time": ISO8601DateFormatter().string(from: Date())]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) { fields[key] = "\(value)" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var data = try? encoder.encode(fields) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}
