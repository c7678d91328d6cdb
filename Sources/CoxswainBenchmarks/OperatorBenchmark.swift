import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KubernetesAPI
import KubernetesClient
import KubernetesRuntime
import KubernetesTestServer

/// `coxswain-bench operator`: the operator end to end against the in-process test API server. A
/// `coxswain run` process (leader election on) watches it; the benchmark applies N VirtualServices (with
/// their Services and DestinationRules) in one go and times until every one is `Programmed` for its
/// generation, counts status writes per second, then grows the mesh to M objects and reads the
/// operator's resident memory.
struct OperatorBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Time until N VirtualServices applied at once are Programmed; status writes/s; operator memory at M mesh objects."
    )

    @Option(name: .customLong("virtual-services"), help: "VirtualServices applied in one go (each with a Service and a DestinationRule).")
    var virtualServices = 1000

    @Option(name: .long, help: "Mesh objects (Services, DestinationRules, VirtualServices) for the memory reading.")
    var objects = 10_000

    @Option(name: .long, help: "The coxswain executable (default: next to this one).")
    var coxswain: String?

    @Option(name: .customLong("kube-api-qps"), help: "The operator's --kube-api-qps (its client-side rate limit; default: the operator's own).")
    var kubeAPIQPS: Double?

    @Option(name: .long, help: "The operator's --kube-api-burst.")
    var kubeAPIBurst: Int?

    @Option(name: .long, help: "The operator's --log-level.")
    var operatorLogLevel = "warning"

    @Option(name: .long, help: "The CRD folder.")
    var crds = "crds"

    func run() async throws {
        var serverConfiguration = TestAPIServerConfiguration()
        serverConfiguration.eventHistoryLimit = objects * 4
        serverConfiguration.watchBufferLimit = objects * 4
        let server = try await TestAPIServer.start(serverConfiguration)
        guard try await server.seed(directory: URL(fileURLWithPath: crds)) > 0 else { throw ValidationError("no CRDs in \(crds)") }
        let kubeconfig = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-bench-\(UUID().uuidString).kubeconfig").path
        try server.writeKubeconfig(to: kubeconfig)
        var clientConfiguration = try ClientConfiguration.fromKubeconfig(path: kubeconfig)
        clientConfiguration.qps = 10_000
        clientConfiguration.burst = 10_000
        let client = try KubernetesClient(configuration: clientConfiguration)

        let executable = coxswain ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("coxswain").path
        let adminPort = Int.random(in: 20000..<30000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", "--kubeconfig", kubeconfig, "--lease-namespace", "default", "--listen-address", "127.0.0.1",
                             "--xds-port", "\(adminPort + 1)", "--admin-port", "\(adminPort)", "--log-level", operatorLogLevel]
        if let kubeAPIQPS { process.arguments! += ["--kube-api-qps", "\(kubeAPIQPS)"] }
        if let kubeAPIBurst { process.arguments! += ["--kube-api-burst", "\(kubeAPIBurst)"] }
        try process.run()
        defer { process.terminate() }
        say("waiting for \(executable) to take the lease")
        while try await leaseHolder(client) == nil { try await Task.sleep(for: .milliseconds(100)) }
        let idleRSS = residentBytes(of: process.processIdentifier)
        say("operator pid \(process.processIdentifier) leading; idle RSS \(idleRSS / 1_048_576) MB")

        let informer = Informer(client: client.unstructured(.virtualService), namespace: "default")
        let watching = Task { await informer.run() }
        defer { watching.cancel() }

        // N VirtualServices in one go.
        let writesBefore = try await statusWrites(adminPort)
        let start = ContinuousClock.now
        try await server.seed(Self.mesh(0..<virtualServices))
        let seeded = ContinuousClock.now - start
        var programmedAt: Duration?
        while programmedAt == nil {
            let programmed = try await countProgrammed(informer)
            if programmed >= virtualServices { programmedAt = ContinuousClock.now - start }
            else { try await Task.sleep(for: .milliseconds(500)) }
            if ContinuousClock.now - start > .seconds(300) { throw ValidationError("not all Programmed within 300 s") }
        }
        let writes = try await statusWrites(adminPort) - writesBefore
        let seconds = Double(programmedAt!.components.seconds) + Double(programmedAt!.components.attoseconds) / 1e18
        say(String(format: "%d VirtualServices (+%d Services, %d DestinationRules) created in %.2f s; all Programmed after %.2f s",
                     virtualServices, virtualServices, virtualServices, Double(seeded.components.seconds) + Double(seeded.components.attoseconds) / 1e18, seconds))
        say(String(format: "status writes: %.0f over %.2f s = %.0f writes/s", writes, seconds, writes / seconds))

        // Grow to `objects` mesh objects and read the operator's memory once it has settled.
        let sets = max(virtualServices, objects / 3)
        if sets > virtualServices {
            try await server.seed(Self.mesh(virtualServices..<sets))
            while try await countProgrammed(informer) < sets { try await Task.sleep(for: .milliseconds(250)) }
        }
        try await Task.sleep(for: .seconds(2))
        let rss = residentBytes(of: process.processIdentifier)
        say("at \(sets * 3) mesh objects (all Programmed): operator RSS \(rss / 1_048_576) MB (\(rss / max(1, sets * 3)) bytes per object over all)")
        process.terminate()
        // Polled, not `waitUntilExit()`: that blocks a thread of the cooperative pool, which
        // the in-process API server needs to answer the operator's last requests.
        let stopping = ContinuousClock.now
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        say(String(format: "operator exited %.2f s after SIGTERM", Double((ContinuousClock.now - stopping).components.attoseconds) / 1e18 + Double((ContinuousClock.now - stopping).components.seconds)))
        watching.cancel()
        await watching.value
        try await client.shutdown()
        try await server.shutdown()
    }

    static func mesh(_ range: Range<Int>) -> [JSONValue] {
        range.flatMap { i -> [JSONValue] in
            let name = JSONValue.string("svc-\(i)")
            let namespace = JSONValue.string("default")
            return [
                ["apiVersion": "v1", "kind": "Service", "metadata": ["name": name, "namespace": namespace],
                 "spec": ["selector": ["app": name], "ports": [["name": "http", "port": 8080]]]],
                ["apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": ["name": name, "namespace": namespace],
                 "spec": ["host": name, "subsets": [["name": "v1", "labels": ["version": "v1"]], ["name": "v2", "labels": ["version": "v2"]]]]],
                ["apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": ["name": name, "namespace": namespace],
                 "spec": ["hosts": [name], "http": [["route": [
                     ["destination": ["host": name, "subset": "v1"], "weight": 90],
                     ["destination": ["host": name, "subset": "v2"], "weight": 10],
                 ]]]]],
            ]
        }
    }

    private func leaseHolder(_ client: KubernetesClient) async throws -> String? {
        do {
            let lease = try await client.unstructured(.lease).get("coxswain-leader", namespace: "default")
            guard case .string(let holder)? = lease.object[path: ["spec", "holderIdentity"]], !holder.isEmpty else { return nil }
            return holder
        } catch let error as KubernetesError where error.isNotFound {
            return nil
        }
    }

    /// Counted from a watch-fed cache: listing and decoding every VirtualService each time would
    /// take a quarter of the machine from the operator being measured.
    private func countProgrammed(_ informer: Informer<UnstructuredObject>) async throws -> Int {
        informer.store.all.filter { object in
            guard case .array(let conditions)? = object.object[path: ["status", "conditions"]] else { return false }
            return conditions.contains { condition in
                condition["type"] == .string("Programmed") && condition["status"] == .string("True")
                    && condition["observedGeneration"] == object.object[path: ["metadata", "generation"]]
            }
        }.count
    }

    private func statusWrites(_ adminPort: Int) async throws -> Double {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(adminPort)/metrics")!)
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("coxswain_status_writes_total") {
            return Double(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }

    private func residentBytes(of pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }
}

/// A line on stdout now (print is block-buffered when stdout is a file or a pipe).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
