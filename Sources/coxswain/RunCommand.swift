import ArgumentParser
import Foundation
import KubernetesClient
import Logging
import MeshAPI
import Metrics
import Operator
import Prometheus
import ServiceLifecycle
import XDSServer

/// `coxswain run`: the control plane. Against a Kubernetes API server it watches the mesh,
/// serves xDS and (while it holds the lease) writes status; with `--config-dir` it serves the
/// mesh described by the YAML in a folder (no cluster needed) and follows edits to it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve xDS for the mesh in a Kubernetes cluster (or, with --config-dir, in a folder of YAML).",
        discussion: """
        Without --config-dir, connects with --kubeconfig/--context, else $KUBECONFIG or ~/.kube/config, else the pod's \
        service account. Every replica watches and serves xDS; the one holding the Lease writes status.

        With --config-dir, nothing transient reaches proxies. A changed file is taken once its content has stayed \
        the same for --config-settle and it decodes; until then, and whenever it does not decode, cannot be read or \
        holds no documents, its last good objects stay in effect and the problem is logged with file:line. Deleting \
        a file removes its objects (after --config-settle), but only while the folder still holds other config \
        files: a missing folder, or one with no config files left, keeps everything and is logged as an error. To \
        remove the last objects on purpose, leave a file with an empty List (apiVersion: v1, kind: List, items: []). \
        The same object in two files is an error naming both; the one that was serving first keeps serving. \
        Dot-named entries are skipped and symlinks followed, so a mounted ConfigMap (..data swaps) is read as \
        Kubernetes means it. Changes are seen through inotify where available, else by polling.
        """
    )

    @Option(name: .customLong("config-dir"), help: "Serve a folder of YAML/JSON instead of a cluster: VirtualServices, DestinationRules, Gateways and the Services, EndpointSlices, Pods and Secrets they use.")
    var configDir: String?

    @Option(name: .customLong("config-settle"), help: "Milliseconds a changed file in --config-dir must stay the same before it is taken.")
    var configSettle = 500

    @Option(name: .long, help: "Path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config, else in-cluster).")
    var kubeconfig: String?

    @Option(name: .long, help: "The kubeconfig context to use (default: its current-context).")
    var context: String?

    @Option(name: .customLong("namespace"), help: "Watch only this namespace (repeatable; default: all).")
    var namespaces: [String] = []

    /// Gateways' credentials live in the gateway workloads' namespaces (Istio reads them there), so
    /// the operator can be kept from reading every Secret of the cluster.
    @Option(name: .customLong("secret-namespace"), help: "Watch Secrets (Gateway credentials) only in this namespace (repeatable; default: where --namespace says). The RBAC in config/rbac grants Secrets only in istio-system.")
    var secretNamespaces: [String] = []

    @Flag(name: .customLong("leader-elect"), inversion: .prefixedNo, help: "Elect one replica to write status through a Lease.")
    var leaderElect = true

    @Option(name: .customLong("lease-name"), help: "Name of the coordination.k8s.io Lease.")
    var leaseName = "coxswain-leader"

    @Option(name: .customLong("lease-namespace"), help: "Namespace of the Lease (default: $POD_NAMESPACE, the pod's namespace, else coxswain-system).")
    var leaseNamespace: String?

    @Option(name: .customLong("lease-duration"), help: "Seconds a follower waits after the last renewal before taking over.")
    var leaseDuration = 15.0

    @Option(name: .customLong("renew-deadline"), help: "Seconds the leader keeps trying to renew before it steps down.")
    var renewDeadline = 10.0

    @Option(name: .customLong("retry-period"), help: "Seconds between leader election attempts.")
    var retryPeriod = 1.0

    /// Off by default, as in controller-runtime since v0.21: SIG API Machinery advises relying on the
    /// API server's Priority and Fairness, and the status workers already bound requests in flight.
    @Option(name: .customLong("kube-api-qps"), help: "Client-side limit on requests per second to the API server (status writes, relists); 0 or less: none, leaving it to the API server's Priority and Fairness.")
    var kubeAPIQPS = -1.0

    @Option(name: .customLong("kube-api-burst"), help: "Requests allowed in a burst above --kube-api-qps, when that is set.")
    var kubeAPIBurst = 200

    @Option(name: .long, help: "This replica's identity in the Lease (default: $POD_NAME or the host name, plus a random suffix).")
    var identity: String?

    @OptionGroup var serving: ServingOptions

    @Option(name: .customLong("listen-address"), help: "Address the xDS and admin ports bind to, unless --xds-address or --admin-address says otherwise.")
    var listenAddress: String?

    @Option(name: .customLong("xds-address"), help: "Address the xDS ports bind to (default: all interfaces: proxies must reach them).")
    var xdsAddress: String?

    /// The admin port shows every proxy's config: by default it is not on every interface.
    @Option(name: .customLong("admin-address"), help: "Address the admin port binds to (default: 127.0.0.1 with --config-dir; else $POD_IP, where the kubelet probes, or 127.0.0.1).")
    var adminAddress: String?

    @Option(name: .customLong("debounce-quiet"), help: "Milliseconds of quiet after a change before it is pushed.")
    var debounceQuiet = 100

    @Option(name: .customLong("debounce-max"), help: "Most milliseconds a change waits while changes keep coming.")
    var debounceMax = 1000


    func validate() throws {
        if configDir != nil, kubeconfig != nil || context != nil || !namespaces.isEmpty || !secretNamespaces.isEmpty {
            throw ValidationError("--config-dir serves a folder: --kubeconfig, --context, --namespace and --secret-namespace do not apply")
        }
        if let configDir {
            // Serving nothing from a mistyped path would look like a healthy, empty mesh.
            var info = stat()
            guard stat(configDir, &info) == 0 else {
                throw ValidationError("--config-dir \(configDir): \(ConfigFiles.describe(errno: errno, path: configDir))")
            }
        }
        guard configSettle >= 0 else { throw ValidationError("--config-settle must be 0 or more") }
        guard retryPeriod > 0, retryPeriod < renewDeadline, renewDeadline < leaseDuration else {
            throw ValidationError("leader election needs 0 < --retry-period < --renew-deadline < --lease-duration")
        }
    }

    func run() async throws {
        let metrics = bootstrapObservability(level: serving.logLevel, format: serving.logFormat)
        let plane = ControlPlane(debounceQuiet: debounceQuiet, debounceMax: debounceMax)
        if let configDir {
            let directory = URL(fileURLWithPath: configDir)
            plane.logger.info("coxswain starting", metadata: ["config-dir": "\(directory.path)", "xds-port": "\(serving.xdsPort)", "admin-port": "\(serving.adminPort)"])
            let files = FileModeRunner(watcher: ConfigDirectoryWatcher(directory: directory, settle: .milliseconds(configSettle)), generator: plane.generator, debouncer: plane.debouncer)
            try await plane.serve(with: [files], serving: serving, xdsAddress: boundXDSAddress, adminAddress: boundAdminAddress, metrics: metrics)
            return
        }
        var configuration = try clientConfiguration()
        configuration.qps = kubeAPIQPS
        configuration.burst = kubeAPIBurst
        let client = try KubernetesClient(configuration: configuration)
        let election = leaderElection(defaultNamespace: configuration.namespace)
        plane.logger.info("coxswain starting", metadata: [
            "server": "\(configuration.server)", "namespaces": "\(namespaces.isEmpty ? "all" : namespaces.joined(separator: ","))",
            "leader-elect": "\(leaderElect)", "lease": "\(election.leaseNamespace)/\(election.leaseName)", "identity": "\(election.identity)",
            "secret-namespaces": "\(secretNamespaces.isEmpty ? "as --namespace" : secretNamespaces.joined(separator: ","))",
            "xds-port": "\(serving.xdsPort)", "admin-port": "\(serving.adminPort)",
        ])
        do {
            let cluster = plane.cluster(client: client, namespaces: namespaces, secretNamespaces: secretNamespaces, leaderElection: election)
            try await plane.serve(with: cluster.sources, stopFirst: cluster.stopFirst, serving: serving,
                                  xdsAddress: boundXDSAddress, adminAddress: boundAdminAddress, metrics: metrics)
        } catch {
            try? await client.shutdown()
            throw error
        }
        await close(client, logger: plane.logger)
    }

    var boundXDSAddress: String { xdsAddress ?? listenAddress ?? "0.0.0.0" }

    var boundAdminAddress: String {
        if let address = adminAddress ?? listenAddress { return address }
        if configDir != nil { return "127.0.0.1" }
        return ProcessInfo.processInfo.environment["POD_IP"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
    }

    private func leaderElection(defaultNamespace: String?) -> LeaderElectionOptions {
        var election = LeaderElectionOptions(identity: identity ?? LeaderElectionOptions.defaultIdentity())
        election.enabled = leaderElect
        election.leaseName = leaseName
        election.leaseNamespace = leaseNamespace ?? ProcessInfo.processInfo.environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? defaultNamespace ?? "coxswain-system"
        election.leaseDuration = .milliseconds(Int64(leaseDuration * 1000))
        election.renewDeadline = .milliseconds(Int64(renewDeadline * 1000))
        election.retryPeriod = .milliseconds(Int64(retryPeriod * 1000))
        return election
    }

    /// --kubeconfig/--context, else $KUBECONFIG or ~/.kube/config when present, else the pod's service account.
    private func clientConfiguration() throws -> ClientConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"].map { "\($0)/.kube/config" }
        if kubeconfig != nil || context != nil || environment["KUBECONFIG"].map({ !$0.isEmpty }) == true
            || home.map({ FileManager.default.fileExists(atPath: $0) }) == true {
            return try ClientConfiguration.fromKubeconfig(path: kubeconfig, context: context)
        }
        return try ClientConfiguration.inCluster()
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
