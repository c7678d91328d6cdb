import Foundation
import KubernetesAPI
import NIOCore
import Yams
import NIOPosix
import Synchronization

/// How a `TestAPIServer` listens and behaves.
public struct TestAPIServerConfiguration: Sendable {
    /// Loopback only by default.
    public var host = "127.0.0.1"
    /// HTTPS port; 0 picks a free one.
    public var httpsPort = 0
    /// Plain HTTP port (0 picks a free one); nil for no plain listener.
    public var httpPort: Int? = 0
    /// Bearer token clients must send (always on HTTPS; on HTTP only if `requireAuthenticationOnHTTP`).
    public var token = "coxswain-" + UUID().uuidString.lowercased()
    public var requireAuthenticationOnHTTP = false
    /// Watch events kept per resource type for resuming watches; older resourceVersions get 410 Gone.
    public var eventHistoryLimit = 1000
    /// Largest accepted request body (etcd's default request limit); larger gets 413.
    public var maxRequestBodyBytes = 3 * 1024 * 1024
    /// Longest a non-watch request may take (injected latency included) before a 504.
    public var requestTimeout: Duration = .seconds(60)
    /// How often watchers that allow bookmarks get a BOOKMARK event.
    public var bookmarkInterval: Duration = .seconds(1)
    /// Events a slow watcher may have queued before its watch is closed.
    public var watchBufferLimit = 200_000
    /// The names and IPv4 addresses the serving certificate is valid for.
    public var certificateHostNames = ["localhost"]
    public var certificateIPAddresses: [[UInt8]] = [[127, 0, 0, 1]]

    public init() {}
}

/// An in-memory Kubernetes API server on loopback, for tests and `coxswain dev-apiserver`.
///
/// ```swift
/// let server = try await TestAPIServer.start()
/// try server.writeKubeconfig(to: path)           // kubectl --kubeconfig path ...
/// server.faults.failNextRequests(3, status: 429)  // fault injection
/// try await server.shutdown()
/// ```
public final class TestAPIServer: Sendable {
    public let configuration: TestAPIServerConfiguration
    /// `https://127.0.0.1:<port>`.
    public let httpsURL: String
    /// `http://127.0.0.1:<port>`, if a plain listener was asked for.
    public let httpURL: String?
    public let httpsPort: Int
    public let httpPort: Int?
    /// The bearer token the server accepts.
    public var token: String { configuration.token }
    /// PEM of the CA that signed the serving certificate (what `certificate-authority-data` holds).
    public let caCertificatePEM: String
    public let faults: FaultInjector
    private let certificates: ServingCertificates

    let store: APIStore
    private let channels: [any Channel]
    private let bookmarkTask: Task<Void, Never>

    private init(configuration: TestAPIServerConfiguration, httpsPort: Int, httpPort: Int?, certificates: ServingCertificates,
                 faults: FaultInjector, store: APIStore, channels: [any Channel], bookmarkTask: Task<Void, Never>) {
        self.configuration = configuration
        self.httpsPort = httpsPort
        self.httpPort = httpPort
        self.httpsURL = "https://\(configuration.host):\(httpsPort)"
        self.httpURL = httpPort.map { "http://\(configuration.host):\($0)" }
        self.caCertificatePEM = certificates.caCertificatePEM
        self.certificates = certificates
        self.faults = faults
        self.store = store
        self.channels = channels
        self.bookmarkTask = bookmarkTask
    }

    /// Generates certificates, binds the listeners and starts serving.
    public static func start(_ configuration: TestAPIServerConfiguration = TestAPIServerConfiguration()) async throws -> TestAPIServer {
        let certificates = try ServingCertificates.generate(hosts: configuration.certificateHostNames, ipAddresses: configuration.certificateIPAddresses)
        let tls = try certificates.serverContext()
        let store = APIStore(historyLimit: configuration.eventHistoryLimit, watchBufferLimit: configuration.watchBufferLimit,
                             schemaBuilder: SchemaSupport.builder)
        let faults = FaultInjector(store: store)
        let address = AddressBox()
        let handler = APIHandler(store: store, faults: faults, token: configuration.token,
                                 requireAuthenticationOnHTTP: configuration.requireAuthenticationOnHTTP,
                                 maxBodyBytes: configuration.maxRequestBodyBytes, requestTimeout: configuration.requestTimeout,
                                 serverAddress: { address.value })
        let group = MultiThreadedEventLoopGroup.singleton
        var channels: [any Channel] = []
        do {
            let https = try await HTTPListener.bind(host: configuration.host, port: configuration.httpsPort, group: group, tls: tls,
                                                    responder: handler, maxBodyBytes: configuration.maxRequestBodyBytes)
            channels.append(https)
            var httpPort: Int?
            if let port = configuration.httpPort {
                let http = try await HTTPListener.bind(host: configuration.host, port: port, group: group, tls: nil,
                                                       responder: handler, maxBodyBytes: configuration.maxRequestBodyBytes)
                channels.append(http)
                httpPort = http.localAddress?.port
            }
            guard let httpsPort = https.localAddress?.port else { throw TestAPIServerError.bindFailed }
            address.set("\(configuration.host):\(httpsPort)")
            let interval = configuration.bookmarkInterval
            let bookmarkTask = Task { [store] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    await store.sendBookmarks()
                }
            }
            return TestAPIServer(configuration: configuration, httpsPort: httpsPort, httpPort: httpPort,
                                 certificates: certificates, faults: faults, store: store,
                                 channels: channels, bookmarkTask: bookmarkTask)
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
    }

    /// A client certificate and key (PEM) signed by the server's CA; a request over HTTPS that presents
    /// it is authenticated as `commonName`, without a token.
    public func issueClientCertificate(commonName: String) throws -> (certificatePEM: String, keyPEM: String) {
        try certificates.issueClientCertificate(commonName: commonName)
    }

    /// Stops listening and ends all watches.
    public func shutdown() async throws {
        bookmarkTask.cancel()
        await store.dropAllWatches()
        for channel in channels { try? await channel.close() }
    }

    /// The current global resourceVersion.
    public var resourceVersion: Int64 {
        get async { await store.resourceVersion }
    }

    /// Number of open watches (for tests checking that watches are released).
    public var openWatchCount: Int {
        get async { await store.watcherCount }
    }

    /// Creates objects directly in the store (no HTTP), e.g. to preload a large state quickly.
    /// Each needs `apiVersion`, `kind` and `metadata.name` (and `metadata.namespace` when namespaced);
    /// the same validation, defaulting and events as a POST apply.
    public func seed(_ objects: [JSONValue], fieldManager: String = "seed") async throws {
        for object in objects {
            let gvk = GroupVersionKind(apiVersion: object["apiVersion"]?.stringValue ?? "", kind: object["kind"]?.stringValue ?? "")
            guard let resource = await store.resolve(group: gvk.group, version: gvk.version, kind: gvk.kind) else {
                throw APIError.badRequest("no resource serves \(gvk)")
            }
            let scope = RequestScope(resource: resource, version: gvk.version, namespace: resource.namespaced ? (object.namespace ?? "default") : nil)
            _ = try await store.create(scope, object: object, options: WriteOptions(fieldManager: fieldManager))
        }
    }

    /// Creates every object of a multi-document YAML text (e.g. the CRDs of `crds/`), like `seed(_:)`.
    public func seed(yaml text: String, fieldManager: String = "seed") async throws {
        var objects: [JSONValue] = []
        for document in try Yams.compose_all(yaml: text) {
            objects.append(try BodyDecoding.convertDocument(document))
        }
        try await seed(objects.filter { $0["kind"] != nil }, fieldManager: fieldManager)
    }

    /// Creates the objects of every `.yaml` file in `directory` (e.g. `crds/`), in file-name order;
    /// returns how many files were read (0 when the folder does not exist).
    @discardableResult
    public func seed(directory: URL, fieldManager: String = "seed") async throws -> Int {
        let files = ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "yaml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        for file in files { try await seed(yaml: try String(contentsOf: file, encoding: .utf8), fieldManager: fieldManager) }
        return files.count
    }

    /// The stored objects of a kind (all namespaces), as a GET would return them, sorted by namespace and name.
    public func objects(apiVersion: String, kind: String) async throws -> [JSONValue] {
        let gvk = GroupVersionKind(apiVersion: apiVersion, kind: kind)
        guard let resource = await store.resolve(group: gvk.group, version: gvk.version, kind: gvk.kind) else {
            throw APIError.badRequest("no resource serves \(gvk)")
        }
        let scope = RequestScope(resource: resource, version: gvk.version, namespace: nil)
        return try await store.list(scope, filter: ObjectFilter(), limit: nil, continueToken: nil).items
    }

    /// A kubeconfig for this server: HTTPS with the CA and token by default, or the plain listener.
    public func kubeconfig(useHTTPS: Bool = true, namespace: String = "default") -> String {
        Kubeconfig.render(server: useHTTPS ? httpsURL : (httpURL ?? httpsURL),
                          caPEM: useHTTPS || httpURL == nil ? caCertificatePEM : nil, token: token, namespace: namespace)
    }

    public func writeKubeconfig(to path: String, useHTTPS: Bool = true) throws {
        try kubeconfig(useHTTPS: useHTTPS).write(toFile: path, atomically: true, encoding: .utf8)
    }
}

public enum TestAPIServerError: Error {
    case bindFailed
}

/// The server's own address, known only after binding (for `/api`'s serverAddressByClientCIDRs).
private final class AddressBox: Sendable {
    private let storage = LockedString()
    var value: String { storage.get() }
    func set(_ value: String) { storage.set(value) }
}

private final class LockedString: Sendable {
    private let mutex = Mutex("127.0.0.1")
    func get() -> String { mutex.withLock { $0 } }
    func set(_ value: String) { mutex.withLock { $0 = value } }
}

/// Writes kubeconfig YAML.
enum Kubeconfig {
    static func render(server: String, caPEM: String?, token: String, namespace: String) -> String {
        var cluster = "    server: \(server)\n"
        if let caPEM {
            cluster += "    certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())\n"
        }
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: coxswain-dev
          cluster:
        \(cluster)contexts:
        - name: coxswain-dev
          context:
            cluster: coxswain-dev
            user: coxswain-dev
            namespace: \(namespace)
        current-context: coxswain-dev
        users:
        - name: coxswain-dev
          user:
            token: \(token)

        """
    }
}
