import Foundation
import Synchronization

/// Produces the `Authorization` header for each request, caching what is costly to get:
/// token files are re-read once they are older than their refresh interval, exec plugin
/// credentials are kept until their `expirationTimestamp`.
final class Authenticator: Sendable {
    private let credentials: ClientConfiguration.Credentials
    private struct Cached { var header: String; var validUntil: ContinuousClock.Instant? }
    private let cache = Mutex<Cached?>(nil)

    init(_ credentials: ClientConfiguration.Credentials) { self.credentials = credentials }

    /// Drops the cached credential (after a 401, the plugin or file may have a newer one).
    func invalidate() { cache.withLock { $0 = nil } }

    func authorizationHeader() async throws -> String? {
        if let cached = cache.withLock({ $0 }), cached.validUntil.map({ ContinuousClock.now < $0 }) ?? true {
            return cached.header
        }
        switch credentials {
        case .none: return nil
        case .token(let token): return "Bearer \(token)"
        case .basic(let username, let password):
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .tokenFile(let path, let refresh):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KubernetesError.configuration("cannot read token file \(path)")
            }
            let header = "Bearer " + text.trimmingCharacters(in: .whitespacesAndNewlines)
            cache.withLock { $0 = Cached(header: header, validUntil: .now + refresh) }
            return header
        case .exec(let exec):
            let (token, expiry) = try await ExecCredentialPlugin.run(exec)
            let header = "Bearer \(token)"
            var validUntil: ContinuousClock.Instant?
            if let expiry {
                let remaining = expiry.timeIntervalSinceNow
                validUntil = .now + .milliseconds(Int64(max(0, remaining) * 1000))
            }
            cache.withLock { $0 = Cached(header: header, validUntil: validUntil) }
            return header
        }
    }
}

/// Runs a `client.authentication.k8s.io` exec plugin and reads its ExecCredential.
enum ExecCredentialPlugin {
    struct ExecCredential: Decodable {
        var apiVersion: String?
        var kind: String?
        var status: CredentialStatus?
        struct CredentialStatus: Decodable {
            var token: String?
            var expirationTimestamp: String?
        }
    }

    static func run(_ config: Kubeconfig.ExecConfig) async throws -> (token: String, expiry: Date?) {
        let output = try await execute(config)
        let credential: ExecCredential
        do {
            credential = try JSONDecoder().decode(ExecCredential.self, from: output)
        } catch {
            throw KubernetesError.configuration("exec plugin \(config.command): output is not an ExecCredential: \(error)")
        }
        guard credential.kind == "ExecCredential" else {
            throw KubernetesError.configuration("exec plugin \(config.command): output kind is \(credential.kind ?? "missing"), not ExecCredential")
        }
        guard let token = credential.status?.token, !token.isEmpty else {
            throw KubernetesError.configuration("exec plugin \(config.command): status.token is missing (client certificates from plugins are not supported)")
        }
        var expiry: Date?
        if let stamp = credential.status?.expirationTimestamp {
            guard let date = ISO8601DateFormatter().date(from: stamp) else {
                throw KubernetesError.configuration("exec plugin \(config.command): status.expirationTimestamp \"\(stamp)\" is not RFC 3339")
            }
            expiry = date
        }
        return (token, expiry)
    }

    private static func execute(_ config: Kubeconfig.ExecConfig) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = [config.command] + (config.args ?? [])
                var environment = ProcessInfo.processInfo.environment
                for variable in config.env ?? [] { environment[variable.name] = variable.value }
                let version = config.apiVersion ?? "client.authentication.k8s.io/v1"
                environment["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"\#(version)","kind":"ExecCredential","spec":{"interactive":false}}"#
                process.environment = environment
                let stdout = Pipe(), stderr = Pipe()
                process.standardOutput = stdout
                process.standardError = stderr
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: KubernetesError.configuration("exec plugin \(config.command): cannot start: \(error)"))
                    return
                }
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                let errors = stderr.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                if process.terminationStatus != 0 {
                    let message = String(decoding: errors.prefix(500), as: UTF8.self)
                    continuation.resume(throwing: KubernetesError.configuration(
                        "exec plugin \(config.command) exited with status \(process.terminationStatus): \(message)"))
                } else {
                    continuation.resume(returning: output)
                }
            }
        }
    }
}
