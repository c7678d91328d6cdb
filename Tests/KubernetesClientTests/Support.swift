import Foundation
import KubernetesAPI
import KubernetesClient
import KubernetesRuntime
import KubernetesTestServer
import Synchronization
import Testing

/// core/v1 ConfigMap, the object most tests write.
struct ConfigMap: KubernetesObject, Equatable {
    var apiVersion: String? = "v1"
    var kind: String? = "ConfigMap"
    var metadata: ObjectMeta
    var data: [String: String]?

    init(name: String, namespace: String = "default", data: [String: String]? = nil, labels: [String: String]? = nil) {
        metadata = ObjectMeta(name: name, namespace: namespace, labels: labels)
        self.data = data
    }
}

/// A temporary directory removed when the test ends.
struct TemporaryDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "coxswain-kube-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Starts a test API server and a client configured from the kubeconfig it writes (HTTPS, its CA, its token).
func withServer(_ configure: (inout ClientConfiguration) -> Void = { _ in },
                serverConfiguration: TestAPIServerConfiguration = TestAPIServerConfiguration(),
                _ body: (TestAPIServer, KubernetesClient) async throws -> Void) async throws {
    let server = try await TestAPIServer.start(serverConfiguration)
    var configuration = try ClientConfiguration.from(try Kubeconfig.parse(server.kubeconfig()))
    configuration.qps = 1000
    configuration.burst = 1000
    // The whole suite runs in parallel on two cores: leave room before calling a request dead.
    configuration.requestTimeout = .seconds(120)
    configure(&configuration)
    let client = try KubernetesClient(configuration: configuration)
    do {
        try await body(server, client)
    } catch {
        try? await client.shutdown()
        try? await server.shutdown()
        throw error
    }
    try await client.shutdown()
    try await server.shutdown()
}

/// Polls `condition` until true or the timeout passes.
func eventually(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A Mutex in a class, so escaping closures (tasks) can share it.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { value in try body(&value) }
    }
}

/// Expects `body` to throw an error that `matching` accepts; records the error otherwise.
func expectError(_ body: () async throws -> Void, matching: (any Error) -> Bool,
                 sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected an error, got none", sourceLocation: sourceLocation)
    } catch {
        #expect(matching(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
    }
}
