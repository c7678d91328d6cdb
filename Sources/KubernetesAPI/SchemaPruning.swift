extension StructuralSchema {
    /// Drops every field the schema does not declare, as kube-apiserver prunes custom resources
    /// before storing them, and reports where it removed something (`spec.foo`, `spec.http[0].bar`;
    /// sorted), e.g. for `fieldValidation=Strict`/`Warn` answers.
    ///
    /// Rules followed (those of kube-apiserver's structural pruning):
    /// - an object keeps the keys in `properties`; with an `additionalProperties` schema every key is
    ///   kept and its value pruned by that schema; `x-kubernetes-preserve-unknown-fields` (or
    ///   `additionalProperties: true`) keeps unknown keys as they are, still pruning the known ones;
    /// - `apiVersion`, `kind` and `metadata` are always kept at the root and in embedded resources;
    /// - arrays are pruned element by element with `items`;
    /// - junctors (`oneOf`, `anyOf`, `allOf`, `not`) never decide what is kept;
    /// - a value of the wrong type is left alone (validation reports it).
    ///
    /// Call it on the root `openAPIV3Schema` with the whole object.
    public func prune(_ value: JSONValue) -> (pruned: JSONValue, removedPaths: [String]) {
        var removed: [String] = []
        let pruned = prune(value, at: "", isRoot: true, removed: &removed)
        removed.sort()
        return (pruned, removed)
    }

    private func prune(_ value: JSONValue, at path: String, isRoot: Bool, removed: inout [String]) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(pruneObject(members, at: path, keepsObjectHeader: isRoot || embeddedResource, removed: &removed))
        case .array(let elements):
            guard let items else { return value }
            return .array(elements.enumerated().map { index, element in
                items.prune(element, at: FieldPath.index(path, index), isRoot: false, removed: &removed)
            })
        default:
            return value
        }
    }

    private func pruneObject(
        _ members: [String: JSONValue], at path: String, keepsObjectHeader: Bool, removed: inout [String]
    ) -> [String: JSONValue] {
        let keepsUnknown: Bool
        switch additionalProperties {
        case .allowed(true)?: keepsUnknown = true
        default: keepsUnknown = preserveUnknownFields
        }
        var kept: [String: JSONValue] = [:]
        kept.reserveCapacity(members.count)
        for (name, member) in members {
            let memberPath = FieldPath.child(path, name)
            if keepsObjectHeader, ["apiVersion", "kind", "metadata"].contains(name) {
                // Object metadata is pruned by its own rules (ObjectMeta), not by the schema.
                kept[name] = member
            } else if let schema = schema(forProperty: name) {
                kept[name] = schema.prune(member, at: memberPath, isRoot: false, removed: &removed)
            } else if keepsUnknown {
                kept[name] = member
            } else {
                removed.append(memberPath)
            }
        }
        return kept
    }
}
