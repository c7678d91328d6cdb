import Foundation
import KubernetesAPI
import NIOCore
import Synchronization

/// Where a request points: a resource type, the version the client speaks, and a namespace.
struct RequestScope: Sendable {
    var resource: ResourceType
    var version: String
    var namespace: String?

    var apiVersion: String { resource.apiVersion(version) }
}

/// Options common to writes (query parameters of POST, PUT, PATCH).
struct WriteOptions: Sendable {
    var fieldManager: String
    var dryRun = false
    /// `fieldValidation=Strict`: unknown fields are an error instead of being pruned.
    var strictFieldValidation = false
    /// `fieldValidation=Ignore`: unknown fields are pruned without a warning.
    var ignoreUnknownFields = false
    var force = false
    /// Where `Warning` headers for pruned unknown fields are collected (fieldValidation Warn, the default).
    var warnings: WarningCollector?
}

/// Warnings a write produced, for the response's `Warning` headers.
final class WarningCollector: Sendable {
    private let messages = Mutex<[String]>([])

    func add(_ message: String) { messages.withLock { $0.append(message) } }
    var all: [String] { messages.withLock { $0 } }
}

/// `DeleteOptions` that change behaviour here.
struct DeleteOptions: Sendable {
    var preconditionUID: String?
    var preconditionResourceVersion: String?
    var dryRun = false
}

/// One page of a list.
struct ListResult: Sendable {
    var items: [JSONValue]
    var resourceVersion: Int64
    var continueToken: String?
    var remainingItemCount: Int?
}

/// The objects of one resource type with their history and open watches.
/// Owned by `APIStore`; never leaves it.
final class ResourceTable {
    var resource: ResourceType
    var objects: [String: JSONValue] = [:]
    private var sortedKeyCache: [String]?
    var history: EventHistory
    var watchers: [Int: Watcher] = [:]

    init(resource: ResourceType, historyLimit: Int) {
        self.resource = resource
        self.history = EventHistory(capacity: historyLimit)
    }

    /// Keys in order; recomputed only after inserts or deletes, so paging through a large list is cheap.
    var sortedKeys: [String] {
        if let sortedKeyCache { return sortedKeyCache }
        let keys = objects.keys.sorted()
        sortedKeyCache = keys
        return keys
    }

    func put(_ key: String, _ object: JSONValue) {
        if objects.updateValue(object, forKey: key) == nil { sortedKeyCache = nil }
    }

    func remove(_ key: String) {
        if objects.removeValue(forKey: key) != nil { sortedKeyCache = nil }
    }
}

/// The in-memory API state: every resource type's objects, one global
/// `resourceVersion`, event histories and watches. One actor so every write is
/// atomic and totally ordered, exactly what a watch's resourceVersion promises.
actor APIStore {
    private var tables: [GroupResource: ResourceTable] = [:]
    private(set) var resourceVersion: Int64 = 0
    private var nextWatcherID = 0
    private let historyLimit: Int
    private let watchBufferLimit: Int
    private let schemaBuilder: SchemaBuilder?
    private var forcedGoneWatches = 0
    private var garbledWatches = 0
    private var defaults = BuiltInDefaults()

    static let initialNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    init(historyLimit: Int, watchBufferLimit: Int = 200_000, schemaBuilder: SchemaBuilder?) {
        self.historyLimit = historyLimit
        self.watchBufferLimit = watchBufferLimit
        self.schemaBuilder = schemaBuilder
        var tables: [GroupResource: ResourceTable] = [:]
        for resource in ResourceType.builtIns {
            tables[resource.groupResource] = ResourceTable(resource: resource, historyLimit: historyLimit)
        }
        let now = Timestamp.now()
        var version: Int64 = 0
        let namespaces = tables[GroupResource(group: "", resource: "namespaces")]!
        for name in Self.initialNamespaces {
            version += 1
            namespaces.put(name, [
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": [
                    "name": .string(name), "uid": .string(UUID().uuidString.lowercased()),
                    "resourceVersion": .string(String(version)), "creationTimestamp": .string(now),
                    "labels": ["kubernetes.io/metadata.name": .string(name)],
                ],
                "spec": ["finalizers": ["kubernetes"]],
                "status": ["phase": "Active"],
            ])
        }
        self.tables = tables
        self.resourceVersion = version
    }

    // MARK: - Resource types

    /// The type serving `group/version/plural`, if that version is served.
    func resolve(group: String, version: String, plural: String) -> ResourceType? {
        guard let table = tables[GroupResource(group: group, resource: plural)], table.resource.versions.contains(version) else { return nil }
        return table.resource
    }

    /// The type of `kind` in `group` that serves `version`.
    func resolve(group: String, version: String, kind: String) -> ResourceType? {
        tables.values.first { $0.resource.group == group && $0.resource.kind == kind && $0.resource.versions.contains(version) }?.resource
    }

    func resourceTypes() -> [ResourceType] {
        tables.values.map(\.resource).sorted { ($0.group, $0.plural) < ($1.group, $1.plural) }
    }

    func namespaceExists(_ name: String) -> Bool {
        tables[GroupResource(group: "", resource: "namespaces")]?.objects[name] != nil
    }

    // MARK: - Reads

    private func table(_ resource: ResourceType) throws(APIError) -> ResourceTable {
        guard let table = tables[resource.groupResource] else { throw .notFoundPath(resource.qualifiedName) }
        return table
    }

    private static func key(namespace: String?, name: String) -> String {
        namespace.map { "\($0)/\(name)" } ?? name
    }

    private func present(_ object: JSONValue, _ scope: RequestScope) -> JSONValue {
        guard scope.resource.isCustom else { return object }
        var copy = object
        copy["apiVersion"] = .string(scope.apiVersion)
        return copy
    }

    func get(_ scope: RequestScope, name: String) throws(APIError) -> JSONValue {
        let table = try table(scope.resource)
        guard let object = table.objects[Self.key(namespace: scope.namespace, name: name)] else {
            throw .notFound(scope.resource, name: name)
        }
        return present(object, scope)
    }

    func list(_ scope: RequestScope, filter: ObjectFilter, limit: Int?, continueToken: String?) throws(APIError) -> ListResult {
        let table = try table(scope.resource)
        let keys = table.sortedKeys
        var start = 0
        var startAfter: String?
        if let continueToken, !continueToken.isEmpty {
            guard let data = Data(base64Encoded: continueToken), let key = String(data: data, encoding: .utf8) else {
                throw .badRequest("continue key is not valid: illegal base64 data")
            }
            startAfter = key
        }
        let lowerBound = [startAfter, filter.namespace.map { "\($0)/" }].compactMap { $0 }.max()
        if let lowerBound {
            start = Self.lowerBound(of: lowerBound, in: keys)
            if let startAfter, start < keys.count, keys[start] == startAfter { start += 1 }
        }
        var items: [JSONValue] = []
        var index = start
        let namespacePrefix = filter.namespace.map { "\($0)/" }
        while index < keys.count {
            let key = keys[index]
            if let namespacePrefix, !key.hasPrefix(namespacePrefix) { break }
            index += 1
            if let object = table.objects[key], filter.matches(object) {
                items.append(present(object, scope))
                if let limit, limit > 0, items.count >= limit { break }
            }
        }
        var token: String?
        var remaining: Int?
        if let limit, limit > 0, items.count >= limit, index < keys.count {
            let more = keys[index...].prefix { namespacePrefix == nil || $0.hasPrefix(namespacePrefix!) }.count
            if more > 0 {
                token = Data(keys[index - 1].utf8).base64EncodedString()
                if filter.labels.requirements.isEmpty && filter.fields.requirements.isEmpty { remaining = more }
            }
        }
        return ListResult(items: items, resourceVersion: resourceVersion, continueToken: token, remainingItemCount: remaining)
    }

    private static func lowerBound(of key: String, in keys: [String]) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    // MARK: - Writes

    /// Checks `apiVersion`/`kind` of a request body against the URL.
    private func checkTypeMeta(_ object: JSONValue, _ scope: RequestScope) throws(APIError) {
        guard case .object = object else { throw .badRequest("the body of the request was not a JSON object") }
        if let kind = object["kind"]?.stringValue, kind != scope.resource.kind {
            throw .badRequest("the kind in the data (\(kind)) does not match the expected kind (\(scope.resource.kind))")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, apiVersion != scope.apiVersion {
            let gvk = GroupVersionKind(apiVersion: apiVersion, kind: scope.resource.kind)
            if gvk.group != scope.resource.group || !scope.resource.versions.contains(gvk.version) {
                throw .badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(scope.apiVersion))")
            }
        }
        let kind = scope.resource.kind
        func undecodable(_ detail: String) -> APIError {
            .badRequest("\(kind) in version \"\(scope.version)\" cannot be handled as a \(kind): \(detail)")
        }
        guard let metadata = object["metadata"] else { return }
        guard case .object(let members) = metadata else { throw undecodable("json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta") }
        for field in ["name", "namespace", "generateName", "resourceVersion", "uid"] {
            if let value = members[field], value != .null, value.stringValue == nil {
                throw undecodable("json: cannot unmarshal into Go struct field ObjectMeta.metadata.\(field) of type string")
            }
        }
        for field in ["labels", "annotations"] {
            guard let value = members[field], value != .null else { continue }
            guard case .object(let entries) = value, entries.values.allSatisfy({ $0.stringValue != nil }) else {
                throw undecodable("json: cannot unmarshal into Go struct field ObjectMeta.metadata.\(field) of type map[string]string")
            }
        }
        if let finalizers = members["finalizers"], finalizers != .null {
            guard case .array(let items) = finalizers, items.allSatisfy({ $0.stringValue != nil }) else {
                throw undecodable("json: cannot unmarshal into Go struct field ObjectMeta.metadata.finalizers of type []string")
            }
        }
    }

    /// Label values kube-apiserver refuses (422), with their field paths.
    private func labelProblems(_ object: JSONValue) -> [StatusCause] {
        guard case .object(let labels)? = object[path: ["metadata", "labels"]] else { return [] }
        var causes: [StatusCause] = []
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            let text = value.stringValue ?? ""
            let validCharacters = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            let edgesAlphanumeric = text.isEmpty || (text.first!.isLetter || text.first!.isNumber) && (text.last!.isLetter || text.last!.isNumber)
            if text.count > 63 || !validCharacters || !edgesAlphanumeric {
                causes.append(StatusCause(reason: "FieldValueInvalid",
                                          message: "Invalid value: \"\(text)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                                          field: "metadata.labels"))
            }
            if key.isEmpty || key.count > 317 || !key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.'", field: "metadata.labels"))
            }
        }
        return causes
    }

    /// Schema defaulting, pruning (or, under strict validation, rejection) of unknown fields and validation.
    private func admit(_ object: JSONValue, _ scope: RequestScope, options: WriteOptions, name: String) throws(APIError) -> JSONValue {
        var result = object
        if let message = BuiltInValidation.undecodableSecret(object, resource: scope.resource) { throw .badRequest(message) }
        let labelCauses = labelProblems(object) + BuiltInValidation.causes(object, resource: scope.resource)
        if !labelCauses.isEmpty { throw .invalid(scope.resource, name: name, causes: labelCauses) }
        if scope.resource.group == "apiextensions.k8s.io" {
            let causes = CustomResources.validate(result)
            if !causes.isEmpty { throw .invalid(scope.resource, name: name, causes: causes) }
        }
        guard let schema = scope.resource.schemas[scope.version] ?? scope.resource.schemas[scope.resource.storageVersion] else { return result }
        let (pruned, unknown) = schema.prune(result)
        if !unknown.isEmpty && options.strictFieldValidation {
            let kind = scope.resource.kind
            let list = unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
            throw .badRequest("\(kind) in version \"\(scope.version)\" cannot be handled as a \(kind): strict decoding error: \(list)")
        }
        if !options.ignoreUnknownFields, let warnings = options.warnings {
            for field in unknown { warnings.add("unknown field \"\(field)\"") }
        }
        result = schema.applyDefaults(pruned)
        let causes = schema.validate(result)
        if !causes.isEmpty { throw .invalid(scope.resource, name: name, causes: causes) }
        return result
    }

    private func nextResourceVersion() -> Int64 {
        resourceVersion += 1
        return resourceVersion
    }

    enum ManagedFieldsMode: Sendable {
        case track(manager: String, subresource: String?)
        case alreadySet
    }

    func create(_ scope: RequestScope, object input: JSONValue, options: WriteOptions,
                managedFields: ManagedFieldsMode? = nil) throws(APIError) -> JSONValue {
        try checkTypeMeta(input, scope)
        let resource = scope.resource
        let table = try table(resource)
        var object = input
        if resource.namespaced {
            guard let namespace = scope.namespace else { throw .methodNotAllowed("the server does not allow this method on the requested resource: a namespace is required") }
            if let sent = object.namespace, !sent.isEmpty, sent != namespace {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            guard let namespaceObject = tables[GroupResource(group: "", resource: "namespaces")]?.objects[namespace] else {
                throw .namespaceNotFound(namespace)
            }
            if namespaceObject.deletionTimestamp != nil {
                throw APIError(code: 403, reason: "Forbidden",
                               message: "\(resource.qualifiedName) is forbidden: unable to create new content in namespace \(namespace) because it is being terminated")
            }
            object.setMetadata("namespace", .string(namespace))
        } else {
            object.setMetadata("namespace", nil)
        }
        var name = object.name ?? ""
        if name.isEmpty, let prefix = object[path: ["metadata", "generateName"]]?.stringValue, !prefix.isEmpty {
            name = prefix + NameValidation.randomSuffix()
            object.setMetadata("name", .string(name))
        }
        if name.isEmpty {
            throw .invalid(resource, name: "", causes: [StatusCause(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name")])
        }
        if let problem = NameValidation.problem(with: name, label: resource.plural == "namespaces") {
            throw .invalid(resource, name: name, causes: [StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(name)\": \(problem)", field: "metadata.name")])
        }
        let key = Self.key(namespace: scope.namespace.flatMap { resource.namespaced ? $0 : nil }, name: name)
        if table.objects[key] != nil { throw .alreadyExists(resource, name: name) }
        if resource.resetsStatusOnCreate { object.removeMember("status") }
        object = try admit(object, scope, options: options, name: name)
        defaults.applyOnCreate(&object, resource: resource)
        object["apiVersion"] = .string(resource.storageAPIVersion)
        object["kind"] = .string(resource.kind)
        let now = Timestamp.now()
        object.setMetadata("uid", .string(UUID().uuidString.lowercased()))
        object.setMetadata("creationTimestamp", .string(now))
        object.setMetadata("generation", .integer(1))
        object.setMetadata("deletionTimestamp", nil)
        object.setMetadata("deletionGracePeriodSeconds", nil)
        object.setMetadata("selfLink", nil)
        switch (resource.group, resource.plural) {
        case ("", "namespaces"):
            var labels = object[path: ["metadata", "labels"]]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(name)
            object.setMetadata("labels", .object(labels))
            object["status"] = ["phase": "Active"]
        case ("apiextensions.k8s.io", "customresourcedefinitions"):
            object = CustomResources.established(object, now: now)
        default: break
        }
        switch managedFields ?? .track(manager: options.fieldManager, subresource: nil) {
        case .track(let manager, let subresource):
            ManagedFieldsTracker.recordUpdate(old: nil, new: &object, manager: manager, apiVersion: scope.apiVersion, subresource: subresource)
        case .alreadySet: break
        }
        if options.dryRun { return present(object, scope) }
        let version = nextResourceVersion()
        object.setMetadata("resourceVersion", .string(String(version)))
        table.put(key, object)
        record(table, .added, object, previous: nil, version: version)
        if resource.group == "apiextensions.k8s.io" { registerCustomResource(from: object) }
        return present(object, scope)
    }

    /// PUT on an object or its `status` subresource.
    func update(_ scope: RequestScope, name: String, object input: JSONValue, subresource: String?, options: WriteOptions,
                managedFields: ManagedFieldsMode? = nil) throws(APIError) -> JSONValue {
        try checkTypeMeta(input, scope)
        let resource = scope.resource
        let table = try table(resource)
        let key = Self.key(namespace: resource.namespaced ? scope.namespace : nil, name: name)
        guard let existing = table.objects[key] else { throw .notFound(resource, name: name) }
        if let sentName = input.name, sentName != name {
            throw .badRequest("the name of the object (\(sentName)) does not match the name on the URL (\(name))")
        }
        if resource.namespaced, let sent = input.namespace, !sent.isEmpty, sent != scope.namespace {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        if let sentVersion = input.resourceVersion, !sentVersion.isEmpty, sentVersion != existing.resourceVersion {
            throw .staleResourceVersion(resource, name: name)
        }
        var object: JSONValue
        if subresource == "status" {
            object = existing
            object["status"] = input["status"]
            // kube-apiserver ignores everything but status here; managedFields a client rewrote explicitly still count.
            if let sentFields = input[path: ["metadata", "managedFields"]] { object.setMetadata("managedFields", sentFields) }
        } else {
            object = input
            if resource.hasStatus { object["status"] = existing["status"] }
        }
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"] {
            object.setMetadata(field, existing["metadata"]?[field])
        }
        object.setMetadata("resourceVersion", existing["metadata"]?["resourceVersion"])
        object.setMetadata("selfLink", nil)
        if existing.deletionTimestamp != nil {
            // Finalizers may only be removed once deletion started; adding new ones is refused like kube-apiserver does.
            let added = Set(object.finalizers).subtracting(existing.finalizers)
            if !added.isEmpty {
                throw .invalid(resource, name: name, causes: [StatusCause(reason: "FieldValueForbidden", message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())", field: "metadata.finalizers")])
            }
        }
        object = try admit(object, scope, options: options, name: name)
        defaults.applyOnUpdate(&object, previous: existing, resource: resource)
        object["apiVersion"] = .string(resource.storageAPIVersion)
        object["kind"] = .string(resource.kind)
        if resource.plural == "namespaces" && resource.group.isEmpty {
            var labels = object[path: ["metadata", "labels"]]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(name)
            object.setMetadata("labels", .object(labels))
            if object[path: ["status", "phase"]] == nil { object["status"] = existing["status"] }
        }
        if resource.group == "apiextensions.k8s.io" {
            object = CustomResources.established(object, now: Timestamp.now())
        }
        if object.specContent != existing.specContent {
            let generation = existing[path: ["metadata", "generation"]]?.integerValue ?? 1
            object.setMetadata("generation", .integer(generation + 1))
        }
        switch managedFields ?? .track(manager: options.fieldManager, subresource: subresource) {
        case .track(let manager, let subresource):
            if object.comparableContent != existing.comparableContent || input[path: ["metadata", "managedFields"]] != nil {
                ManagedFieldsTracker.recordUpdate(old: existing, new: &object, manager: manager, apiVersion: scope.apiVersion, subresource: subresource)
            } else {
                object.setMetadata("managedFields", existing[path: ["metadata", "managedFields"]])
            }
        case .alreadySet: break
        }
        if object == existing || (object.comparableContent == existing.comparableContent
                                  && Self.ownership(object) == Self.ownership(existing)) {
            return present(existing, scope)
        }
        if options.dryRun { return present(object, scope) }
        let version = nextResourceVersion()
        object.setMetadata("resourceVersion", .string(String(version)))
        let isNamespace = resource.group.isEmpty && resource.plural == "namespaces"
        if object.deletionTimestamp != nil && object.finalizers.isEmpty && !(isNamespace && namespaceHasContents(name)) {
            table.remove(key)
            record(table, .deleted, object, previous: existing, version: version)
            if resource.group == "apiextensions.k8s.io" { unregisterCustomResource(object) }
            if resource.namespaced, let namespace = scope.namespace { finishNamespaceIfTerminating(namespace) }
            return present(object, scope)
        }
        table.put(key, object)
        record(table, .modified, object, previous: existing, version: version)
        if resource.group == "apiextensions.k8s.io" { registerCustomResource(from: object) }
        return present(object, scope)
    }

    /// PATCH: the patch is applied to the live object inside the actor, so it cannot race another write.
    func patch(_ scope: RequestScope, name: String, subresource: String?, type: PatchType, patch: JSONValue,
               options: WriteOptions) throws(APIError) -> JSONValue {
        let resource = scope.resource
        let table = try table(resource)
        let key = Self.key(namespace: resource.namespaced ? scope.namespace : nil, name: name)
        let existing = table.objects[key].map { present($0, scope) }
        if type == .apply {
            try checkTypeMeta(patch, scope)
            guard patch["apiVersion"] != nil, patch["kind"] != nil else {
                throw .badRequest("invalid object type: apiVersion and kind must be set in an apply configuration")
            }
            if let sentName = patch.name, sentName != name {
                throw .badRequest("the name of the object (\(sentName)) does not match the name on the URL (\(name))")
            }
            var applied = patch
            if applied.name == nil { applied.setMetadata("name", .string(name)) }
            let merged = try ServerSideApply.apply(applied, to: existing, manager: options.fieldManager, force: options.force,
                                                   apiVersion: scope.apiVersion, subresource: subresource, resource: resource)
            if existing == nil {
                return try create(scope, object: merged, options: options, managedFields: .alreadySet)
            }
            var update = merged
            update.setMetadata("resourceVersion", nil)
            return try self.update(scope, name: name, object: update, subresource: subresource, options: options, managedFields: .alreadySet)
        }
        guard let existing else { throw .notFound(resource, name: name) }
        var patched: JSONValue
        switch type {
        case .mergePatch:
            guard case .object = patch else { throw .badRequest("json: cannot unmarshal into Go value of type map[string]interface {}") }
            patched = MergePatch.apply(patch, to: existing)
        case .jsonPatch:
            patched = try JSONPatch.apply(patch, to: existing)
        case .strategicMergePatch:
            if resource.isCustom {
                throw APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            }
            guard case .object = patch else { throw .badRequest("json: cannot unmarshal into Go value of type map[string]interface {}") }
            patched = try StrategicMergePatch.apply(patch, to: existing, mergeKeys: resource.strategicMergeKeys)
        case .apply:
            throw .internalError("apply patches are merged by ServerSideApply above")
        }
        if patched.resourceVersion == nil { patched.setMetadata("resourceVersion", existing["metadata"]?["resourceVersion"]) }
        return try update(scope, name: name, object: patched, subresource: subresource, options: options)
    }

    func delete(_ scope: RequestScope, name: String, options: DeleteOptions) throws(APIError) -> JSONValue {
        let resource = scope.resource
        let table = try table(resource)
        let key = Self.key(namespace: resource.namespaced ? scope.namespace : nil, name: name)
        guard var object = table.objects[key] else { throw .notFound(resource, name: name) }
        if let uid = options.preconditionUID, uid != object.uid {
            throw .conflict(resource, name: name, message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(object.uid ?? "")")
        }
        if let version = options.preconditionResourceVersion, version != object.resourceVersion {
            throw .conflict(resource, name: name, message: "Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(object.resourceVersion ?? "")")
        }
        if options.dryRun { return present(object, scope) }
        let isNamespace = resource.group.isEmpty && resource.plural == "namespaces"
        if isNamespace { deleteNamespaceContents(name) }
        if !object.finalizers.isEmpty || (isNamespace && namespaceHasContents(name)) {
            if object.deletionTimestamp == nil {
                object = markDeleting(object, in: table, key: key)
            }
            return present(object, scope)
        }
        let version = nextResourceVersion()
        object.setMetadata("resourceVersion", .string(String(version)))
        table.remove(key)
        record(table, .deleted, object, previous: nil, version: version)
        if resource.group == "apiextensions.k8s.io" { unregisterCustomResource(object) }
        if resource.namespaced, let namespace = scope.namespace { finishNamespaceIfTerminating(namespace) }
        return present(object, scope)
    }

    /// Graceful deletion: `deletionTimestamp` set, generation bumped, kept until its finalizers are gone
    /// (a namespace also turns Terminating until it is empty).
    private func markDeleting(_ original: JSONValue, in table: ResourceTable, key: String) -> JSONValue {
        var object = original
        object.setMetadata("deletionTimestamp", .string(Timestamp.now()))
        object.setMetadata("deletionGracePeriodSeconds", .integer(0))
        object.setMetadata("generation", .integer((original[path: ["metadata", "generation"]]?.integerValue ?? 1) + 1))
        if table.resource.group.isEmpty && table.resource.plural == "namespaces" {
            var status = object["status"]?.objectValue ?? [:]
            status["phase"] = "Terminating"
            object["status"] = .object(status)
        }
        let version = nextResourceVersion()
        object.setMetadata("resourceVersion", .string(String(version)))
        table.put(key, object)
        record(table, .modified, object, previous: original, version: version)
        return object
    }

    private func namespaceHasContents(_ namespace: String) -> Bool {
        let prefix = "\(namespace)/"
        return tables.values.contains { $0.resource.namespaced && $0.objects.keys.contains { $0.hasPrefix(prefix) } }
    }

    /// Removes a Terminating namespace once its last object and its own finalizers are gone.
    private func finishNamespaceIfTerminating(_ namespace: String) {
        guard let table = tables[GroupResource(group: "", resource: "namespaces")],
              var object = table.objects[namespace], object.deletionTimestamp != nil, object.finalizers.isEmpty,
              !namespaceHasContents(namespace) else { return }
        let version = nextResourceVersion()
        object.setMetadata("resourceVersion", .string(String(version)))
        table.remove(namespace)
        record(table, .deleted, object, previous: nil, version: version)
    }

    func deleteCollection(_ scope: RequestScope, filter: ObjectFilter, options: DeleteOptions) throws(APIError) -> [JSONValue] {
        let names = try list(scope, filter: filter, limit: nil, continueToken: nil).items.compactMap(\.name)
        var deleted: [JSONValue] = []
        for name in names {
            if let object = try? delete(scope, name: name, options: options) { deleted.append(object) }
        }
        return deleted
    }

    /// A namespace's objects go with it, as kube-apiserver's namespace controller deletes them:
    /// objects with finalizers are only marked deleting and keep the namespace Terminating.
    private func deleteNamespaceContents(_ namespace: String) {
        let prefix = "\(namespace)/"
        for table in tables.values where table.resource.namespaced {
            for key in table.objects.keys.filter({ $0.hasPrefix(prefix) }) {
                guard var object = table.objects[key] else { continue }
                if !object.finalizers.isEmpty {
                    if object.deletionTimestamp == nil { _ = markDeleting(object, in: table, key: key) }
                    continue
                }
                let version = nextResourceVersion()
                object.setMetadata("resourceVersion", .string(String(version)))
                table.remove(key)
                record(table, .deleted, object, previous: nil, version: version)
            }
        }
    }

    /// Managed fields without their timestamps: a write that changes neither content nor ownership is a no-op.
    private static func ownership(_ object: JSONValue) -> [ManagedEntry] {
        ManagedEntry.decode(object).map { entry in
            var copy = entry
            copy.time = ""
            return copy
        }
    }

    // MARK: - Custom resources

    private func registerCustomResource(from crd: JSONValue) {
        guard let type = CustomResources.resourceType(from: crd, schemaBuilder: schemaBuilder) else { return }
        if let table = tables[type.groupResource] {
            table.resource = type
        } else {
            tables[type.groupResource] = ResourceTable(resource: type, historyLimit: historyLimit)
        }
    }

    private func unregisterCustomResource(_ crd: JSONValue) {
        guard let group = crd[path: ["spec", "group"]]?.stringValue,
              let plural = crd[path: ["spec", "names", "plural"]]?.stringValue,
              let table = tables.removeValue(forKey: GroupResource(group: group, resource: plural)) else { return }
        for key in table.sortedKeys {
            guard var object = table.objects[key] else { continue }
            let version = nextResourceVersion()
            object.setMetadata("resourceVersion", .string(String(version)))
            table.remove(key)
            record(table, .deleted, object, previous: nil, version: version)
        }
        for watcher in table.watchers.values { watcher.continuation.finish() }
        table.watchers.removeAll()
    }

    // MARK: - Watch

    private func record(_ table: ResourceTable, _ type: WatchEventType, _ object: JSONValue, previous: JSONValue?, version: Int64) {
        let event = StoredEvent(type: type, object: object, previous: previous, resourceVersion: version)
        table.history.append(event)
        guard !table.watchers.isEmpty else { return }
        var encoder = WatchEventEncoder()
        var closed: [Int] = []
        for (id, watcher) in table.watchers {
            guard let visible = event.visibleType(for: watcher.filter) else { continue }
            let buffer = encodeEvent(visible, object, watcher: watcher, resource: table.resource, encoder: &encoder)
            switch watcher.continuation.yield(buffer) {
            case .enqueued: break
            case .dropped, .terminated: closed.append(id)
            @unknown default: break
            }
        }
        for id in closed {
            table.watchers.removeValue(forKey: id)?.continuation.finish()
        }
    }

    private func encodeEvent(_ type: WatchEventType, _ object: JSONValue, watcher: Watcher, resource: ResourceType,
                             encoder: inout WatchEventEncoder) -> ByteBuffer {
        switch watcher.rendering {
        case .object:
            return encoder.encoded(type: type, object: object, apiVersion: resource.isCustom ? watcher.apiVersion : resource.storageAPIVersion)
        case .table:
            let version = GroupVersionKind(apiVersion: watcher.apiVersion, kind: resource.kind).version
            let table = TableRenderer.table(rows: [object], resource: resource, version: version,
                                            listMetadata: ["resourceVersion": object["metadata"]?["resourceVersion"] ?? .string("")])
            return WatchEventEncoder.encode(type: type, object: table)
        }
    }

    private func bookmarkObject(_ resource: ResourceType, apiVersion: String, version: Int64, initialEventsEnd: Bool) -> JSONValue {
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(version))]
        if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
        return ["kind": .string(resource.kind), "apiVersion": .string(apiVersion), "metadata": .object(metadata)]
    }

    /// Opens a watch. `resourceVersion` nil/""/"0" starts with the current state as ADDED events
    /// (unless `sendInitialEvents` is false); a number resumes after it from history, or
    /// yields a 410 Expired ERROR event when that history is gone.
    func watch(_ scope: RequestScope, filter: ObjectFilter, resourceVersion requested: String?, allowBookmarks: Bool,
               sendInitialEvents: Bool?, rendering: ObjectRendering) throws(APIError) -> AsyncStream<ByteBuffer> {
        let table = try table(scope.resource)
        let resource = scope.resource
        var replay: [(WatchEventType, JSONValue)] = []
        var initialEventsEnd = false
        var startVersion: Int64?
        if let requested, !requested.isEmpty, requested != "0" {
            guard let number = Int64(requested), number >= 0 else {
                throw .badRequest("resourceVersion: Invalid value: \"\(requested)\": strconv.ParseUint: parsing \"\(requested)\": invalid syntax")
            }
            startVersion = number
        }
        let gone: APIError?
        if forcedGoneWatches > 0 {
            forcedGoneWatches -= 1
            gone = .gone("too old resource version: \(startVersion ?? 0) (\(resourceVersion))")
        } else if let startVersion, sendInitialEvents != true, startVersion < table.history.compactedThrough {
            gone = .gone("too old resource version: \(startVersion) (\(table.history.compactedThrough + 1))")
        } else {
            gone = nil
        }
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingOldest(watchBufferLimit + table.objects.count))
        if garbledWatches > 0 {
            // A broken proxy or a truncated write: a line that is not JSON, then a line that is JSON but no
            // watch event, then the connection ends.
            garbledWatches -= 1
            continuation.yield(ByteBuffer(string: "{\"type\":\"ADDED\",\"object\":{\"metadata\":\n"))
            continuation.yield(ByteBuffer(string: "[1,2,3]\n"))
            continuation.finish()
            return stream
        }
        if let gone {
            continuation.yield(WatchEventEncoder.encode(type: .error, object: gone.statusJSON))
            continuation.finish()
            return stream
        }
        if sendInitialEvents == true || (startVersion == nil && sendInitialEvents != false) {
            for key in table.sortedKeys {
                if let object = table.objects[key], filter.matches(object) { replay.append((.added, object)) }
            }
            initialEventsEnd = sendInitialEvents == true
        } else if let startVersion {
            for event in table.history.events(after: startVersion) {
                if let visible = event.visibleType(for: filter) { replay.append((visible, event.object)) }
            }
        }
        nextWatcherID += 1
        let watcher = Watcher(id: nextWatcherID, filter: filter, apiVersion: scope.apiVersion, bookmarks: allowBookmarks,
                              rendering: rendering, continuation: continuation)
        for (type, object) in replay {
            var encoder = WatchEventEncoder()
            continuation.yield(encodeEvent(type, object, watcher: watcher, resource: resource, encoder: &encoder))
        }
        if initialEventsEnd && allowBookmarks {
            let bookmark = bookmarkObject(resource, apiVersion: scope.apiVersion, version: resourceVersion, initialEventsEnd: true)
            continuation.yield(WatchEventEncoder.encode(type: .bookmark, object: bookmark))
        }
        table.watchers[watcher.id] = watcher
        let groupResource = resource.groupResource
        let id = watcher.id
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.removeWatcher(groupResource, id: id) }
        }
        return stream
    }

    private func removeWatcher(_ resource: GroupResource, id: Int) {
        tables[resource]?.watchers.removeValue(forKey: id)
    }

    /// Sends a BOOKMARK with the current resourceVersion to every watcher that asked for them.
    func sendBookmarks() {
        for table in tables.values where !table.watchers.isEmpty {
            var cache: [String: ByteBuffer] = [:]
            for watcher in table.watchers.values where watcher.bookmarks {
                let buffer: ByteBuffer
                if let cached = cache[watcher.apiVersion] {
                    buffer = cached
                } else {
                    let object = bookmarkObject(table.resource, apiVersion: watcher.apiVersion, version: resourceVersion, initialEventsEnd: false)
                    buffer = WatchEventEncoder.encode(type: .bookmark, object: object)
                    cache[watcher.apiVersion] = buffer
                }
                watcher.continuation.yield(buffer)
            }
        }
    }

    var watcherCount: Int { tables.values.reduce(0) { $0 + $1.watchers.count } }

    // MARK: - Faults

    /// Ends every open watch, as an apiserver restart or a load balancer reset would.
    func dropAllWatches() {
        for table in tables.values {
            for watcher in table.watchers.values { watcher.continuation.finish() }
            table.watchers.removeAll()
        }
    }

    /// The next `count` watch requests get a 410 Expired ERROR event.
    func forceGoneOnNextWatches(_ count: Int) {
        forcedGoneWatches += count
    }

    /// The next `count` watch requests get a stream of garbage (not watch events) and are closed.
    func garbleNextWatches(_ count: Int) {
        garbledWatches += count
    }

    /// Forgets the event history of every resource type, so any resume from an older version gets 410.
    func compactHistory() {
        for table in tables.values { table.history.compact(through: resourceVersion) }
    }
}
