import ArgumentParser
import EnvoyAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Operator
import Synchronization
import XDSServer
#if canImport(Glibc)
import Glibc
#endif

/// `coxswain-bench xds`: the real ADS server on loopback with a synthetic mesh, K proxies
/// (played by `xds-load` in a second process) connected over real gRPC, then a series of
/// VirtualService changes. Per change: the time from the change to the last proxy's ACK of
/// config built from it (convergence), and the pushes and resource bytes the proxies received
/// meanwhile; and the server's resident memory per connected proxy.
struct XDSBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xds",
        abstract: "Convergence, push rate and memory per proxy of the ADS server under K connected proxies."
    )

    @Option(name: .long, help: "Proxies to connect (80% sidecars, 10% gateways, 10% proxyless gRPC).")
    var proxies = 1_000

    @Option(name: .long, help: "Services in the mesh.")
    var services = 1_000

    @Option(name: .long, help: "VirtualService changes to time.")
    var changes = 20

    @Option(name: .customLong("debounce-quiet"), help: "The debouncer's quiet period in milliseconds (the server's default is 100); part of the convergence time.")
    var debounceQuiet = 100

    @Option(name: .customLong("streams-per-connection"), help: "ADS streams the load client opens on one HTTP/2 connection.")
    var streamsPerConnection = 100

    @Option(name: .long, help: "Namespaces the sidecars and gRPC clients are spread over.")
    var namespaces = 5

    @Option(name: .customLong("workloads-per-namespace"), help: "Distinct sidecar workloads (label sets) per namespace.")
    var workloadsPerNamespace = 4

    enum Change: String, ExpressibleByArgument, Sendable {
        case weights, endpoints
    }

    @Option(name: .long, help: "What each change edits: a VirtualService's weights, or one endpoint of a service (an endpoints-only push).")
    var change: Change = .weights

    @Option(name: .customLong("delta-percent"), help: "Proxies (of every kind) that speak incremental xDS instead of state of the world, in percent.")
    var deltaPercent = 0

    func run() async throws {
        let fleet = ProxyFleet(namespaces: namespaces, workloadsPerNamespace: workloadsPerNamespace)
        var mesh = LoadMesh(services: services)
        let generator = MeshResourceGenerator()
        _ = generator.update(mesh.snapshot)
        let cache = SnapshotCache(generator: generator)
        let registry = ProxyRegistry()
        let debouncer = ChangeDebouncer(cache: cache, quiet: .milliseconds(debounceQuiet))
        // The fleet's gateways get their TLS servers and keys, as before the plaintext port withheld them:
        // the figures stay comparable, and the load client is local.
        let ads = AggregatedDiscoveryService(generator: generator, cache: cache, registry: registry,
                                             authentication: .none(servePrivateKeys: true, reason: "benchmark"))
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext, config: .xds)
        try await withGRPCServer(transport: transport, services: [ads]) { _ in
            guard let port = try await transport.listeningAddress.ipv4?.port else { throw ValidationError("the server has no IPv4 address") }
            print("mesh: \(mesh.serviceCount) services; \(proxies) proxies (\(deltaPercent)% delta) over \((proxies + streamsPerConnection - 1) / streamsPerConnection) HTTP/2 connections; debounce quiet \(debounceQuiet) ms; changes: \(change.rawValue)")

            // Shared resources: one snapshot per cache key, built before the proxies come.
            trimHeap()
            let rssEmpty = residentBytes()
            let warmStart = ContinuousClock.now
            var keys: [String: ProxyDescriptor] = [:]
            for index in 0..<proxies {
                let descriptor = try generator.describe(node: fleet.node(index))
                keys[descriptor.cacheKey] = descriptor
            }
            for descriptor in keys.values {
                let (snapshot, _) = await cache.snapshot(for: descriptor)
                // What state-of-the-world pushes send is written once per list, shared like the lists.
                if deltaPercent < 100 { snapshot.prepareResponses() }
            }
            trimHeap()
            let rssShared = residentBytes()
            let heapShared = heapInUseBytes()
            print("shared: \(keys.count) cache keys translated in \(milliseconds(ContinuousClock.now - warmStart)) ms, RSS +\(megabytes(rssShared - rssEmpty)) MiB")

            let client = try LoadClientProcess(arguments: [
                "xds-load", "--port", "\(port)", "--proxies", "\(proxies)", "--streams-per-connection", "\(streamsPerConnection)",
                "--namespaces", "\(namespaces)", "--workloads-per-namespace", "\(workloadsPerNamespace)", "--delta-percent", "\(deltaPercent)",
            ])
            let connectStart = ContinuousClock.now
            guard await client.nextLine(timeout: .seconds(600)) == "ready" else { throw ValidationError("the load client did not get ready") }
            let generation = await cache.generation
            guard await waitUntil(timeout: .seconds(120), { await registry.upToDate(generation: generation).synced == proxies }) else {
                throw ValidationError("the server does not see every proxy synced: \(await registry.upToDate(generation: generation))")
            }
            print("connected and synced: \(proxies) proxies in \(milliseconds(ContinuousClock.now - connectStart)) ms")
            try await Task.sleep(for: .seconds(1))
            trimHeap()
            let rssConnected = residentBytes()
            let perProxy = (rssConnected - rssShared) / max(1, proxies)
            let heapPerProxy = heapInUseBytes().map { connected in heapShared.map { (connected - $0) / max(1, proxies) / 1024 } } ?? nil
            print("server memory: RSS \(megabytes(rssConnected)) MiB, +\(megabytes(rssConnected - rssShared)) MiB for \(proxies) proxies = \(perProxy / 1024) KiB per proxy"
                + (heapPerProxy.map { " (heap in use: \($0) KiB per proxy)" } ?? ""))

            var convergence: [Duration] = []
            var pushWindows: [Duration] = []
            var pushes = 0
            var bytes = 0
            for number in 0..<changes {
                let before = try await client.stats()
                let previous = await cache.generation
                switch change {
                case .weights: mesh.changeWeights(number)
                case .endpoints: mesh.changeEndpoints(number)
                }
                let snapshot = mesh.snapshot
                let changed = ContinuousClock.now
                await debouncer.changed(generator.update(snapshot))
                guard await waitUntil(timeout: .seconds(30), { await cache.generation > previous }) else { throw ValidationError("change \(number) was not published") }
                let published = await cache.generation
                guard await waitUntil(timeout: .seconds(120), { await registry.upToDate(generation: published).synced == proxies }) else {
                    throw ValidationError("change \(number): not every proxy converged: \(await registry.upToDate(generation: published))")
                }
                let converged = ContinuousClock.now
                let publishedAt = await cache.publicationTime(of: published) ?? changed
                let after = try await client.stats()
                convergence.append(converged - changed)
                pushWindows.append(converged - publishedAt)
                pushes += after.responses - before.responses
                bytes += after.bytes - before.bytes
                print("change \(number): converged in \(milliseconds(converged - changed)) ms (\(milliseconds(converged - publishedAt)) ms after publication), \(after.responses - before.responses) pushes, \(kilobytes(after.bytes - before.bytes)) KiB")
            }
            client.finish()
            guard !convergence.isEmpty else { return }
            let windows = pushWindows.reduce(Duration.zero, +)
            let seconds = Double(windows.components.seconds) + Double(windows.components.attoseconds) / 1e18
            print("")
            print("| proxies | convergence p50 | p99 | after publication p50 | p99 | pushes/s | MB/s | KiB per proxy |")
            print("| \(proxies) | \(milliseconds(percentile(convergence, 0.5))) ms | \(milliseconds(percentile(convergence, 0.99))) ms "
                + "| \(milliseconds(percentile(pushWindows, 0.5))) ms | \(milliseconds(percentile(pushWindows, 0.99))) ms "
                + "| \(Int(Double(pushes) / seconds)) | \(String(format: "%.1f", Double(bytes) / seconds / 1e6)) | \(perProxy / 1024) |")
        }
    }

    /// The nearest-rank percentile.
    func percentile(_ values: [Duration], _ fraction: Double) -> Duration {
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    func megabytes(_ bytes: Int) -> Int { bytes / 1_048_576 }
    func kilobytes(_ bytes: Int) -> Int { bytes / 1024 }

    /// Returns freed heap to the system, so that RSS shows what is live rather than what was once used.
    func trimHeap() {
        // glibc's malloc_trim, which Swift's Glibc module does not declare.
        typealias Trim = @convention(c) (Int) -> Int32
        if let trim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") { _ = unsafeBitCast(trim, to: Trim.self)(0) }
    }

    /// Checks every 5 ms: a check counts every proxy's types, and checking every millisecond took a
    /// tenth of the server's CPU at K = 1,000 from the pushes being measured. Times are late by up to 5 ms.
    func waitUntil(timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}

/// The `xds-load` process: its stdout lines arrive through a thread of their own (reading a
/// pipe blocks, which the cooperative pool must not).
final class LoadClientProcess {
    private let process: Process
    private let input: FileHandle
    private let lines: Lines

    final class Lines: Sendable {
        let state = Mutex<(pending: [String], ended: Bool)>(([], false))
    }

    init(arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0])
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let output = stdout.fileHandleForReading
        let lines = Lines()
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = output.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    lines.state.withLock { $0.pending.append(line) }
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
            lines.state.withLock { $0.ended = true }
        }
        self.process = process
        self.input = stdin.fileHandleForWriting
        self.lines = lines
    }

    /// The next line the client prints, or nil when it ends or `timeout` passes.
    func nextLine(timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (line, ended) = lines.state.withLock { state -> (String?, Bool) in
                state.pending.isEmpty ? (nil, state.ended) : (state.pending.removeFirst(), false)
            }
            if let line { return line }
            if ended { return nil }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }

    /// How many responses and resource bytes the proxies have received so far.
    func stats() async throws -> (responses: Int, bytes: Int) {
        input.write(Data("stats\n".utf8))
        guard let line = await nextLine(timeout: .seconds(30)) else { throw ValidationError("the load client stopped answering") }
        let fields = line.split(separator: " ")
        guard fields.count == 3, fields[0] == "stats", let responses = Int(fields[1]), let bytes = Int(fields[2]) else {
            throw ValidationError("unexpected line from the load client: \(line)")
        }
        return (responses, bytes)
    }

    /// Closes the client's input; it exits.
    func finish() {
        try? input.close()
    }
}
