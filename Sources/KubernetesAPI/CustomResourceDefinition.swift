/// The parts of an `apiextensions.k8s.io/v1` CustomResourceDefinition an API server needs to serve
/// the resource: names, scope, versions with their structural schemas, subresources and printer
/// columns. Decoded from the CRD object as JSON (e.g. a YAML document turned into ``JSONValue``).
public struct CustomResourceDefinition: Sendable {
    public struct Names: Sendable, Hashable {
        public var kind: String
        public var listKind: String
        public var plural: String
        public var singular: String
        public var shortNames: [String]
        public var categories: [String]
    }

    public struct PrinterColumn: Sendable, Hashable {
        public var name: String
        public var type: String
        public var jsonPath: String
        public var description: String?
        public var format: String?
        public var priority: Int
    }

    public struct Version: Sendable {
        public var name: String
        public var served: Bool
        public var storage: Bool
        /// `schema.openAPIV3Schema`; nil only when the CRD gives none (kube-apiserver requires one).
        public var schema: StructuralSchema?
        public var hasStatusSubresource: Bool
        public var hasScaleSubresource: Bool
        public var printerColumns: [PrinterColumn]
    }

    /// `metadata.name`, `<plural>.<group>`.
    public var name: String
    public var group: String
    /// `Namespaced` or `Cluster`.
    public var scope: String
    public var names: Names
    public var versions: [Version]

    /// The version objects are stored in (exactly one in a valid CRD).
    public var storageVersion: Version? { versions.first(where: \.storage) }

    public func version(named name: String) -> Version? { versions.first { $0.name == name } }

    public init(_ json: JSONValue) throws(StructuralSchemaError) {
        func fail(_ path: String, _ message: String) -> StructuralSchemaError {
            StructuralSchemaError(path: path, message: message)
        }
        guard json["kind"]?.stringValue == "CustomResourceDefinition" else {
            throw fail("kind", "must be CustomResourceDefinition")
        }
        guard let name = json[path: ["metadata", "name"]]?.stringValue else { throw fail("metadata.name", "Required value") }
        guard let spec = json["spec"] else { throw fail("spec", "Required value") }
        guard let group = spec["group"]?.stringValue else { throw fail("spec.group", "Required value") }
        guard let namesJSON = spec["names"], let kind = namesJSON["kind"]?.stringValue,
              let plural = namesJSON["plural"]?.stringValue
        else { throw fail("spec.names", "kind and plural are required") }
        func strings(_ value: JSONValue?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }
        self.name = name
        self.group = group
        self.scope = spec["scope"]?.stringValue ?? "Namespaced"
        self.names = Names(
            kind: kind,
            listKind: namesJSON["listKind"]?.stringValue ?? "\(kind)List",
            plural: plural,
            singular: namesJSON["singular"]?.stringValue ?? kind.lowercased(),
            shortNames: strings(namesJSON["shortNames"]),
            categories: strings(namesJSON["categories"]))
        guard let versionsJSON = spec["versions"]?.arrayValue, !versionsJSON.isEmpty else {
            throw fail("spec.versions", "must have at least one version")
        }
        var versions: [Version] = []
        for (index, version) in versionsJSON.enumerated() {
            let path = "spec.versions[\(index)]"
            guard let versionName = version["name"]?.stringValue else { throw fail("\(path).name", "Required value") }
            var schema: StructuralSchema?
            if let schemaJSON = version[path: ["schema", "openAPIV3Schema"]] {
                schema = try StructuralSchema(schemaJSON, path: "\(path).schema.openAPIV3Schema")
            }
            var columns: [PrinterColumn] = []
            for (columnIndex, column) in (version["additionalPrinterColumns"]?.arrayValue ?? []).enumerated() {
                guard let columnName = column["name"]?.stringValue, let type = column["type"]?.stringValue,
                      let jsonPath = column["jsonPath"]?.stringValue
                else { throw fail("\(path).additionalPrinterColumns[\(columnIndex)]", "name, type and jsonPath are required") }
                columns.append(PrinterColumn(
                    name: columnName, type: type, jsonPath: jsonPath,
                    description: column["description"]?.stringValue, format: column["format"]?.stringValue,
                    priority: Int(column["priority"]?.integerValue ?? 0)))
            }
            versions.append(Version(
                name: versionName,
                served: version["served"]?.boolValue ?? false,
                storage: version["storage"]?.boolValue ?? false,
                schema: schema,
                hasStatusSubresource: version[path: ["subresources", "status"]] != nil,
                hasScaleSubresource: version[path: ["subresources", "scale"]] != nil,
                printerColumns: columns))
        }
        self.versions = versions
    }
}
