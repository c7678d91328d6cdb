import KubernetesAPI

/// CustomResourceDefinition handling: checking a CRD, turning it into a served
/// resource type, and the status conditions kube-apiserver's controllers set.
enum CustomResources {
    /// Problems with a CRD, with field paths, as kube-apiserver's validation reports them.
    static func validate(_ crd: JSONValue) -> [StatusCause] {
        var causes: [StatusCause] = []
        func require(_ condition: Bool, _ field: String, _ message: String, reason: String = "FieldValueRequired") {
            if !condition { causes.append(StatusCause(reason: reason, message: message, field: field)) }
        }
        let spec = crd["spec"]
        let group = spec?["group"]?.stringValue ?? ""
        let plural = spec?[path: ["names", "plural"]]?.stringValue ?? ""
        require(!group.isEmpty, "spec.group", "Required value")
        require(!plural.isEmpty, "spec.names.plural", "Required value")
        require(!(spec?[path: ["names", "kind"]]?.stringValue ?? "").isEmpty, "spec.names.kind", "Required value")
        if !group.isEmpty, !plural.isEmpty, let name = crd.name {
            require(name == "\(plural).\(group)", "metadata.name",
                    "Invalid value: \"\(name)\": must be spec.names.plural+\".\"+spec.group", reason: "FieldValueInvalid")
        }
        let scope = spec?["scope"]?.stringValue ?? ""
        require(scope == "Namespaced" || scope == "Cluster", "spec.scope",
                scope.isEmpty ? "Required value" : "Unsupported value: \"\(scope)\": supported values: \"Cluster\", \"Namespaced\"",
                reason: scope.isEmpty ? "FieldValueRequired" : "FieldValueNotSupported")
        let versions = spec?["versions"]?.arrayValue ?? []
        require(!versions.isEmpty, "spec.versions", "Invalid value: null: must have exactly one version marked as storage version", reason: "FieldValueInvalid")
        if !versions.isEmpty {
            let storage = versions.filter { $0["storage"]?.boolValue == true }.count
            require(storage == 1, "spec.versions", "Invalid value: must have exactly one version marked as storage version", reason: "FieldValueInvalid")
            for (index, version) in versions.enumerated() {
                require(!(version["name"]?.stringValue ?? "").isEmpty, "spec.versions[\(index)].name", "Required value")
                if let schema = version[path: ["schema", "openAPIV3Schema"]] {
                    do {
                        _ = try StructuralSchema(schema)
                    } catch {
                        let field = "spec.versions[\(index)].schema." + error.path
                        causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(error.message)", field: field))
                    }
                }
            }
            require(versions.contains { $0["served"]?.boolValue == true }, "spec.versions",
                    "Invalid value: must have at least one served version", reason: "FieldValueInvalid")
        }
        return causes
    }

    /// The resource type a (valid) CRD defines; `schemaBuilder` turns an openAPIV3Schema into a checker.
    static func resourceType(from crd: JSONValue, schemaBuilder: SchemaBuilder?) -> ResourceType? {
        guard let spec = crd["spec"], let group = spec["group"]?.stringValue,
              let plural = spec[path: ["names", "plural"]]?.stringValue, let kind = spec[path: ["names", "kind"]]?.stringValue
        else { return nil }
        let versions = spec["versions"]?.arrayValue ?? []
        let served = versions.filter { $0["served"]?.boolValue == true }.compactMap { $0["name"]?.stringValue }
        guard let storage = versions.first(where: { $0["storage"]?.boolValue == true })?["name"]?.stringValue, !served.isEmpty else { return nil }
        var type = ResourceType(
            group: group, plural: plural,
            singular: spec[path: ["names", "singular"]]?.stringValue ?? kind.lowercased(),
            kind: kind,
            listKind: spec[path: ["names", "listKind"]]?.stringValue ?? kind + "List",
            versions: sortedByPriority(served), storageVersion: storage,
            shortNames: spec[path: ["names", "shortNames"]]?.arrayValue?.compactMap(\.stringValue) ?? [],
            categories: spec[path: ["names", "categories"]]?.arrayValue?.compactMap(\.stringValue) ?? [],
            namespaced: spec["scope"]?.stringValue != "Cluster",
            hasStatus: false)
        type.isCustom = true
        var anyStatus = false
        for version in versions {
            guard let name = version["name"]?.stringValue else { continue }
            if version[path: ["subresources", "status"]] != nil { anyStatus = true }
            if let schema = version[path: ["schema", "openAPIV3Schema"]], let schemaBuilder, let checker = schemaBuilder(schema) {
                type.schemas[name] = checker
            }
            type.printerColumns[name] = (version["additionalPrinterColumns"]?.arrayValue ?? []).compactMap { column in
                guard let name = column["name"]?.stringValue, let path = column["jsonPath"]?.stringValue else { return nil }
                return PrinterColumn(name: name, type: column["type"]?.stringValue ?? "string", jsonPath: path,
                                     description: column["description"]?.stringValue ?? "",
                                     priority: Int(column["priority"]?.integerValue ?? 0))
            }
            for field in version["selectableFields"]?.arrayValue ?? [] {
                if let path = field["jsonPath"]?.stringValue {
                    let key = String(path.drop { $0 == "." })
                    type.selectableFields[key] = key.split(separator: ".").map(String.init)
                }
            }
        }
        type.hasStatus = anyStatus
        type.resetsStatusOnCreate = anyStatus
        return type
    }

    /// Kubernetes version priority: GA before beta before alpha, higher numbers first (v1 > v1beta1 > v1alpha3).
    static func sortedByPriority(_ versions: [String]) -> [String] {
        func rank(_ version: String) -> (Int, Int, Int, String) {
            let scanner = Array(version)
            guard scanner.first == "v", let majorEnd = scanner.dropFirst().firstIndex(where: { !$0.isNumber }) ?? Optional(scanner.count),
                  majorEnd > 1, let major = Int(String(scanner[1..<majorEnd])) else { return (3, 0, 0, version) }
            let rest = String(scanner[majorEnd...])
            if rest.isEmpty { return (0, -major, 0, version) }
            for (stage, label) in [(1, "beta"), (2, "alpha")] where rest.hasPrefix(label) {
                if let minor = Int(rest.dropFirst(label.count)) { return (stage, -major, -minor, version) }
            }
            return (3, 0, 0, version)
        }
        return versions.sorted { rank($0) < rank($1) }
    }

    /// The CRD with `status` as the name and establishing controllers leave it.
    static func established(_ crd: JSONValue, now: String) -> JSONValue {
        var result = crd
        let spec = crd["spec"] ?? .object([:])
        var names = spec["names"]?.objectValue ?? [:]
        if names["singular"] == nil, let kind = names["kind"]?.stringValue { names["singular"] = .string(kind.lowercased()) }
        if names["listKind"] == nil, let kind = names["kind"]?.stringValue { names["listKind"] = .string(kind + "List") }
        let previousConditions = crd[path: ["status", "conditions"]]?.arrayValue ?? []
        func condition(_ type: String, reason: String, message: String) -> JSONValue {
            let previous = previousConditions.first { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" }
            return [
                "type": .string(type), "status": "True", "reason": .string(reason), "message": .string(message),
                "lastTransitionTime": previous?["lastTransitionTime"] ?? .string(now),
            ]
        }
        let storage = (spec["versions"]?.arrayValue ?? []).first { $0["storage"]?.boolValue == true }?["name"]?.stringValue
        var stored = crd[path: ["status", "storedVersions"]]?.arrayValue ?? []
        if let storage, !stored.contains(.string(storage)) { stored.append(.string(storage)) }
        result["status"] = [
            "acceptedNames": .object(names),
            "conditions": [
                condition("NamesAccepted", reason: "NoConflicts", message: "no conflicts found"),
                condition("Established", reason: "InitialNamesAccepted", message: "the initial names have been accepted"),
            ],
            "storedVersions": .array(stored),
        ]
        return result
    }
}

/// Builds a schema checker from a CRD version's `openAPIV3Schema`; nil if it cannot be used.
typealias SchemaBuilder = @Sendable (JSONValue) -> (any ObjectSchemaChecker)?
