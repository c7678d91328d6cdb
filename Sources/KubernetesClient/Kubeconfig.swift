import Foundation
import Yams

/// The parts of a kubeconfig file Coxswain reads (clusters, users, contexts).
/// Field names are kubectl's; unknown fields are ignored as kubectl does.
public struct Kubeconfig: Codable, Sendable, Equatable {
    public var currentContext: String?
    public var clusters: [NamedCluster]
    public var users: [NamedUser]
    public var contexts: [NamedContext]

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context", clusters, users, contexts
    }

    public init(currentContext: String? = nil, clusters: [NamedCluster] = [], users: [NamedUser] = [], contexts: [NamedContext] = []) {
        self.currentContext = currentContext
        self.clusters = clusters
        self.users = users
        self.contexts = contexts
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        currentContext = try c.decodeIfPresent(String.self, forKey: .currentContext)
        clusters = try c.decodeIfPresent([NamedCluster].self, forKey: .clusters) ?? []
        users = try c.decodeIfPresent([NamedUser].self, forKey: .users) ?? []
        contexts = try c.decodeIfPresent([NamedContext].self, forKey: .contexts) ?? []
    }

    public struct NamedCluster: Codable, Sendable, Equatable {
        public var name: String
        public var cluster: Cluster
    }
    public struct Cluster: Codable, Sendable, Equatable {
        public var server: String
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?
        enum CodingKeys: String, CodingKey {
            case server, certificateAuthority = "certificate-authority", certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify", tlsServerName = "tls-server-name"
        }
    }
    public struct NamedUser: Codable, Sendable, Equatable {
        public var name: String
        public var user: User
    }
    public struct User: Codable, Sendable, Equatable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var username: String?
        public var password: String?
        public var exec: ExecConfig?
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate", clientCertificateData = "client-certificate-data"
            case clientKey = "client-key", clientKeyData = "client-key-data"
        }
    }
    public struct ExecConfig: Codable, Sendable, Equatable {
        public var apiVersion: String?
        public var command: String
        public var args: [String]?
        public var env: [EnvVar]?
        public struct EnvVar: Codable, Sendable, Equatable {
            public var name: String
            public var value: String
        }
    }
    public struct NamedContext: Codable, Sendable, Equatable {
        public var name: String
        public var context: Context
    }
    public struct Context: Codable, Sendable, Equatable {
        public var cluster: String
        public var user: String?
        public var namespace: String?
    }

    /// Parses kubeconfig YAML; errors name the field that is wrong.
    public static func parse(_ yaml: String, source: String = "kubeconfig") throws -> Kubeconfig {
        do {
            return try YAMLDecoder().decode(Kubeconfig.self, from: yaml)
        } catch let error as DecodingError {
            throw KubernetesError.configuration("\(source): \(Self.describe(error))")
        } catch {
            throw KubernetesError.configuration("\(source): not valid YAML: \(error)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "(top level)" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "\(parent == "(top level)" ? "" : parent + ".")\(key.stringValue): required field is missing"
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context.codingPath)): expected \(type), found null"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// Merges files as kubectl merges `$KUBECONFIG`: the first file to define a name wins,
    /// and the first non-empty current-context wins.
    public static func merged(_ configs: [Kubeconfig]) -> Kubeconfig {
        var result = Kubeconfig()
        for config in configs {
            if result.currentContext?.isEmpty ?? true { result.currentContext = config.currentContext }
            for c in config.clusters where !result.clusters.contains(where: { $0.name == c.name }) { result.clusters.append(c) }
            for u in config.users where !result.users.contains(where: { $0.name == u.name }) { result.users.append(u) }
            for x in config.contexts where !result.contexts.contains(where: { $0.name == x.name }) { result.contexts.append(x) }
        }
        return result
    }

    /// Loads kubeconfig the way kubectl does: an explicit path, else `$KUBECONFIG`
    /// (colon-separated, missing files skipped, merged), else `~/.kube/config`.
    public static func load(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (Kubeconfig, baseDirectories: [String: String]) {
        var paths: [String]
        if let path {
            paths = [path]
        } else if let list = environment["KUBECONFIG"], !list.isEmpty {
            paths = list.split(separator: ":").map(String.init).filter { FileManager.default.fileExists(atPath: $0) }
        } else {
            paths = [(environment["HOME"] ?? NSHomeDirectory()) + "/.kube/config"]
        }
        guard !paths.isEmpty else { throw KubernetesError.configuration("no kubeconfig file found in $KUBECONFIG") }
        var configs: [Kubeconfig] = []
        // Relative file references resolve against the file that names them.
        var baseDirectories: [String: String] = [:]
        for path in paths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KubernetesError.configuration("cannot read kubeconfig \(path)")
            }
            let config = try parse(text, source: path)
            let directory = (path as NSString).deletingLastPathComponent
            for c in config.clusters where baseDirectories["cluster/" + c.name] == nil { baseDirectories["cluster/" + c.name] = directory }
            for u in config.users where baseDirectories["user/" + u.name] == nil { baseDirectories["user/" + u.name] = directory }
            configs.append(config)
        }
        return (merged(configs), baseDirectories)
    }
}
