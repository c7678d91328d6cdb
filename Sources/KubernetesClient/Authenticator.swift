import Foundation
import Synchronization

/// What a request authenticates with: an `Authorization` header, a client certificate, or both
/// (exec plugins may return either).
struct RequestCredential: Sendable, Equatable {
    var header: String?
    var clientIdentity: ClientIdentity?
}

/// A client certificate chain and its key, PEM.
struct ClientIdentity: Sendable, Hashable {
    var certificatePEM: String
    var keyPEM: String
}

/// Produces the credential for each request, caching what is costly to get: token files are
/// re-read once they are older than their refresh interval, exec plugin credentials are kept
/// until their `expirationTimestamp`.
final class Authenticator: Sendable {
    private let credentials: ClientConfiguration.Credentials
    private struct Cached { var credential: RequestCredential; var validUntil: ContinuousClock.Instant? }
    private let cache = Mutex<Cached?>(nil)

    init(_ credentials: ClientConfiguration.Credentials) { self.credentials = credentials }

    /// Drops the cached credential (after a 401, the plugin or file may have a newer one).
    func invalidate() { cache.withLock { $0 = nil } }

    func authorizationHeader() async throws -> String? {
        try await credential().header
    }

    func credential() async throws -> RequestCredential {
        if let cached = cache.withLock({ $0 }), cached.validUntil.map({ ContinuousClock.now < $0 }) ?? true {
            return cached.credential
        }
        switch credentials {
        case .none: return RequestCredential()
        case .token(let token): return RequestCredential(header: "Bearer \(token)")
        case .basic(let username, let password):
            return RequestCredential(header: "Basic " + Data("\(username):\(password)".utf8).base64EncodedString())
        case .tokenFile(let path, let refresh):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KubernetesError.configuration("cannot read token file \(path)")
            }
            let credential = RequestCredential(header: "Bearer " + text.trimmingCharacters(in: .whitespacesAndNewlines))
            cache.withLock { $0 = Cached(credential: credential, validUntil: .now + refresh) }
            return credential
        case .exec(let exec):
            let (credential, expiry) = try await ExecCredentialPlugin.run(exec)
            var validUntil: ContinuousClock.Instant?
            if let expiry {
                let remaining = expiry.timeIntervalSinceNow
                validUntil = .now + .milliseconds(Int64(max(0, remaining) * 1000))
            }
            cache.withLock { $0 = Cached(credential: credential, validUntil: validUntil) }
            return credential
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
            var clientCertificateData: String?
            var clientKeyData: String?
            var expirationTimestamp: String?
        }
    }

    static func run(_ config: Kubeconfig.ExecConfig) async throws -> (credential: RequestCredential, expiry: Date?) {
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
        let status = credential.status
        var result = RequestCredential()
        if let token = status?.token, !token.isEmpty { result.header = "Bearer \(token)" }
        switch (status?.clientCertificateData, status?.clientKeyData) {
        case let (certificate?, key?) where !certificate.isEmpty && !key.isEmpty:
            result.clientIdentity = ClientIdentity(certificatePEM: certificate, keyPEM: key)
        case (nil, nil), ("", ""), ("", nil), (nil, ""):
            break
        default:
            throw KubernetesError.configuration("exec plugin \(config.command): status.clientCertificateData and status.clientKeyData must be given together")
        }
        guard result.header != nil || result.clientIdentity != nil else {
            throw KubernetesError.configuration("exec plugin \(config.command): status has neither a token nor clientCertificateData and clientKeyData")
        }
        var expiry: Date?
        if let stamp = credential.status?.expirationTimestamp {
            guard let date = ISO8601DateFormatter().date(from: stamp) else {
                throw KubernetesError.configuration("exec plugin \(config.command): status.expirationTimestamp \"\(stamp)\" is not RFC 3339")
            }
            expiry = date
        }
        return (result, expiry)
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
