import Foundation

/// Everything needed to talk to one API server: where, how to trust it, who we are, and how hard to push.
public struct ClientConfiguration: Sendable {
    /// e.g. `https://10.0.0.1:6443` (no trailing slash).
    public var server: String
    /// PEM bundle of the CAs that may sign the server's certificate; nil uses the system roots.
    public var certificateAuthorityPEM: String?
    /// Turns verification off. Only when a kubeconfig explicitly says so.
    public var insecureSkipTLSVerify = false
    /// The name to send as SNI and to verify the server's certificate against, when it differs from
    /// the host in `server` (e.g. the server is reached by IP address).
    public var tlsServerName: String?
    /// Client certificate and key, PEM.
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    public var credentials: Credentials = .none
    /// Namespace from the context (or the service account's), for callers that want a default.
    public var namespace = "default"
    /// Client-side rate limit (client-go's defaults are 5 and 10). A `qps` of 0 or less turns it
    /// off, leaving the pacing to the API server's Priority and Fairness.
    public var qps: Double = 5
    public var burst = 10
    /// Deadline for a non-streaming request.
    public var requestTimeout: Duration = .seconds(30)
    /// Largest response body accepted.
    public var maxResponseBytes = 64 * 1024 * 1024
    /// Largest single watch event line.
    public var maxWatchEventBytes = 16 * 1024 * 1024
    /// How many times a 429 (or 503 with Retry-After) is retried before the error is returned.
    public var maxRetries = 5
    /// Longest Retry-After honoured.
    public var maxRetryAfter: Duration = .seconds(30)
    public var userAgent = "coxswain"

    public init(server: String) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
    }

    /// How requests authenticate.
    public enum Credentials: Sendable {
        case none
        case token(String)
        /// Re-read when older than `refreshInterval` (projected service account tokens rotate).
        case tokenFile(String, refreshInterval: Duration = .seconds(60))
        case basic(username: String, password: String)
        case exec(Kubeconfig.ExecConfig)
    }

    /// Builds a configuration from a kubeconfig and an optional context name.
    public static func fromKubeconfig(path: String? = nil, context: String? = nil,
                                      environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ClientConfiguration {
        let (config, directories) = try Kubeconfig.load(path: path, environment: environment)
        return try from(config, context: context, baseDirectories: directories)
    }

    public static func from(_ config: Kubeconfig, context contextName: String? = nil, baseDirectories: [String: String] = [:]) throws -> ClientConfiguration {
        guard let name = contextName ?? config.currentContext, !name.isEmpty else {
            throw KubernetesError.configuration("kubeconfig has no current-context and no context was given")
        }
        guard let context = config.contexts.first(where: { $0.name == name })?.context else {
            throw KubernetesError.configuration("context \"\(name)\" not found in kubeconfig")
        }
        guard let cluster = config.clusters.first(where: { $0.name == context.cluster })?.cluster else {
            throw KubernetesError.configuration("context \"\(name)\": cluster \"\(context.cluster)\" not found in kubeconfig")
        }
        guard let url = URL(string: cluster.server), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw KubernetesError.configuration("clusters[\(context.cluster)].cluster.server: \"\(cluster.server)\" is not an http(s) URL")
        }
        if let name = cluster.tlsServerName, !name.isEmpty, scheme != "https" {
            throw KubernetesError.configuration("clusters[\(context.cluster)].cluster.tls-server-name: needs an https server, not \"\(cluster.server)\"")
        }
        func resolve(_ path: String, _ key: String) -> String {
            path.hasPrefix("/") ? path : (baseDirectories[key] ?? ".") + "/" + path
        }
        func readFile(_ path: String, field: String) throws -> String {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KubernetesError.configuration("\(field): cannot read \(path)")
            }
            return text
        }
        func decodeBase64(_ text: String, field: String) throws -> String {
            guard let data = Data(base64Encoded: text.filter { !$0.isWhitespace }), let string = String(data: data, encoding: .utf8) else {
                throw KubernetesError.configuration("\(field): not valid base64")
            }
            return string
        }
        var result = ClientConfiguration(server: cluster.server)
        result.namespace = context.namespace ?? "default"
        result.insecureSkipTLSVerify = cluster.insecureSkipTLSVerify ?? false
        result.tlsServerName = cluster.tlsServerName.flatMap { $0.isEmpty ? nil : $0 }
        let clusterField = "clusters[\(context.cluster)].cluster"
        if let data = cluster.certificateAuthorityData {
            result.certificateAuthorityPEM = try decodeBase64(data, field: "\(clusterField).certificate-authority-data")
        } else if let file = cluster.certificateAuthority {
            result.certificateAuthorityPEM = try readFile(resolve(file, "cluster/" + context.cluster), field: "\(clusterField).certificate-authority")
        }
        if let userName = context.user, !userName.isEmpty {
            guard let user = config.users.first(where: { $0.name == userName })?.user else {
                throw KubernetesError.configuration("context \"\(name)\": user \"\(userName)\" not found in kubeconfig")
            }
            let userField = "users[\(userName)].user"
            if let data = user.clientCertificateData {
                result.clientCertificatePEM = try decodeBase64(data, field: "\(userField).client-certificate-data")
            } else if let file = user.clientCertificate {
                result.clientCertificatePEM = try readFile(resolve(file, "user/" + userName), field: "\(userField).client-certificate")
            }
            if let data = user.clientKeyData {
                result.clientKeyPEM = try decodeBase64(data, field: "\(userField).client-key-data")
            } else if let file = user.clientKey {
                result.clientKeyPEM = try readFile(resolve(file, "user/" + userName), field: "\(userField).client-key")
            }
            if (result.clientCertificatePEM == nil) != (result.clientKeyPEM == nil) {
                throw KubernetesError.configuration("\(userField): client-certificate and client-key must be given together")
            }
            if let token = user.token, !token.isEmpty {
                result.credentials = .token(token)
            } else if let file = user.tokenFile {
                result.credentials = .tokenFile(resolve(file, "user/" + userName))
            } else if let username = user.username, let password = user.password {
                result.credentials = .basic(username: username, password: password)
            } else if let exec = user.exec {
                let version = exec.apiVersion ?? ""
                guard ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"].contains(version) else {
                    throw KubernetesError.configuration("\(userField).exec.apiVersion: \"\(version)\" is not client.authentication.k8s.io/v1 or v1beta1")
                }
                result.credentials = .exec(exec)
            }
        }
        return result
    }

    /// The configuration of a pod's service account (`KUBERNETES_SERVICE_HOST`/`PORT`, token and CA files).
    public static func inCluster(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 directory: String = "/var/run/secrets/kubernetes.io/serviceaccount") throws -> ClientConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubernetesError.configuration("not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
        }
        let tokenPath = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubernetesError.configuration("in-cluster: cannot read service account token \(tokenPath)")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var result = ClientConfiguration(server: "https://\(hostPart):\(port)")
        guard let ca = try? String(contentsOfFile: directory + "/ca.crt", encoding: .utf8) else {
            throw KubernetesError.configuration("in-cluster: cannot read \(directory)/ca.crt")
        }
        result.certificateAuthorityPEM = ca
        result.credentials = .tokenFile(tokenPath)
        if let namespace = try? String(contentsOfFile: directory + "/namespace", encoding: .utf8) {
            result.namespace = namespace.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return result
    }
}
