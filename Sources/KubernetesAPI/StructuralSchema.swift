/// One node of a CustomResourceDefinition's `openAPIV3Schema`: the subset of OpenAPI v3 that
/// kube-apiserver accepts for CRDs ("structural schemas") plus the `x-kubernetes-*` extensions.
///
/// A node is immutable and shared by reference, so a schema tree decoded once can be used by many
/// concurrent validations (the in-memory API server validates every write against it).
///
/// What the node is used for:
/// - ``validate(_:)`` checks types and value constraints the way kube-apiserver's OpenAPI validator does;
/// - ``prune(_:)`` drops fields the schema does not declare (kube-apiserver pruning);
/// - ``applyDefaults(_:)`` fills in `default`s (kube-apiserver defaulting).
///
/// `x-kubernetes-validations` (CEL rules) are decoded and kept in ``validations`` but NOT evaluated:
/// there is no CEL interpreter here. Callers that need them must evaluate them elsewhere.
///
/// `pattern`s are matched with ICU regular expressions (NSRegularExpression), which agree with
/// kube-apiserver's RE2 on the syntax CRDs use; a pattern ICU cannot compile (RE2-only syntax such as
/// `(?P<name>…)`) is kept but not enforced rather than failing the whole schema.
public final class StructuralSchema: Sendable {
    /// `type`: object, array, string, integer, number or boolean; nil inside junctors and on
    /// int-or-string or preserve-unknown-fields nodes.
    public let type: String?
    public let format: String?
    public let description: String?
    public let properties: [String: StructuralSchema]
    public let additionalProperties: AdditionalProperties?
    public let items: StructuralSchema?
    public let required: [String]
    /// `enum`; named so because `enum` is a keyword.
    public let enumValues: [JSONValue]?
    public let minimum: Double?
    public let maximum: Double?
    public let exclusiveMinimum: Bool
    public let exclusiveMaximum: Bool
    public let multipleOf: Double?
    public let minLength: Int?
    public let maxLength: Int?
    public let minItems: Int?
    public let maxItems: Int?
    public let minProperties: Int?
    public let maxProperties: Int?
    public let pattern: String?
    public let nullable: Bool
    public let oneOf: [StructuralSchema]
    public let anyOf: [StructuralSchema]
    public let allOf: [StructuralSchema]
    public let not: StructuralSchema?
    public let defaultValue: JSONValue?
    public let preserveUnknownFields: Bool
    public let intOrString: Bool
    public let embeddedResource: Bool
    public let listType: String?
    public let listMapKeys: [String]
    public let mapType: String?
    /// CEL rules, kept for callers; never evaluated by this type.
    public let validations: [ValidationRule]

    /// The pattern compiled once; nil when there is no pattern or it does not compile.
    let compiledPattern: SchemaPattern?
    /// `properties` sorted by name, so validation reports in a stable order without sorting per value.
    let orderedProperties: [(name: String, schema: StructuralSchema)]

    /// `additionalProperties`: a boolean or a schema for the values of a map.
    public enum AdditionalProperties: Sendable {
        case allowed(Bool)
        case schema(StructuralSchema)
    }

    /// One `x-kubernetes-validations` entry.
    public struct ValidationRule: Sendable, Hashable {
        public var rule: String
        public var message: String?
        public var messageExpression: String?
        public var reason: String?
        public var fieldPath: String?
        public var optionalOldSelf: Bool?
    }

    /// Decodes a schema node from its JSON (or YAML-turned-JSON) form, e.g. a CRD version's
    /// `schema.openAPIV3Schema`. Unknown keywords are rejected, as kube-apiserver does.
    public convenience init(_ json: JSONValue) throws(StructuralSchemaError) {
        try self.init(json, path: "openAPIV3Schema")
    }

    init(_ json: JSONValue, path: String) throws(StructuralSchemaError) {
        guard case .object(let node) = json else {
            throw StructuralSchemaError(path: path, message: "a schema must be an object")
        }
        var reader = NodeReader(node: node, path: path)
        type = try reader.string("type")
        format = try reader.string("format")
        description = try reader.string("description")
        properties = try reader.schemaMap("properties")
        additionalProperties = try reader.additionalProperties()
        items = try reader.schema("items")
        required = try reader.strings("required") ?? []
        enumValues = try reader.array("enum")
        minimum = try reader.number("minimum")
        maximum = try reader.number("maximum")
        exclusiveMinimum = try reader.bool("exclusiveMinimum") ?? false
        exclusiveMaximum = try reader.bool("exclusiveMaximum") ?? false
        multipleOf = try reader.number("multipleOf")
        minLength = try reader.int("minLength")
        maxLength = try reader.int("maxLength")
        minItems = try reader.int("minItems")
        maxItems = try reader.int("maxItems")
        minProperties = try reader.int("minProperties")
        maxProperties = try reader.int("maxProperties")
        pattern = try reader.string("pattern")
        nullable = try reader.bool("nullable") ?? false
        oneOf = try reader.schemas("oneOf")
        anyOf = try reader.schemas("anyOf")
        allOf = try reader.schemas("allOf")
        not = try reader.schema("not")
        defaultValue = reader.take("default")
        preserveUnknownFields = try reader.bool("x-kubernetes-preserve-unknown-fields") ?? false
        intOrString = try reader.bool("x-kubernetes-int-or-string") ?? false
        embeddedResource = try reader.bool("x-kubernetes-embedded-resource") ?? false
        listType = try reader.string("x-kubernetes-list-type")
        listMapKeys = try reader.strings("x-kubernetes-list-map-keys") ?? []
        mapType = try reader.string("x-kubernetes-map-type")
        validations = try reader.validationRules()
        // Keywords kube-apiserver tolerates but that carry no validation here.
        for ignored in ["title", "example", "externalDocs", "$schema", "id", "uniqueItems"] { _ = reader.take(ignored) }
        try reader.rejectLeftovers()
        if let pattern {
            compiledPattern = SchemaPattern(pattern)
        } else {
            compiledPattern = nil
        }
        orderedProperties = properties.sorted { $0.key < $1.key }.map { (name: $0.key, schema: $0.value) }
    }

    /// The schema as JSON again (the keywords it was decoded from, in canonical form).
    public var jsonValue: JSONValue {
        var node: [String: JSONValue] = [:]
        func set(_ key: String, _ value: JSONValue?) { if let value { node[key] = value } }
        set("type", type.map(JSONValue.string))
        set("format", format.map(JSONValue.string))
        set("description", description.map(JSONValue.string))
        if !properties.isEmpty { node["properties"] = .object(properties.mapValues(\.jsonValue)) }
        switch additionalProperties {
        case .allowed(let allowed): node["additionalProperties"] = .bool(allowed)
        case .schema(let schema): node["additionalProperties"] = schema.jsonValue
        case nil: break
        }
        set("items", items?.jsonValue)
        if !required.isEmpty { node["required"] = .array(required.map(JSONValue.string)) }
        set("enum", enumValues.map(JSONValue.array))
        set("minimum", minimum.map(Self.number))
        set("maximum", maximum.map(Self.number))
        if exclusiveMinimum { node["exclusiveMinimum"] = true }
        if exclusiveMaximum { node["exclusiveMaximum"] = true }
        set("multipleOf", multipleOf.map(Self.number))
        set("minLength", minLength.map { .integer(Int64($0)) })
        set("maxLength", maxLength.map { .integer(Int64($0)) })
        set("minItems", minItems.map { .integer(Int64($0)) })
        set("maxItems", maxItems.map { .integer(Int64($0)) })
        set("minProperties", minProperties.map { .integer(Int64($0)) })
        set("maxProperties", maxProperties.map { .integer(Int64($0)) })
        set("pattern", pattern.map(JSONValue.string))
        if nullable { node["nullable"] = true }
        if !oneOf.isEmpty { node["oneOf"] = .array(oneOf.map(\.jsonValue)) }
        if !anyOf.isEmpty { node["anyOf"] = .array(anyOf.map(\.jsonValue)) }
        if !allOf.isEmpty { node["allOf"] = .array(allOf.map(\.jsonValue)) }
        set("not", not?.jsonValue)
        set("default", defaultValue)
        if preserveUnknownFields { node["x-kubernetes-preserve-unknown-fields"] = true }
        if intOrString { node["x-kubernetes-int-or-string"] = true }
        if embeddedResource { node["x-kubernetes-embedded-resource"] = true }
        set("x-kubernetes-list-type", listType.map(JSONValue.string))
        if !listMapKeys.isEmpty { node["x-kubernetes-list-map-keys"] = .array(listMapKeys.map(JSONValue.string)) }
        set("x-kubernetes-map-type", mapType.map(JSONValue.string))
        if !validations.isEmpty {
            node["x-kubernetes-validations"] = .array(validations.map { rule in
                var entry: [String: JSONValue] = ["rule": .string(rule.rule)]
                if let message = rule.message { entry["message"] = .string(message) }
                if let expression = rule.messageExpression { entry["messageExpression"] = .string(expression) }
                if let reason = rule.reason { entry["reason"] = .string(reason) }
                if let fieldPath = rule.fieldPath { entry["fieldPath"] = .string(fieldPath) }
                if let optionalOldSelf = rule.optionalOldSelf { entry["optionalOldSelf"] = .bool(optionalOldSelf) }
                return .object(entry)
            })
        }
        return .object(node)
    }

    /// The schema of the value stored under `key` of an object this node describes: the declared
    /// property, else the `additionalProperties` schema.
    public func schema(forProperty key: String) -> StructuralSchema? {
        if let declared = properties[key] { return declared }
        if case .schema(let values) = additionalProperties { return values }
        return nil
    }

    private static func number(_ value: Double) -> JSONValue {
        if value.rounded() == value, abs(value) < 9.0e18 { return .integer(Int64(value)) }
        return .double(value)
    }
}

extension StructuralSchema: Codable {
    public convenience init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        do {
            try self.init(json)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }
}

/// A schema that cannot be decoded: which keyword, where, and why.
public struct StructuralSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Reads the keywords of one schema node, removing each one it reads so leftovers can be reported.
private struct NodeReader {
    var node: [String: JSONValue]
    let path: String

    mutating func take(_ key: String) -> JSONValue? {
        node.removeValue(forKey: key)
    }

    private func error(_ key: String, _ message: String) -> StructuralSchemaError {
        StructuralSchemaError(path: "\(path).\(key)", message: message)
    }

    mutating func string(_ key: String) throws(StructuralSchemaError) -> String? {
        guard let value = take(key) else { return nil }
        guard case .string(let string) = value else { throw error(key, "must be a string") }
        return string
    }

    mutating func bool(_ key: String) throws(StructuralSchemaError) -> Bool? {
        guard let value = take(key) else { return nil }
        guard case .bool(let bool) = value else { throw error(key, "must be a boolean") }
        return bool
    }

    mutating func number(_ key: String) throws(StructuralSchemaError) -> Double? {
        switch take(key) {
        case nil: return nil
        case .integer(let value)?: return Double(value)
        case .double(let value)?: return value
        default: throw error(key, "must be a number")
        }
    }

    mutating func int(_ key: String) throws(StructuralSchemaError) -> Int? {
        guard let value = take(key) else { return nil }
        guard let integer = value.integerValue, integer >= 0, integer <= Int64(Int.max) else {
            throw error(key, "must be a non-negative integer")
        }
        return Int(integer)
    }

    mutating func array(_ key: String) throws(StructuralSchemaError) -> [JSONValue]? {
        guard let value = take(key) else { return nil }
        guard case .array(let array) = value else { throw error(key, "must be an array") }
        return array
    }

    mutating func strings(_ key: String) throws(StructuralSchemaError) -> [String]? {
        guard let values = try array(key) else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(values.count)
        for value in values {
            guard case .string(let string) = value else { throw error(key, "must be an array of strings") }
            strings.append(string)
        }
        return strings
    }

    mutating func schema(_ key: String) throws(StructuralSchemaError) -> StructuralSchema? {
        guard let value = take(key) else { return nil }
        return try StructuralSchema(value, path: "\(path).\(key)")
    }

    mutating func schemas(_ key: String) throws(StructuralSchemaError) -> [StructuralSchema] {
        guard let values = try array(key) else { return [] }
        var schemas: [StructuralSchema] = []
        for (index, value) in values.enumerated() {
            schemas.append(try StructuralSchema(value, path: "\(path).\(key)[\(index)]"))
        }
        return schemas
    }

    mutating func schemaMap(_ key: String) throws(StructuralSchemaError) -> [String: StructuralSchema] {
        guard let value = take(key) else { return [:] }
        guard case .object(let members) = value else { throw error(key, "must be an object") }
        var schemas: [String: StructuralSchema] = [:]
        schemas.reserveCapacity(members.count)
        for (name, member) in members {
            schemas[name] = try StructuralSchema(member, path: "\(path).\(key).\(name)")
        }
        return schemas
    }

    mutating func additionalProperties() throws(StructuralSchemaError) -> StructuralSchema.AdditionalProperties? {
        switch take("additionalProperties") {
        case nil: return nil
        case .bool(let allowed)?: return .allowed(allowed)
        case let value?: return .schema(try StructuralSchema(value, path: "\(path).additionalProperties"))
        }
    }

    mutating func validationRules() throws(StructuralSchemaError) -> [StructuralSchema.ValidationRule] {
        let key = "x-kubernetes-validations"
        guard let entries = try array(key) else { return [] }
        var rules: [StructuralSchema.ValidationRule] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let fields) = entry, case .string(let rule)? = fields["rule"] else {
                throw error("\(key)[\(index)]", "must be an object with a string `rule`")
            }
            rules.append(.init(
                rule: rule,
                message: fields["message"]?.stringValue,
                messageExpression: fields["messageExpression"]?.stringValue,
                reason: fields["reason"]?.stringValue,
                fieldPath: fields["fieldPath"]?.stringValue,
                optionalOldSelf: fields["optionalOldSelf"]?.boolValue
            ))
        }
        return rules
    }

    func rejectLeftovers() throws(StructuralSchemaError) {
        if let unknown = node.keys.sorted().first {
            throw error(unknown, "unknown schema keyword")
        }
    }
}
