import Foundation
import KubernetesAPI
import NIOCore
import NIOHTTP1

/// Routes HTTP requests: authentication, faults, size limits, then discovery,
/// OpenAPI, fault control, or a resource operation on the store.
struct APIHandler: HTTPRequestResponder {
    let store: APIStore
    let faults: FaultInjector
    let token: String
    let requireAuthenticationOnHTTP: Bool
    let maxBodyBytes: Int
    let requestTimeout: Duration
    let serverAddress: @Sendable () -> String

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let authenticated = request.headers.first(name: "authorization") == "Bearer \(token)" || request.clientCommonName != nil
        if (request.isTLS || requireAuthenticationOnHTTP) && !authenticated {
            return Self.error(.unauthorized)
        }
        if request.path.hasPrefix("/_fault/") {
            return await handleFault(request)
        }
        switch faults.decide(for: request.headers) {
        case .drop:
            return HTTPResponse(status: .serviceUnavailable, headers: [:], body: .closeConnection)
        case .fail(let error, let delay):
            if let delay { try? await Task.sleep(for: delay) }
            return Self.error(error)
        case .proceed(let delay):
            if let delay {
                if delay >= requestTimeout {
                    try? await Task.sleep(for: requestTimeout)
                    return Self.error(.timeout("the request did not complete within the allowed duration"))
                }
                try? await Task.sleep(for: delay)
            }
        }
        if request.bodyTooLarge { return Self.error(.tooLarge(limit: maxBodyBytes)) }
        return await withTimeout(requestTimeout) {
            do throws(APIError) {
                return try await route(request)
            } catch {
                return Self.error(error)
            }
        }
    }

    /// Produces the response, or a 504 once `timeout` passes (a watch's stream is not limited by this:
    /// only producing its first response is).
    private func withTimeout(_ timeout: Duration, _ work: @escaping @Sendable () async -> HTTPResponse) async -> HTTPResponse {
        await withTaskGroup(of: HTTPResponse?.self) { group in
            group.addTask { await work() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? Self.error(.timeout("the request did not complete within the allowed duration of \(timeout)"))
        }
    }

    // MARK: - Responses

    static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "application/json"], body: .full(JSONCoding.encode(value)))
    }

    static func error(_ error: APIError) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(error.status)) ?? Data()
        var headers: HTTPHeaders = ["content-type": "application/json"]
        if let retryAfter = error.retryAfterSeconds { headers.add(name: "retry-after", value: String(retryAfter)) }
        return HTTPResponse(status: HTTPResponseStatus(statusCode: error.code), headers: headers,
                            body: .full(ByteBuffer(bytes: data)))
    }

    // MARK: - Routing

    private func route(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let accept = request.headers.first(name: "accept") ?? ""
        switch segments.first {
        case nil:
            return Self.json(["paths": ["/api", "/api/v1", "/apis", "/openapi/v2", "/openapi/v3", "/version", "/healthz"]])
        case "version" where segments.count == 1:
            return Self.json(Discovery.version())
        case "healthz", "readyz", "livez":
            return HTTPResponse(status: .ok, headers: ["content-type": "text/plain"], body: .full(ByteBuffer(string: "ok")))
        case "openapi":
            return try await openAPI(segments: segments, accept: accept)
        case "api":
            if segments.count == 1 { return Self.json(Discovery.coreVersions(serverAddress: serverAddress())) }
            guard segments[1] == "v1" else { throw .notFoundPath(request.path) }
            if segments.count == 2 {
                return Self.json(Discovery.resourceList(group: "", version: "v1", types: await store.resourceTypes()))
            }
            return try await resource(request, group: "", version: "v1", rest: Array(segments[2...]), accept: accept)
        case "apis":
            let types = await store.resourceTypes()
            if segments.count == 1 { return Self.json(Discovery.groupList(types)) }
            if segments.count == 2 {
                guard let group = Discovery.groups(types).first(where: { $0.name == segments[1] }) else { throw .notFoundPath(request.path) }
                return Self.json(Discovery.groupJSON(name: group.name, versions: group.versions))
            }
            if segments.count == 3 {
                guard types.contains(where: { $0.group == segments[1] && $0.versions.contains(segments[2]) }) else { throw .notFoundPath(request.path) }
                return Self.json(Discovery.resourceList(group: segments[1], version: segments[2], types: types))
            }
            return try await resource(request, group: segments[1], version: segments[2], rest: Array(segments[3...]), accept: accept)
        default:
            throw .notFoundPath(request.path)
        }
    }

    private func openAPI(segments: [String], accept: String) async throws(APIError) -> HTTPResponse {
        let types = await store.resourceTypes()
        if segments.count == 2 && segments[1] == "v2" {
            if accept.contains("protobuf") {
                return HTTPResponse(status: .ok, headers: ["content-type": OpenAPI.v2ProtobufContentType],
                                    body: .full(ByteBuffer(bytes: OpenAPI.v2Protobuf)))
            }
            return Self.json(OpenAPI.v2JSON())
        }
        if segments.count >= 2 && segments[1] == "v3" {
            if segments.count == 2 { return Self.json(OpenAPI.root(types)) }
            let path = segments[2...].joined(separator: "/")
            guard let document = OpenAPI.groupVersionDocument(path: path, types: types) else { throw .notFoundPath("/openapi/v3/\(path)") }
            return Self.json(document)
        }
        throw .notFoundPath("/" + segments.joined(separator: "/"))
    }

    /// `/api/v1/...` or `/apis/<group>/<version>/...`: the resource part of the path.
    private func resource(_ request: HTTPRequest, group: String, version: String, rest: [String], accept: String) async throws(APIError) -> HTTPResponse {
        var namespace: String?
        var remainder = rest
        var request = request
        // Legacy watch paths: /api/v1/watch/namespaces/<ns>/pods is ?watch=true on the list.
        if remainder.first == "watch" {
            remainder.removeFirst()
            request.query["watch"] = "true"
        }
        // namespaces/<ns>/<resource>/... addresses namespaced objects; namespaces/<ns>[/status|/finalize] the namespace itself.
        if remainder.count >= 3, remainder[0] == "namespaces", !(remainder.count == 3 && ["status", "finalize"].contains(remainder[2])) {
            namespace = remainder[1]
            remainder = Array(remainder[2...])
        }
        guard let plural = remainder.first, remainder.count <= 3 else { throw .notFoundPath(request.path) }
        guard let type = await store.resolve(group: group, version: version, plural: plural) else { throw .notFoundPath(request.path) }
        let name = remainder.count >= 2 ? remainder[1] : nil
        var subresource = remainder.count == 3 ? remainder[2] : nil
        if subresource == "finalize" && type.plural == "namespaces" { subresource = nil }
        if let subresource, !(subresource == "status" && type.hasStatus) {
            throw .notFoundPath(request.path)
        }
        if type.namespaced == false && namespace != nil { throw .notFoundPath(request.path) }
        let scope = RequestScope(resource: type, version: version, namespace: namespace)
        let query = request.query

        switch (request.method, name) {
        case (.GET, nil):
            let filter = try self.filter(query, type: type, namespace: namespace)
            if query["watch"] == "true" || query["watch"] == "1" {
                return try await watch(scope, filter: filter, query: query, accept: accept)
            }
            let limit = query["limit"].flatMap(Int.init)
            let page = try await store.list(scope, filter: filter, limit: limit, continueToken: query["continue"])
            var metadata: [String: JSONValue] = ["resourceVersion": .string(String(page.resourceVersion))]
            if let token = page.continueToken { metadata["continue"] = .string(token) }
            if let remaining = page.remainingItemCount { metadata["remainingItemCount"] = .integer(Int64(remaining)) }
            if TableRenderer.wantsTable(accept: accept) {
                return Self.json(TableRenderer.table(rows: page.items, resource: type, version: version, listMetadata: .object(metadata)))
            }
            return Self.json([
                "kind": .string(type.listKind), "apiVersion": .string(scope.apiVersion),
                "metadata": .object(metadata), "items": .array(page.items),
            ])
        case (.GET, let name?):
            let object = try await store.get(scope, name: name)
            if TableRenderer.wantsTable(accept: accept) {
                return Self.json(TableRenderer.table(rows: [object], resource: type, version: version,
                                                     listMetadata: ["resourceVersion": object["metadata"]?["resourceVersion"] ?? ""]))
            }
            return Self.json(object)
        case (.POST, nil):
            let body = try BodyDecoding.decode(request.body, contentType: request.headers.first(name: "content-type") ?? "")
            let options = writeOptions(request)
            let created = try await store.create(scope, object: body, options: options)
            return Self.withWarnings(Self.json(created, status: .created), options)
        case (.PUT, let name?):
            let body = try BodyDecoding.decode(request.body, contentType: request.headers.first(name: "content-type") ?? "")
            let options = writeOptions(request)
            let updated = try await store.update(scope, name: name, object: body, subresource: subresource, options: options)
            return Self.withWarnings(Self.json(updated), options)
        case (.PATCH, let name?):
            let contentType = request.headers.first(name: "content-type") ?? ""
            guard let patchType = PatchType(contentType: contentType) else { throw .unsupportedMediaType(contentType) }
            let body = try BodyDecoding.decode(request.body, contentType: contentType)
            var options = writeOptions(request)
            if patchType == .apply {
                guard let manager = query["fieldManager"], !manager.isEmpty else {
                    throw .badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
                }
                options.fieldManager = manager
            } else if query["force"] != nil {
                throw .badRequest("force: Forbidden: may not be specified for non-apply patch")
            }
            let existed = (try? await store.get(scope, name: name)) != nil
            let patched = try await store.patch(scope, name: name, subresource: subresource, type: patchType, patch: body, options: options)
            return Self.withWarnings(Self.json(patched, status: existed || patchType != .apply ? .ok : .created), options)
        case (.DELETE, let name?):
            var options = DeleteOptions()
            options.dryRun = query["dryRun"] == "All"
            if let body = request.body, body.readableBytes > 0 {
                let value = try BodyDecoding.decode(body, contentType: "application/json")
                options.preconditionUID = value[path: ["preconditions", "uid"]]?.stringValue
                options.preconditionResourceVersion = value[path: ["preconditions", "resourceVersion"]]?.stringValue
                if let policy = value["propagationPolicy"]?.stringValue, !["Orphan", "Background", "Foreground"].contains(policy) {
                    throw .badRequest("propagationPolicy: Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")
                }
                if value[path: ["dryRun"]]?.arrayValue?.contains("All") == true { options.dryRun = true }
            }
            if let policy = query["propagationPolicy"], !["Orphan", "Background", "Foreground"].contains(policy) {
                throw .badRequest("propagationPolicy: Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")
            }
            return Self.json(try await store.delete(scope, name: name, options: options))
        case (.DELETE, nil):
            let filter = try self.filter(query, type: type, namespace: namespace)
            let deleted = try await store.deleteCollection(scope, filter: filter, options: DeleteOptions(dryRun: query["dryRun"] == "All"))
            return Self.json(["kind": .string(type.listKind), "apiVersion": .string(scope.apiVersion),
                              "metadata": ["resourceVersion": .string(String(await store.resourceVersion))], "items": .array(deleted)])
        default:
            throw .methodNotAllowed()
        }
    }

    /// `Warning: 299 - "<text>"` headers, as kube-apiserver sends them (kubectl prints them).
    static func withWarnings(_ response: HTTPResponse, _ options: WriteOptions) -> HTTPResponse {
        var response = response
        for message in options.warnings?.all ?? [] {
            let quoted = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            response.headers.add(name: "warning", value: "299 - \"\(quoted)\"")
        }
        return response
    }

    private func filter(_ query: [String: String], type: ResourceType, namespace: String?) throws(APIError) -> ObjectFilter {
        var filter = ObjectFilter(namespace: namespace)
        if let labels = query["labelSelector"], !labels.isEmpty { filter.labels = try LabelSelector(parsing: labels) }
        if let fields = query["fieldSelector"], !fields.isEmpty { filter.fields = try FieldSelector(parsing: fields, for: type) }
        return filter
    }

    private func writeOptions(_ request: HTTPRequest) -> WriteOptions {
        let query = request.query
        let userAgent = request.headers.first(name: "user-agent") ?? "unknown"
        let defaultManager = String(userAgent.split(separator: "/").first ?? "unknown")
        return WriteOptions(
            fieldManager: query["fieldManager"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultManager,
            dryRun: query["dryRun"] == "All",
            strictFieldValidation: query["fieldValidation"] == "Strict",
            ignoreUnknownFields: query["fieldValidation"] == "Ignore",
            force: query["force"] == "true",
            warnings: WarningCollector())
    }

    private func watch(_ scope: RequestScope, filter: ObjectFilter, query: [String: String], accept: String) async throws(APIError) -> HTTPResponse {
        let sendInitialEvents = query["sendInitialEvents"].map { $0 == "true" }
        let stream = try await store.watch(
            scope, filter: filter, resourceVersion: query["resourceVersion"],
            allowBookmarks: query["allowWatchBookmarks"] == "true", sendInitialEvents: sendInitialEvents,
            rendering: TableRenderer.wantsTable(accept: accept) ? .table : .object)
        let timeout = query["timeoutSeconds"].flatMap(Int64.init).map { Duration.seconds(max(0, $0)) }
        return HTTPResponse(status: .ok, headers: ["content-type": "application/json", "transfer-encoding": "chunked"],
                            body: .stream(stream, timeout: timeout ?? .seconds(1800)))
    }

    // MARK: - Fault control over HTTP

    /// `POST /_fault/{fail,latency,partition,heal,clear,drop-watches,gone,garbage-watch,compact}` with query parameters
    /// `count`, `status`, `retryAfter`, `milliseconds`, `userAgent`, `header`, `value`.
    private func handleFault(_ request: HTTPRequest) async -> HTTPResponse {
        guard request.method == .POST else { return Self.error(.methodNotAllowed()) }
        let query = request.query
        let scope = FaultScope(userAgentContains: query["userAgent"], headerName: query["header"], headerValue: query["value"])
        switch request.path {
        case "/_fault/fail":
            faults.failNextRequests(Int(query["count"] ?? "1") ?? 1, status: Int(query["status"] ?? "500") ?? 500,
                                    retryAfterSeconds: Int(query["retryAfter"] ?? "1") ?? 1, scope: scope)
        case "/_fault/latency":
            faults.addLatency(.milliseconds(Int(query["milliseconds"] ?? "0") ?? 0), scope: scope)
        case "/_fault/partition": faults.partition(scope)
        case "/_fault/heal": faults.healPartitions()
        case "/_fault/clear": faults.clear()
        case "/_fault/drop-watches": await faults.dropAllWatches()
        case "/_fault/gone": await faults.forceGoneOnNextWatch(count: Int(query["count"] ?? "1") ?? 1)
        case "/_fault/garbage-watch": await faults.garbleNextWatch(count: Int(query["count"] ?? "1") ?? 1)
        case "/_fault/compact": await faults.compactHistory()
        default: return Self.error(.notFoundPath(request.path))
        }
        return Self.json(["kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200])
    }
}
