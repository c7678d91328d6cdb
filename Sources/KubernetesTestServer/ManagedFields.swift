import KubernetesAPI

/// A set of owned field paths, each a list of `f:<name>` steps as in `fieldsV1`.
/// Lists and scalars are leaves (owned atomically); maps are walked into.
struct FieldSet: Sendable, Equatable {
    var paths: Set<[String]>

    init(paths: Set<[String]> = []) { self.paths = paths }

    /// The leaves of `object` a writer sets, leaving out what the server owns
    /// (apiVersion, kind and metadata apart from labels, annotations, finalizers and owner references).
    init(leavesOf object: JSONValue, includeStatus: Bool = true) {
        var paths = Set<[String]>()
        guard case .object(let members) = object else { self.paths = []; return }
        for (key, value) in members {
            switch key {
            case "apiVersion", "kind": continue
            case "status" where !includeStatus: continue
            case "metadata":
                for metaKey in ["labels", "annotations"] {
                    if case .object(let entries)? = value[metaKey] {
                        for (entry, _) in entries { paths.insert(["f:metadata", "f:\(metaKey)", "f:\(entry)"]) }
                    }
                }
                for metaKey in ["finalizers", "ownerReferences"] where value[metaKey] != nil {
                    paths.insert(["f:metadata", "f:\(metaKey)"])
                }
            default:
                FieldSet.collect(value, prefix: ["f:\(key)"], into: &paths)
            }
        }
        self.paths = paths
    }

    private static func collect(_ value: JSONValue, prefix: [String], into paths: inout Set<[String]>) {
        if case .object(let members) = value, !members.isEmpty {
            for (key, child) in members { collect(child, prefix: prefix + ["f:\(key)"], into: &paths) }
        } else {
            paths.insert(prefix)
        }
    }

    /// Paths whose values differ between `old` and `new` (present in `new`), and paths removed.
    static func changes(from old: JSONValue, to new: JSONValue) -> (changed: FieldSet, removed: FieldSet) {
        let before = FieldSet(leavesOf: old)
        let after = FieldSet(leavesOf: new)
        var changed = Set<[String]>()
        for path in after.paths where value(at: path, in: old) != value(at: path, in: new) { changed.insert(path) }
        return (FieldSet(paths: changed), FieldSet(paths: before.paths.subtracting(after.paths)))
    }

    static func value(at path: [String], in object: JSONValue) -> JSONValue? {
        var current: JSONValue? = object
        for step in path { current = current?[String(step.dropFirst(2))] }
        return current
    }

    /// Whether two paths overlap: equal, or one is a prefix of the other.
    static func overlaps(_ lhs: [String], _ rhs: [String]) -> Bool {
        let count = min(lhs.count, rhs.count)
        return lhs.prefix(count) == rhs.prefix(count)
    }

    func overlapping(_ path: [String]) -> [[String]] { paths.filter { FieldSet.overlaps($0, path) } }

    mutating func remove(overlapping path: [String]) { paths = paths.filter { !FieldSet.overlaps($0, path) } }

    /// `fieldsV1` JSON: nested `f:` maps with `{}` leaves and `.` for owned intermediate nodes.
    var fieldsV1: JSONValue {
        var root: [String: JSONValue] = [:]
        for path in paths.sorted(by: { $0.count > $1.count }) { FieldSet.insert(path[...], into: &root) }
        return .object(root)
    }

    private static func insert(_ path: ArraySlice<String>, into node: inout [String: JSONValue]) {
        guard let first = path.first else { return }
        var child = node[first]?.objectValue ?? [:]
        if path.count == 1 {
            if !child.isEmpty { child["."] = .object([:]) }
        } else {
            insert(path.dropFirst(), into: &child)
        }
        node[first] = .object(child)
    }

    init(fieldsV1: JSONValue?) {
        var paths = Set<[String]>()
        func walk(_ value: JSONValue, prefix: [String]) {
            guard case .object(let members) = value, !members.isEmpty else {
                if !prefix.isEmpty { paths.insert(prefix) }
                return
            }
            for (key, child) in members {
                if key == "." { paths.insert(prefix); continue }
                walk(child, prefix: prefix + [key])
            }
        }
        if let fieldsV1 { walk(fieldsV1, prefix: []) }
        self.paths = paths
    }

    /// `.spec.hosts` form used in conflict messages.
    static func display(_ path: [String]) -> String {
        path.map { "." + $0.dropFirst(2) }.joined()
    }
}

/// One `metadata.managedFields` entry, decoded for bookkeeping.
struct ManagedEntry: Sendable, Equatable {
    var manager: String
    var operation: String
    var apiVersion: String
    var time: String
    var subresource: String?
    var fields: FieldSet

    static func decode(_ object: JSONValue) -> [ManagedEntry] {
        (object[path: ["metadata", "managedFields"]]?.arrayValue ?? []).compactMap { entry in
            guard let manager = entry["manager"]?.stringValue else { return nil }
            return ManagedEntry(manager: manager, operation: entry["operation"]?.stringValue ?? "Update",
                                apiVersion: entry["apiVersion"]?.stringValue ?? "", time: entry["time"]?.stringValue ?? "",
                                subresource: entry["subresource"]?.stringValue, fields: FieldSet(fieldsV1: entry["fieldsV1"]))
        }
    }

    var json: JSONValue {
        let entry = ManagedFieldsEntry(manager: manager, operation: operation, apiVersion: apiVersion, time: time,
                                       fieldsType: "FieldsV1", fieldsV1: fields.fieldsV1, subresource: subresource)
        var members: [String: JSONValue] = [
            "manager": .string(entry.manager ?? ""), "operation": .string(entry.operation ?? ""),
            "apiVersion": .string(entry.apiVersion ?? ""), "time": .string(entry.time ?? ""),
            "fieldsType": .string(entry.fieldsType ?? "FieldsV1"), "fieldsV1": entry.fieldsV1 ?? .object([:]),
        ]
        if let subresource = entry.subresource { members["subresource"] = .string(subresource) }
        return .object(members)
    }

    static func encode(_ entries: [ManagedEntry]) -> JSONValue? {
        let kept = entries.filter { !$0.fields.paths.isEmpty }
        return kept.isEmpty ? nil : .array(kept.map(\.json))
    }
}

/// Keeps `managedFields` current on non-apply writes: the writer becomes the owner of what it changed.
enum ManagedFieldsTracker {
    static func recordUpdate(old: JSONValue?, new: inout JSONValue, manager: String, apiVersion: String, subresource: String?) {
        let sentEntries = new[path: ["metadata", "managedFields"]]
        var entries = old.map(ManagedEntry.decode) ?? []
        // A client that explicitly rewrote managedFields (kubectl's client-side-apply upgrade does) wins.
        if let sentEntries, sentEntries != old?[path: ["metadata", "managedFields"]] {
            entries = ManagedEntry.decode(new)
            if sentEntries == .array([.object([:])]) || sentEntries == .array([]) { entries = [] }
        }
        let (changed, removed) = old.map { FieldSet.changes(from: $0, to: new) } ?? (FieldSet(leavesOf: new), FieldSet())
        if !changed.paths.isEmpty || !removed.paths.isEmpty || old == nil {
            for index in entries.indices {
                for path in changed.paths { entries[index].fields.remove(overlapping: path) }
                for path in removed.paths { entries[index].fields.remove(overlapping: path) }
            }
            let now = Timestamp.now()
            if let index = entries.firstIndex(where: { $0.manager == manager && $0.operation == "Update" && $0.subresource == subresource }) {
                entries[index].fields.paths.formUnion(changed.paths)
                entries[index].time = now
                entries[index].apiVersion = apiVersion
            } else if !changed.paths.isEmpty {
                entries.append(ManagedEntry(manager: manager, operation: "Update", apiVersion: apiVersion, time: now,
                                            subresource: subresource, fields: changed))
            }
        }
        new.setMetadata("managedFields", ManagedEntry.encode(entries))
    }
}

/// Server-side apply (`application/apply-patch+yaml`): merges the applied
/// configuration, removes fields the manager stopped applying, and reports
/// conflicts with other managers as a 409 unless `force` is set.
enum ServerSideApply {
    static func apply(_ applied: JSONValue, to current: JSONValue?, manager: String, force: Bool, apiVersion: String,
                      subresource: String?, resource: ResourceType) throws(APIError) -> JSONValue {
        let appliedSet = FieldSet(leavesOf: applied, includeStatus: subresource == "status" || !resource.hasStatus)
        var entries = current.map(ManagedEntry.decode) ?? []
        let base = current ?? .object([:])
        var conflicts: [StatusCause] = []
        for index in entries.indices where !(entries[index].manager == manager && entries[index].operation == "Apply") {
            for path in appliedSet.paths {
                for owned in entries[index].fields.overlapping(path)
                where !isContained(FieldSet.value(at: path, in: applied) ?? .null, in: FieldSet.value(at: path, in: base) ?? .null) {
                    if force {
                        entries[index].fields.paths.remove(owned)
                    } else {
                        conflicts.append(StatusCause(reason: "FieldManagerConflict",
                                                     message: "conflict with \"\(entries[index].manager)\"\(entries[index].operation == "Update" ? " using \(entries[index].apiVersion)" : "")",
                                                     field: FieldSet.display(path)))
                    }
                }
            }
        }
        if !conflicts.isEmpty {
            let unique = conflicts.reduce(into: [StatusCause]()) { if !$0.contains($1) { $0.append($1) } }
            let listing = unique.map { "- \($0.message ?? ""): \($0.field ?? "")" }.joined(separator: "\n")
            let message = unique.count == 1
                ? "Apply failed with 1 conflict: \(unique[0].message ?? ""): \(unique[0].field ?? "")"
                : "Apply failed with \(unique.count) conflicts: \(listing)"
            throw APIError(code: 409, reason: "Conflict", message: message,
                           details: StatusDetails(name: applied.name, group: resource.group, kind: resource.plural, causes: unique))
        }
        var result = base
        let previous = entries.first { $0.manager == manager && $0.operation == "Apply" && $0.subresource == subresource }?.fields ?? FieldSet()
        let othersOwn = entries.filter { !($0.manager == manager && $0.operation == "Apply" && $0.subresource == subresource) }
        for path in previous.paths.subtracting(appliedSet.paths) where !othersOwn.contains(where: { !$0.fields.overlapping(path).isEmpty }) {
            result = removeValue(at: path[...], in: result)
        }
        result = merge(applied, into: result)
        entries.removeAll { $0.manager == manager && $0.operation == "Apply" && $0.subresource == subresource }
        entries.append(ManagedEntry(manager: manager, operation: "Apply", apiVersion: apiVersion, time: Timestamp.now(),
                                    subresource: subresource, fields: appliedSet))
        result.setMetadata("managedFields", ManagedEntry.encode(entries))
        return result
    }

    /// Whether applying `applied` over `live` changes nothing: maps by subset, lists of the same
    /// length element by element (so server-defaulted members such as a port's protocol do not count
    /// as a different value), scalars by JSON equality.
    static func isContained(_ applied: JSONValue, in live: JSONValue) -> Bool {
        switch (applied, live) {
        case (.object(let appliedMembers), .object(let liveMembers)):
            return appliedMembers.allSatisfy { key, value in liveMembers[key].map { isContained(value, in: $0) } ?? false }
        case (.array(let appliedItems), .array(let liveItems)):
            return appliedItems.count == liveItems.count && zip(appliedItems, liveItems).allSatisfy { isContained($0, in: $1) }
        default:
            return JSONPatch.jsonEqual(applied, live)
        }
    }

    /// Applied maps merge into the live object; a list of objects with as many elements as the
    /// live one merges element by element (keeping server defaults inside them); other lists and scalars replace.
    static func merge(_ applied: JSONValue, into live: JSONValue) -> JSONValue {
        if case .array(let appliedItems) = applied, case .array(let liveItems) = live, appliedItems.count == liveItems.count,
           appliedItems.allSatisfy({ $0.objectValue != nil }), liveItems.allSatisfy({ $0.objectValue != nil }) {
            return .array(zip(appliedItems, liveItems).map { merge($0, into: $1) })
        }
        guard case .object(let appliedMembers) = applied, case .object(var liveMembers) = live else { return applied }
        for (key, value) in appliedMembers {
            if key == "metadata", case .object(var metadata) = value {
                metadata["managedFields"] = nil
                metadata["resourceVersion"] = nil
                metadata["uid"] = nil
                metadata["creationTimestamp"] = nil
                metadata["generation"] = nil
                liveMembers[key] = merge(.object(metadata), into: liveMembers[key] ?? .object([:]))
            } else if case .object = value, case .object? = liveMembers[key] {
                liveMembers[key] = merge(value, into: liveMembers[key]!)
            } else {
                liveMembers[key] = value
            }
        }
        return .object(liveMembers)
    }

    private static func removeValue(at path: ArraySlice<String>, in object: JSONValue) -> JSONValue {
        guard let first = path.first, case .object(var members) = object else { return object }
        let key = String(first.dropFirst(2))
        if path.count == 1 {
            members[key] = nil
        } else if let child = members[key] {
            let updated = removeValue(at: path.dropFirst(), in: child)
            if case .object(let remaining) = updated, remaining.isEmpty { members[key] = nil } else { members[key] = updated }
        }
        return .object(members)
    }
}
