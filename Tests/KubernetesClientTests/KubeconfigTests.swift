import Foundation
import KubernetesAPI
import Testing
@testable import KubernetesClient

@Suite("Kubeconfig and credentials")
struct KubeconfigTests {
    static let sample = """
    apiVersion: v1
    kind: Config
    current-context: dev
    clusters:
    - name: c1
      cluster:
        server: https://10.0.0.1:6443
        certificate-authority-data: \(Data("CA PEM".utf8).base64EncodedString())
    - name: c2
      cluster:
        server: http://127.0.0.1:8080
        insecure-skip-tls-verify: true
    users:
    - name: u1
      user:
        token: abc
    - name: u2
      user:
        username: admin
        password: secret
    contexts:
    - name: dev
      context: {cluster: c1, user: u1, namespace: team}
    - name: other
      context: {cluster: c2, user: u2}
    """

    @Test func currentContextAndOverride() throws {
        let config = try Kubeconfig.parse(Self.sample)
        let dev = try ClientConfiguration.from(config)
        #expect(dev.server == "https://10.0.0.1:6443")
        #expect(dev.certificateAuthorityPEM == "CA PEM")
        #expect(dev.namespace == "team")
        guard case .token("abc") = dev.credentials else { Issue.record("expected token"); return }
        let other = try ClientConfiguration.from(config, context: "other")
        #expect(other.insecureSkipTLSVerify)
        guard case .basic("admin", "secret") = other.credentials else { Issue.record("expected basic"); return }
    }

    @Test func malformedKubeconfigsNameTheProblem() throws {
        func message(_ yaml: String, context: String? = nil) -> String {
            do {
                _ = try ClientConfiguration.from(try Kubeconfig.parse(yaml), context: context)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("clusters: [{name: a}]").contains("clusters[0].cluster: required field is missing"))
        #expect(message("clusters: {a: 1}").contains("clusters"))
        #expect(message("users: [[[").contains("not valid YAML"))
        #expect(message(Self.sample, context: "nope").contains("context \"nope\" not found"))
        #expect(message(Self.sample.replacingOccurrences(of: "cluster: c1,", with: "cluster: missing,")).contains("cluster \"missing\" not found"))
        #expect(message(Self.sample.replacingOccurrences(of: "https://10.0.0.1:6443", with: "ftp://x")).contains("is not an http(s) URL"))
        #expect(message(Self.sample.replacingOccurrences(of: "current-context: dev", with: "")).contains("no current-context"))
        let badCA = Self.sample.replacingOccurrences(of: Data("CA PEM".utf8).base64EncodedString(), with: "abc$")
        #expect(message(badCA).contains("certificate-authority-data: not valid base64"))
    }

    @Test func kubeconfigEnvironmentListIsMergedFirstWins() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try directory.write("a.yaml", """
        current-context: one
        clusters: [{name: shared, cluster: {server: "https://first:1"}}]
        users: [{name: u, user: {tokenFile: token.txt}}]
        contexts: [{name: one, context: {cluster: shared, user: u}}]
        """)
        let second = try directory.write("b.yaml", """
        current-context: two
        clusters:
        - {name: shared, cluster: {server: "https://second:2"}}
        - {name: extra, cluster: {server: "https://extra:3"}}
        contexts: [{name: two, context: {cluster: extra}}]
        """)
        let environment = ["KUBECONFIG": "\(first):\(directory.path)/missing.yaml:\(second)", "HOME": directory.path]
        let merged = try ClientConfiguration.fromKubeconfig(environment: environment)
        #expect(merged.server == "https://first:1")
        guard case .tokenFile(let path, _) = merged.credentials else { Issue.record("expected token file"); return }
        #expect(path == directory.path + "/token.txt") // relative to the file that named it
        let two = try ClientConfiguration.fromKubeconfig(context: "two", environment: environment)
        #expect(two.server == "https://extra:3")
        // ~/.kube/config when $KUBECONFIG is unset.
        try FileManager.default.createDirectory(atPath: directory.path + "/.kube", withIntermediateDirectories: true)
        _ = try directory.write(".kube/config", try String(contentsOfFile: second, encoding: .utf8))
        #expect(try ClientConfiguration.fromKubeconfig(environment: ["HOME": directory.path]).server == "https://extra:3")
    }

    @Test func tokenFileIsReReadAfterItsRefreshInterval() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("token", "first\n")
        let authenticator = Authenticator(.tokenFile(file, refreshInterval: .milliseconds(200)))
        #expect(try await authenticator.authorizationHeader() == "Bearer first")
        _ = try directory.write("token", "second")
        #expect(try await authenticator.authorizationHeader() == "Bearer first") // cached
        try await Task.sleep(for: .milliseconds(250))
        #expect(try await authenticator.authorizationHeader() == "Bearer second")
    }

    @Test func inClusterConfiguration() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.write("token", "sa-token")
        _ = try directory.write("ca.crt", "CA")
        _ = try directory.write("namespace", "coxswain-system\n")
        let config = try ClientConfiguration.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                                                       directory: directory.path)
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "coxswain-system")
        #expect(config.certificateAuthorityPEM == "CA")
        #expect(throws: KubernetesError.self) { try ClientConfiguration.inCluster(environment: [:], directory: directory.path) }
    }

    @Test func execPluginCredentialsAreCachedUntilExpiry() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let counter = directory.path + "/calls"
        let script = try directory.write("plugin.sh", """
        #!/bin/sh
        echo call >> "\(counter)"
        case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) echo "no exec info" >&2; exit 3;; esac
        printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s","expirationTimestamp":"%s"}}' "$PREFIX" "$1" "$EXPIRY"
        """, executable: true)
        func plugin(expiry: String) -> Kubeconfig.ExecConfig {
            Kubeconfig.ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: script, args: ["arg"],
                                  env: [.init(name: "PREFIX", value: "tok"), .init(name: "EXPIRY", value: expiry)])
        }
        func calls() -> Int { ((try? String(contentsOfFile: counter, encoding: .utf8)) ?? "").split(separator: "\n").count }

        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        let cached = Authenticator(.exec(plugin(expiry: future)))
        #expect(try await cached.authorizationHeader() == "Bearer tok-arg")
        #expect(try await cached.authorizationHeader() == "Bearer tok-arg")
        #expect(calls() == 1)

        let past = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-10))
        let expired = Authenticator(.exec(plugin(expiry: past)))
        _ = try await expired.authorizationHeader()
        _ = try await expired.authorizationHeader()
        #expect(calls() == 3)

        let failing = try directory.write("fail.sh", "#!/bin/sh\necho 'denied by policy' >&2\nexit 7\n", executable: true)
        let broken = Authenticator(.exec(Kubeconfig.ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: failing)))
        await expectError {
            _ = try await broken.authorizationHeader()
        } matching: { "\($0)".contains("exited with status 7") && "\($0)".contains("denied by policy") }

        let garbage = try directory.write("garbage.sh", "#!/bin/sh\necho hello\n", executable: true)
        let bad = Authenticator(.exec(Kubeconfig.ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: garbage)))
        await expectError { _ = try await bad.authorizationHeader() } matching: { "\($0)".contains("not an ExecCredential") }
    }

    @Test func rejectsUnknownExecAPIVersion() throws {
        let yaml = """
        current-context: x
        clusters: [{name: c, cluster: {server: "https://a:1"}}]
        users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha9, command: x}}}]
        contexts: [{name: x, context: {cluster: c, user: u}}]
        """
        #expect(throws: KubernetesError.self) { try ClientConfiguration.from(try Kubeconfig.parse(yaml)) }
        #expect(throws: KubernetesError.self) {
            try ClientConfiguration.from(try Kubeconfig.parse(yaml.replacingOccurrences(of: "exec: {apiVersion: client.authentication.k8s.io/v1alpha9, command: x}", with: "exec: {command: x}")))
        }
    }
}
