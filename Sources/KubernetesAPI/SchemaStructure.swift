extension StructuralSchema {
    /// Why this schema is not structural in kube-apiserver's sense, one message per problem
    /// (empty when it is). The rules checked:
    /// - every node outside junctors has a `type`, except int-or-string nodes and nodes with
    ///   `x-kubernetes-preserve-unknown-fields: true`;
    /// - arrays have `items`; a node does not set both `properties` and an `additionalProperties` schema;
    /// - inside `allOf`/`anyOf`/`oneOf`/`not`, no `type` (bar the int-or-string idiom),
    ///   `additionalProperties`, `description`, `default`, `nullable` or `x-kubernetes-*` extensions,
    ///   and every property named there is also declared outside;
    /// - at the root, `metadata` restricts nothing but `name` and `generateName`.
    public func structuralProblems() -> [String] {
        var problems: [String] = []
        checkStructure(at: "openAPIV3Schema", problems: &problems)
        if let metadata = properties["metadata"] {
            let restricted = Set(metadata.properties.keys).subtracting(["name", "generateName"])
            if !restricted.isEmpty {
                problems.append("openAPIV3Schema.properties.metadata: may only restrict name and generateName")
            }
        }
        return problems
    }

    private func checkStructure(at path: String, problems: inout [String]) {
        if type == nil, !intOrString, !preserveUnknownFields {
            problems.append("\(path).type: Required value: must not be empty for specified object fields")
        }
        if type == "array", items == nil {
            problems.append("\(path).items: Required value: must be specified for arrays")
        }
        if !properties.isEmpty, case .schema = additionalProperties {
            problems.append("\(path): properties and additionalProperties are mutually exclusive")
        }
        for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
            property.checkStructure(at: "\(path).properties[\(name)]", problems: &problems)
        }
        if case .schema(let values) = additionalProperties {
            values.checkStructure(at: "\(path).additionalProperties", problems: &problems)
        }
        items?.checkStructure(at: "\(path).items", problems: &problems)
        let junctors = allOf.enumerated().map { ("allOf[\($0.offset)]", $0.element) }
            + anyOf.enumerated().map { ("anyOf[\($0.offset)]", $0.element) }
            + oneOf.enumerated().map { ("oneOf[\($0.offset)]", $0.element) }
            + (not.map { [("not", $0)] } ?? [])
        for (name, junctor) in junctors {
            junctor.checkJunctor(at: "\(path).\(name)", outer: self, isIntOrStringIdiom: intOrString, problems: &problems)
        }
    }

    /// A schema under a junctor may only constrain values; it may not declare shape.
    private func checkJunctor(at path: String, outer: StructuralSchema, isIntOrStringIdiom: Bool, problems: inout [String]) {
        if type != nil, !(isIntOrStringIdiom && (type == "integer" || type == "string")) {
            problems.append("\(path).type: Forbidden: must be empty to be structural")
        }
        if additionalProperties != nil { problems.append("\(path).additionalProperties: Forbidden: must be undefined to be structural") }
        if description != nil { problems.append("\(path).description: Forbidden: must be empty to be structural") }
        if defaultValue != nil { problems.append("\(path).default: Forbidden: must be undefined to be structural") }
        if nullable { problems.append("\(path).nullable: Forbidden: must be false to be structural") }
        if preserveUnknownFields || intOrString || embeddedResource || listType != nil || !validations.isEmpty {
            problems.append("\(path): Forbidden: x-kubernetes-* extensions must not be used inside junctors")
        }
        for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
            if let declared = outer.properties[name] {
                property.checkJunctor(at: "\(path).properties[\(name)]", outer: declared, isIntOrStringIdiom: false, problems: &problems)
            } else {
                problems.append("\(path).properties[\(name)]: Required value: must have a corresponding property outside the junctor")
            }
        }
        if let items, let outerItems = outer.items {
            items.checkJunctor(at: "\(path).items", outer: outerItems, isIntOrStringIdiom: false, problems: &problems)
        }
        for nested in allOf + anyOf + oneOf + (not.map { [$0] } ?? []) {
            nested.checkJunctor(at: "\(path).<nested>", outer: outer, isIntOrStringIdiom: isIntOrStringIdiom, problems: &problems)
        }
    }

    /// Every property path the schema declares, sorted: `spec`, `spec.http`, `spec.http[].route`,
    /// `spec.http[].route[].destination.host`, ... Array elements are written `[]` and map values
    /// `{}` (`spec.selector{}`); root `apiVersion`, `kind` and `metadata` are left out.
    /// Meant for comparing the schema with hand-written types field by field.
    public func propertyPaths() -> [String] {
        var paths: [String] = []
        for (name, property) in properties where !["apiVersion", "kind", "metadata"].contains(name) {
            paths.append(name)
            property.collectPaths(under: name, into: &paths)
        }
        return paths.sorted()
    }

    private func collectPaths(under path: String, into paths: inout [String]) {
        var node = self
        var prefix = path
        // Arrays and maps add a marker, not a path of their own.
        while true {
            if let items = node.items {
                prefix += "[]"
                node = items
            } else if node.properties.isEmpty, case .schema(let values) = node.additionalProperties {
                prefix += "{}"
                node = values
            } else {
                break
            }
        }
        for (name, property) in node.properties {
            let child = "\(prefix).\(name)"
            paths.append(child)
            property.collectPaths(under: child, into: &paths)
        }
    }
}
