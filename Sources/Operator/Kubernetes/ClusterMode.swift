import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging
import ServiceLifecycle
import XDSServer

/// How a replica takes part in leader election.
public struct LeaderElectionOptions: Sendable {
    /// Off: this replica always writes status (one replica only).
    public var enabled = true
    public var leaseName = "coxswain-leader"
    public var leaseNamespace = "coxswain-system"
    public var identity: String
    public var leaseDuration: Duration = .seconds(15)
    public var renewDeadline: Duration = .seconds(10)
    /// One second (client-go uses two): a follower then sees the last renewal within a second and
    /// tries again within another, so it takes over at most leaseDuration + 2 s after the leader died.
    public var retryPeriod: Duration = .seconds(1)

    public init(identity: String = LeaderElectionOptions.defaultIdentity()) {
        self.identity = identity
    }

    /// `$POD_NAME` in a pod, else the host name; plus a random suffix so two processes never share one.
    public static func defaultIdentity(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["POD_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.hostName
        return "\(base)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// Runs the status writer while this replica leads (or always, without leader election).
/// On graceful shutdown the term ends, in-flight writes finish and the lease is released.
public struct StatusLeadership: ServiceLifecycle.Service {
    public let elector: LeaderElector?
    public let writer: StatusWriter

    public init(elector: LeaderElector?, writer: StatusWriter) {
        self.elector = elector
        self.writer = writer
    }

    public func run() async throws {
        if let elector {
            await elector.run(whileLeading: { await writer.run() })
        } else {
            await cancelWhenGracefulShutdown { await writer.run() }
        }
    }
}

/// One replica against a cluster: the cache and translation loop that feed the xDS server (every
/// replica) and the leader-elected status writer.
public struct ClusterMode: Sendable {
    public let cache: ClusterCache
    public let runner: ClusterRunner
    public let leadership: StatusLeadership
    public let board: StatusBoard
    /// Publishes this replica's proxy report for the leader (with leader election only).
    public let reporter: ProxyReporter?

    public init(client: KubernetesClient, namespaces: [String], secretNamespaces: [String] = [], leaderElection: LeaderElectionOptions, generator: MeshResourceGenerator,
                debouncer: ChangeDebouncer, snapshotCache: SnapshotCache, registry: ProxyRegistry, logger: Logger = Logger(label: "coxswain")) {
        cache = ClusterCache(client: client, namespaces: namespaces, secretNamespaces: secretNamespaces)
        board = StatusBoard()
        runner = ClusterRunner(cache: cache, generator: generator, debouncer: debouncer, snapshotCache: snapshotCache, board: board)
        // With several replicas: the lease, and the proxy reports that let the leader count every replica's proxies.
        var elector: LeaderElector?
        var reports: ReplicaReports?
        if leaderElection.enabled {
            var configuration = LeaderElectionConfiguration(leaseName: leaderElection.leaseName, namespace: leaderElection.leaseNamespace,
                                                            identity: leaderElection.identity)
            configuration.leaseDuration = leaderElection.leaseDuration
            configuration.renewDeadline = leaderElection.renewDeadline
            configuration.retryPeriod = leaderElection.retryPeriod
            elector = LeaderElector(client: client, configuration: configuration)
            reports = ReplicaReports(client: client, namespace: leaderElection.leaseNamespace, identity: leaderElection.identity)
            reporter = ProxyReporter(client: client, namespace: leaderElection.leaseNamespace, identity: leaderElection.identity,
                                     board: board, snapshotCache: snapshotCache, registry: registry)
        } else {
            reporter = nil
        }
        let writer = StatusWriter(client: client, cache: cache, board: board, snapshotCache: snapshotCache, registry: registry, reports: reports)
        leadership = StatusLeadership(elector: elector, writer: writer)
    }

    /// What feeds the xDS server: start it before the servers, stop it after them.
    public var sources: [any ServiceLifecycle.Service] { [runner] }
    /// The status writer: started after the servers and stopped first on shutdown, so a terminating
    /// leader releases the lease at once.
    public var stopFirst: [any ServiceLifecycle.Service] { [leadership] + (reporter.map { [$0] } ?? []) }
    public var services: [any ServiceLifecycle.Service] { sources + stopFirst }
}
