import KubernetesAPI

/// The patch formats a PATCH request can carry, by Content-Type.
enum PatchType: Sendable {
    case jsonPatch
    case mergePatch
    case strategicMergePatch
    case apply

    init?(contentType: String) {
        let media = contentType.split(separator: ";").first.map { $0.trimmingSpaces().lowercased() } ?? ""
        switch media {
        case "application/json-patch+json": self = .jsonPatch
        case "application/merge-patch+json": self = .mergePatch
        case "application/strategic-merge-patch+json": self = .strategicMergePatch
        case "application/apply-patch+yaml", "application/apply-patch+json", "application/apply-patch+cbor": self = .apply
        default: return nil
        }
    }
}

/// RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces.
enum MergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }
}

/// RFC 6902 JSON patch, including `test`; errors name the failing operation.
enum JSONPatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) throws(APIError) -> JSONValue {
        guard case .array(let operations) = patch else {
            throw .badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        }
        var document = target
        for (index, operation) in operations.enumerated() {
            guard let op = operation["op"]?.stringValue else { throw .badRequest("the server rejected our request due to an error in our request: operation \(index) is missing \"op\"") }
            guard let pathText = operation["path"]?.stringValue else { throw .invalidPatch("operation \(index) (\(op)) is missing \"path\"") }
            let path = try pointer(pathText)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw .invalidPatch("missing value for add operation") }
                document = try add(value, at: path, in: document, pathText: pathText)
            case "remove":
                document = try remove(at: path, in: document, pathText: pathText).document
            case "replace":
                guard let value = operation["value"] else { throw .invalidPatch("missing value for replace operation") }
                _ = try get(path, in: document, pathText: pathText)
                document = try set(value, at: path, in: document, pathText: pathText)
            case "move":
                guard let fromText = operation["from"]?.stringValue else { throw .invalidPatch("missing from for move operation") }
                let removed = try remove(at: try pointer(fromText), in: document, pathText: fromText)
                document = try add(removed.value, at: path, in: removed.document, pathText: pathText)
            case "copy":
                guard let fromText = operation["from"]?.stringValue else { throw .invalidPatch("missing from for copy operation") }
                let value = try get(try pointer(fromText), in: document, pathText: fromText)
                document = try add(value, at: path, in: document, pathText: pathText)
            case "test":
                let expected = operation["value"] ?? .null
                let actual = try? get(path, in: document, pathText: pathText)
                if !jsonEqual(actual ?? .null, expected) {
                    throw .invalidPatch("testing value \(pathText) failed: test failed")
                }
            default:
                throw .invalidPatch("Unexpected kind: \(op)")
            }
        }
        return document
    }

    /// Numbers compare by value, so `1` equals `1.0` as JSON says.
    static func jsonEqual(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.integer(let a), .double(let b)), (.double(let b), .integer(let a)): return Double(a) == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { jsonEqual($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { jsonEqual(value, $0) } ?? false }
        default: return lhs == rhs
        }
    }

    static func pointer(_ text: String) throws(APIError) -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { throw .invalidPatch("JSON pointer \"\(text)\" must start with /") }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func arrayIndex(_ token: String, count: Int, allowEnd: Bool, pathText: String) throws(APIError) -> Int {
        if allowEnd && token == "-" { return count }
        guard let index = Int(token), index >= 0, index < count + (allowEnd ? 1 : 0), token == String(index) else {
            throw .invalidPatch("Unable to access invalid index: \(token) in path \(pathText)")
        }
        return index
    }

    static func get(_ path: [String], in document: JSONValue, pathText: String) throws(APIError) -> JSONValue {
        var current = document
        for token in path {
            switch current {
            case .object(let members):
                guard let next = members[token] else { throw .invalidPatch("doc is missing path: \"\(pathText)\": missing value") }
                current = next
            case .array(let items):
                current = items[try arrayIndex(token, count: items.count, allowEnd: false, pathText: pathText)]
            default:
                throw .invalidPatch("doc is missing path: \"\(pathText)\": missing value")
            }
        }
        return current
    }

    private static func modify(_ document: JSONValue, path: ArraySlice<String>, pathText: String,
                               _ change: (inout JSONValue, String) throws(APIError) -> Void) throws(APIError) -> JSONValue {
        guard let token = path.first else { throw .invalidPatch("unable to modify the document root in path \(pathText)") }
        var container = document
        if path.count == 1 {
            try change(&container, token)
            return container
        }
        switch container {
        case .object(var members):
            guard let child = members[token] else { throw .invalidPatch("doc is missing path: \"\(pathText)\": missing value") }
            members[token] = try modify(child, path: path.dropFirst(), pathText: pathText, change)
            return .object(members)
        case .array(var items):
            let index = try arrayIndex(token, count: items.count, allowEnd: false, pathText: pathText)
            items[index] = try modify(items[index], path: path.dropFirst(), pathText: pathText, change)
            return .array(items)
        default:
            throw .invalidPatch("doc is missing path: \"\(pathText)\": missing value")
        }
    }

    static func add(_ value: JSONValue, at path: [String], in document: JSONValue, pathText: String) throws(APIError) -> JSONValue {
        if path.isEmpty { return value }
        return try modify(document, path: path[...], pathText: pathText) { (container: inout JSONValue, token: String) throws(APIError) in
            switch container {
            case .object(var members): members[token] = value; container = .object(members)
            case .array(var items):
                items.insert(value, at: try arrayIndex(token, count: items.count, allowEnd: true, pathText: pathText))
                container = .array(items)
            default: throw .invalidPatch("doc is missing path: \"\(pathText)\": missing value")
            }
        }
    }

    static func set(_ value: JSONValue, at path: [String], in document: JSONValue, pathText: String) throws(APIError) -> JSONValue {
        if path.isEmpty { return value }
        return try modify(document, path: path[...], pathText: pathText) { (container: inout JSONValue, token: String) throws(APIError) in
            switch container {
            case .object(var members): members[token] = value; container = .object(members)
            case .array(var items):
                items[try arrayIndex(token, count: items.count, allowEnd: false, pathText: pathText)] = value
                container = .array(items)
            default: throw .invalidPatch("doc is missing path: \"\(pathText)\": missing value")
            }
        }
    }

    static func remove(at path: [String], in document: JSONValue, pathText: String) throws(APIError) -> (document: JSONValue, value: JSONValue) {
        var removed: JSONValue = .null
        let result = try modify(document, path: path[...], pathText: pathText) { (container: inout JSONValue, token: String) throws(APIError) in
            switch container {
            case .object(var members):
                guard let value = members.removeValue(forKey: token) else {
                    throw .invalidPatch("Unable to remove nonexistent key: \(token): missing value")
                }
                removed = value
                container = .object(members)
            case .array(var items):
                removed = items.remove(at: try arrayIndex(token, count: items.count, allowEnd: false, pathText: pathText))
                container = .array(items)
            default: throw .invalidPatch("doc is missing path: \"\(pathText)\": missing value")
            }
        }
        return (result, removed)
    }
}

/// Strategic merge patch for built-in kinds, as far as kubectl uses it: maps merge,
/// lists with a known merge key merge by that key (others are replaced), and the
/// `$patch`, `$retainKeys`, `$setElementOrder/` and `$deleteFromPrimitiveList/` directives are honoured.
enum StrategicMergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue, mergeKeys: [String: String]) throws(APIError) -> JSONValue {
        try merge(patch, into: target, path: "", mergeKeys: mergeKeys)
    }

    private static func merge(_ patch: JSONValue, into target: JSONValue, path: String, mergeKeys: [String: String]) throws(APIError) -> JSONValue {
        guard case .object(var patchMembers) = patch else { return patch }
        if let directive = patchMembers.removeValue(forKey: "$patch")?.stringValue {
            switch directive {
            case "replace": return .object(patchMembers.filter { !$0.key.hasPrefix("$") })
            case "delete": return .null
            case "merge": break
            default: throw .badRequest("unknown patch type: \(directive) in map: \(path)")
            }
        }
        var result = target.objectValue ?? [:]
        if let retain = patchMembers.removeValue(forKey: "$retainKeys") {
            guard case .array(let keys) = retain else { throw .badRequest("invalid $retainKeys directive at \(path)") }
            let keep = Set(keys.compactMap(\.stringValue))
            result = result.filter { keep.contains($0.key) }
        }
        var orders: [String: [JSONValue]] = [:]
        var deletions: [String: [JSONValue]] = [:]
        for key in patchMembers.keys where key.hasPrefix("$") {
            let value = patchMembers.removeValue(forKey: key)
            if key.hasPrefix("$setElementOrder/") {
                orders[String(key.dropFirst("$setElementOrder/".count))] = value?.arrayValue ?? []
            } else if key.hasPrefix("$deleteFromPrimitiveList/") {
                deletions[String(key.dropFirst("$deleteFromPrimitiveList/".count))] = value?.arrayValue ?? []
            }
        }
        for (key, value) in patchMembers {
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if value == .null {
                result[key] = nil
                continue
            }
            switch value {
            case .object:
                let merged = try merge(value, into: result[key] ?? .null, path: childPath, mergeKeys: mergeKeys)
                result[key] = merged == .null ? nil : merged
            case .array(let items):
                if let mergeKey = mergeKeys[childPath] {
                    result[key] = .array(try mergeList(items, into: result[key]?.arrayValue ?? [], mergeKey: mergeKey, path: childPath, mergeKeys: mergeKeys))
                } else {
                    result[key] = .array(items.filter { $0["$patch"] == nil })
                }
            default:
                result[key] = value
            }
        }
        for (key, removals) in deletions {
            if let items = result[key]?.arrayValue {
                result[key] = .array(items.filter { !removals.contains($0) })
            }
        }
        for (key, order) in orders {
            guard let items = result[key]?.arrayValue else { continue }
            result[key] = .array(reorder(items, by: order, mergeKey: mergeKeys[path.isEmpty ? key : "\(path).\(key)"]))
        }
        return .object(result)
    }

    private static func mergeList(_ patchItems: [JSONValue], into current: [JSONValue], mergeKey: String, path: String,
                                  mergeKeys: [String: String]) throws(APIError) -> [JSONValue] {
        var result = current
        for item in patchItems {
            if case .object(let members) = item, members["$patch"]?.stringValue == "replace" {
                return patchItems.filter { $0["$patch"] == nil }
            }
            guard let keyValue = item[mergeKey] else {
                result.append(item)
                continue
            }
            let existing = result.firstIndex { $0[mergeKey] == keyValue }
            if item["$patch"]?.stringValue == "delete" {
                if let existing { result.remove(at: existing) }
                continue
            }
            if let existing {
                result[existing] = try merge(item, into: result[existing], path: path, mergeKeys: mergeKeys)
            } else {
                result.append(try merge(item, into: .null, path: path, mergeKeys: mergeKeys))
            }
        }
        return result
    }

    /// `$setElementOrder`: the listed elements first in the given order, the others after.
    private static func reorder(_ items: [JSONValue], by order: [JSONValue], mergeKey: String?) -> [JSONValue] {
        var remaining = items
        var ordered: [JSONValue] = []
        for wanted in order {
            let index = remaining.firstIndex { item in
                if let mergeKey { return item[mergeKey] == wanted[mergeKey] }
                return item == wanted
            }
            if let index { ordered.append(remaining.remove(at: index)) }
        }
        return ordered + remaining
    }
}

extension APIError {
    static func invalidPatch(_ message: String) -> APIError {
        APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: \(message)")
    }
}
