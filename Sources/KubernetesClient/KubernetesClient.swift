import Foundation
import Synchronization
import KubernetesAPI
import Logging

/// Entry point: a transport plus factories for per-kind resource clients.
public struct KubernetesClient: Sendable {
    public let transport: HTTPTransport

    public init(configuration: ClientConfiguration, logger: Logger = Logger(label: "coxswain.kubernetes")) throws {
        transport = try HTTPTransport(configuration: configuration, logger: logger)
    }

    public init(transport: HTTPTransport) { self.transport = transport }

    public var configuration: ClientConfiguration { transport.configuration }

    /// A typed client for one kind.
    public func resource<Object: KubernetesObject>(_ type: Object.Type, _ kind: ResourceKind) -> ResourceClient<Object> {
        ResourceClient(transport: transport, kind: kind)
    }

    /// An untyped (JSON) client for one kind.
    public func unstructured(_ kind: ResourceKind) -> ResourceClient<UnstructuredObject> {
        ResourceClient(transport: transport, kind: kind)
    }

    /// Finds the resource serving a kind: the built-in table first, else the server's discovery document.
    public func resolve(_ gvk: GroupVersionKind) async throws -> ResourceKind {
        if let known = ResourceKind.lookup(gvk) { return known }
        let prefix = gvk.group.isEmpty ? "/api/\(gvk.version)" : "/apis/\(gvk.group)/\(gvk.version)"
        let data = try await transport.send(APIRequest(method: .GET, path: prefix))
        struct ResourceList: Decodable {
            struct Resource: Decodable { var name: String; var kind: String; var namespaced: Bool }
            var resources: [Resource]
        }
        let list = try JSONDecoder().decode(ResourceList.self, from: data)
        guard let match = list.resources.first(where: { $0.kind == gvk.kind && !$0.name.contains("/") }) else {
            throw KubernetesError.configuration("the server has no resource for \(gvk)")
        }
        return ResourceKind(group: gvk.group, version: gvk.version, kind: gvk.kind, plural: match.name, namespaced: match.namespaced)
    }

    public func shutdown() async throws { try await transport.shutdown() }

    /// Closes pooled connections, waiting at most `timeout`; says whether the close completed. For
    /// process exit: a close that does not complete in time must not keep a terminating pod alive.
    public func shutdown(within timeout: Duration) async -> Bool {
        let outcome = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            outcome.withLock { $0 = continuation }
            let finish = { @Sendable (closed: Bool) in outcome.withLock { $0.take() }?.resume(returning: closed) }
            Task { try? await self.shutdown(); finish(true) }
            Task { try? await Task.sleep(for: timeout); finish(false) }
        }
    }
}

/// Options of a list request.
public struct ListOptions: Sendable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?
    public var resourceVersion: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
                continueToken: String? = nil, resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }

    var query: [(String, String)] {
        var query: [(String, String)] = []
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        if let limit { query.append(("limit", String(limit))) }
        if let continueToken { query.append(("continue", continueToken)) }
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        return query
    }
}

/// Options of a watch request.
public struct WatchOptions: Sendable {
    public var resourceVersion: String?
    public var allowWatchBookmarks = true
    /// The server ends the watch after this long; the client reconnects.
    public var timeoutSeconds: Int? = 300
    public var labelSelector: String?
    public var fieldSelector: String?

    public init(resourceVersion: String? = nil, allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = 300,
                labelSelector: String? = nil, fieldSelector: String? = nil) {
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
    }
}

/// A patch body and its content type.
public enum Patch: Sendable {
    /// RFC 7386 JSON merge patch.
    case merge(JSONValue)
    /// RFC 6902 JSON patch operations.
    case json([JSONValue])

    var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .json: "application/json-patch+json"
        }
    }
    var body: JSONValue {
        switch self {
        case .merge(let value): value
        case .json(let operations): .array(operations)
        }
    }
}

/// Options of a delete.
public struct DeleteOptions: Sendable, Encodable {
    public enum PropagationPolicy: String, Sendable, Encodable { case orphan = "Orphan", background = "Background", foreground = "Foreground" }
    public struct Preconditions: Sendable, Encodable {
        public var uid: String?
        public var resourceVersion: String?
        public init(uid: String? = nil, resourceVersion: String? = nil) {
            self.uid = uid
            self.resourceVersion = resourceVersion
        }
    }
    public var kind = "DeleteOptions"
    public var apiVersion = "v1"
    public var propagationPolicy: PropagationPolicy?
    public var preconditions: Preconditions?
    public var gracePeriodSeconds: Int?

    public init(propagationPolicy: PropagationPolicy? = nil, preconditions: Preconditions? = nil, gracePeriodSeconds: Int? = nil) {
        self.propagationPolicy = propagationPolicy
        self.preconditions = preconditions
        self.gracePeriodSeconds = gracePeriodSeconds
    }
}

/// CRUD, list, watch and patch for one kind; typed by `Object`.
public struct ResourceClient<Object: KubernetesObject>: Sendable {
    public let transport: HTTPTransport
    public let kind: ResourceKind

    public init(transport: HTTPTransport, kind: ResourceKind) {
        self.transport = transport
        self.kind = kind
    }

    private func namespaceFor(_ namespace: String?, _ operation: String) throws -> String? {
        if kind.namespaced {
            guard let namespace, !namespace.isEmpty else {
                throw KubernetesError.configuration("\(operation) \(kind.kind): a namespace is required")
            }
            return namespace
        }
        return nil
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw KubernetesError.malformedResponse("\(kind.kind): \(Kubeconfig.describe(error))")
        }
    }

    private func encode(_ value: some Encodable) throws -> Data {
        try JSONEncoder().encode(value)
    }

    public func get(_ name: String, namespace: String? = nil) async throws -> Object {
        let path = kind.path(namespace: try namespaceFor(namespace, "get"), name: name)
        return try decode(Object.self, try await transport.send(APIRequest(method: .GET, path: path)))
    }

    /// One page (or everything, without `limit`). `namespace` nil lists all namespaces.
    public func list(namespace: String? = nil, options: ListOptions = ListOptions()) async throws -> ObjectList<Object> {
        let path = kind.path(namespace: namespace)
        return try decode(ObjectList<Object>.self, try await transport.send(APIRequest(method: .GET, path: path, query: options.query)))
    }

    /// Follows `continue` tokens until the last page; the result carries the first page's resourceVersion
    /// (a paged list is a consistent snapshot at that version).
    public func listAll(namespace: String? = nil, options: ListOptions = ListOptions(), pageSize: Int = 500) async throws -> ObjectList<Object> {
        var options = options
        options.limit = pageSize
        var items: [Object] = []
        var first: ListMeta?
        while true {
            let page = try await list(namespace: namespace, options: options)
            if first == nil { first = page.metadata }
            items.append(contentsOf: page.items)
            guard let token = page.metadata.continue, !token.isEmpty else { break }
            options.continueToken = token
            options.resourceVersion = nil
        }
        return ObjectList(metadata: ListMeta(resourceVersion: first?.resourceVersion), items: items)
    }

    /// Opens a watch; events arrive in server order. The sequence ends when the server closes the
    /// stream and throws on transport errors and garbage lines.
    public func watch(namespace: String? = nil, options: WatchOptions = WatchOptions()) async throws -> AsyncThrowingStream<WatchEvent<Object>, any Error> {
        var query: [(String, String)] = [("watch", "true")]
        if let rv = options.resourceVersion { query.append(("resourceVersion", rv)) }
        if options.allowWatchBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeout = options.timeoutSeconds { query.append(("timeoutSeconds", String(timeout))) }
        if let selector = options.labelSelector { query.append(("labelSelector", selector)) }
        if let selector = options.fieldSelector { query.append(("fieldSelector", selector)) }
        let request = APIRequest(method: .GET, path: kind.path(namespace: namespace), query: query)
        // The stream may outlive the server's timeout a little; after that, the client gives up.
        let deadline = Duration.seconds((options.timeoutSeconds ?? 3600) + 30)
        let response = try await transport.stream(request, timeout: deadline)
        let maxLine = transport.configuration.maxWatchEventBytes
        let (stream, continuation) = AsyncThrowingStream<WatchEvent<Object>, any Error>.makeStream()
        let task = Task {
            var decoder = WatchLineDecoder<Object>(maxLineBytes: maxLine)
            do {
                for try await chunk in response.body {
                    for event in try decoder.feed(chunk) { continuation.yield(event) }
                }
                for event in try decoder.finish() { continuation.yield(event) }
                continuation.finish()
            } catch let error as KubernetesError {
                continuation.finish(throwing: error)
            } catch is CancellationError {
                continuation.finish(throwing: CancellationError())
            } catch {
                continuation.finish(throwing: KubernetesError.transport("watch \(kind.plural): \(error)"))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func create(_ object: Object, namespace: String? = nil, fieldManager: String? = nil) async throws -> Object {
        let ns = try namespaceFor(namespace ?? object.metadata.namespace, "create")
        var query: [(String, String)] = []
        if let fieldManager { query.append(("fieldManager", fieldManager)) }
        let data = try await transport.send(APIRequest(method: .POST, path: kind.path(namespace: ns), query: query, body: try encode(object)))
        return try decode(Object.self, data)
    }

    /// PUT: replaces the object. With `metadata.resourceVersion` set, the server rejects it with
    /// `conflict` if the object changed since (optimistic concurrency).
    public func update(_ object: Object, fieldManager: String? = nil) async throws -> Object {
        try await put(object, subresource: nil, fieldManager: fieldManager)
    }

    /// PUT on the `status` subresource.
    public func updateStatus(_ object: Object, fieldManager: String? = nil) async throws -> Object {
        try await put(object, subresource: "status", fieldManager: fieldManager)
    }

    private func put(_ object: Object, subresource: String?, fieldManager: String?) async throws -> Object {
        guard let name = object.metadata.name else { throw KubernetesError.configuration("update \(kind.kind): metadata.name is required") }
        let path = kind.path(namespace: try namespaceFor(object.metadata.namespace, "update"), name: name, subresource: subresource)
        var query: [(String, String)] = []
        if let fieldManager { query.append(("fieldManager", fieldManager)) }
        return try decode(Object.self, try await transport.send(APIRequest(method: .PUT, path: path, query: query, body: try encode(object))))
    }

    public func patch(_ name: String, namespace: String? = nil, _ patch: Patch, subresource: String? = nil, fieldManager: String? = nil) async throws -> Object {
        let path = kind.path(namespace: try namespaceFor(namespace, "patch"), name: name, subresource: subresource)
        var query: [(String, String)] = []
        if let fieldManager { query.append(("fieldManager", fieldManager)) }
        let request = APIRequest(method: .PATCH, path: path, query: query, body: try encode(patch.body), contentType: patch.contentType)
        return try decode(Object.self, try await transport.send(request))
    }

    /// Server-side apply: the server merges the fields `fieldManager` owns; `force` takes over conflicting fields.
    public func apply(_ object: Object, fieldManager: String, force: Bool = false, subresource: String? = nil) async throws -> Object {
        guard let name = object.metadata.name else { throw KubernetesError.configuration("apply \(kind.kind): metadata.name is required") }
        let path = kind.path(namespace: try namespaceFor(object.metadata.namespace, "apply"), name: name, subresource: subresource)
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        let request = APIRequest(method: .PATCH, path: path, query: query, body: try encode(object), contentType: "application/apply-patch+yaml")
        return try decode(Object.self, try await transport.send(request))
    }

    public func delete(_ name: String, namespace: String? = nil, options: DeleteOptions = DeleteOptions()) async throws {
        let path = kind.path(namespace: try namespaceFor(namespace, "delete"), name: name)
        _ = try await transport.send(APIRequest(method: .DELETE, path: path, body: try encode(options)))
    }
}

/// Runs `body` again while it fails with `conflict` (client-go's retry.RetryOnConflict):
/// read the latest object, change it, write it with its resourceVersion.
public func retryOnConflict<T: Sendable>(maxAttempts: Int = 10, initialBackoff: Duration = .milliseconds(10),
                                         _ body: () async throws -> T) async throws -> T {
    var backoff = initialBackoff
    var attempt = 1
    while true {
        do {
            return try await body()
        } catch let error as KubernetesError where error.isConflict && attempt < maxAttempts {
            attempt += 1
            let jittered = backoff * Double.random(in: 1.0...1.5)
            try await Task.sleep(for: jittered)
            backoff *= 2
        }
    }
}
