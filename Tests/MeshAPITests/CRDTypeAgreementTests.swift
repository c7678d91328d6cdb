import Foundation
import KubernetesAPI
import Testing
import Yams
@testable import MeshAPI

/// The Swift types and the CRDs in crds/ describe the same fields.
///
/// From each CRD schema we build a "maximal" object that sets every property the
/// schema declares, then decode it strictly with the Swift types: a schema field the
/// types lack is an unknown-field error. Walking the decoded value with `Mirror`, a
/// stored property still nil is a field the types have and the schema does not.
@Suite struct CRDTypeAgreementTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Swift property names that differ from their JSON names.
    static let jsonNames = ["mirrorPercent": "mirror_percent", "mirrorPercentAlias": "mirrorPercent"]

    static func schema(_ file: String) throws -> StructuralSchema {
        let text = try String(contentsOf: repository.appendingPathComponent("crds/\(file)"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text))
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONSerialization.data(withJSONObject: document))
        let definition = try CustomResourceDefinition(json)
        return try #require(definition.version(named: "v1")?.schema)
    }

    /// A value for every property: the first enum value, integers for int-or-string, "1s"
    /// for strings (a valid duration, and a valid string anywhere else).
    static func maximal(_ schema: StructuralSchema) -> JSONValue {
        if let first = schema.enumValues?.first { return first }
        if schema.intOrString { return .integer(1) }
        switch schema.type {
        case "object":
            var members: [String: JSONValue] = [:]
            for (name, property) in schema.properties { members[name] = maximal(property) }
            if schema.properties.isEmpty, case .schema(let values)? = schema.additionalProperties {
                members["key"] = maximal(values)
            }
            return .object(members)
        case "array": return .array(schema.items.map { [maximal($0)] } ?? [])
        case "integer": return .integer(1)
        case "number": return .double(1.5)
        case "boolean": return .bool(true)
        default: return .string("1s")
        }
    }

    /// Paths of stored properties that are nil after decoding the maximal object.
    static func unsetFields(of value: Any, path: String = "") -> [String] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { unsetFields(of: $0.value, path: path) } ?? [path]
        case .collection, .set:
            return mirror.children.flatMap { unsetFields(of: $0.value, path: path + "[]") }
        case .dictionary:
            return mirror.children.flatMap { entry -> [String] in
                let pair = Mirror(reflecting: entry.value).children.map(\.value)
                return pair.count == 2 ? unsetFields(of: pair[1], path: path + "{}") : []
            }
        case .struct:
            return mirror.children.flatMap { child -> [String] in
                guard let label = child.label else { return [] }
                let name = jsonNames[label] ?? label
                return unsetFields(of: child.value, path: path.isEmpty ? name : "\(path).\(name)")
            }
        default:
            return []
        }
    }

    static func check(kind: String, file: String, spec: (MeshObject) -> Any?) throws {
        let schema = try schema(file)
        let specSchema = try #require(schema.properties["spec"])
        let object: JSONValue = [
            "apiVersion": "networking.istio.io/v1", "kind": .string(kind),
            "metadata": ["name": "maximal", "namespace": "default"], "spec": maximal(specSchema),
        ]
        let text = String(decoding: try JSONEncoder().encode(object), as: UTF8.self)
        let result = MeshDocumentDecoder().decode(yaml: text, source: "\(kind)-maximal.json")
        #expect(result.errors.isEmpty, "fields in the \(kind) CRD that the Swift types lack: \(result.errors.map(\.description))")
        let decoded = try #require(result.objects.first?.object)
        let decodedSpec = try #require(spec(decoded))
        let unset = unsetFields(of: decodedSpec, path: "spec")
        #expect(unset.isEmpty, "fields of the Swift \(kind) types that the CRD lacks: \(unset)")
    }

    @Test func virtualService() throws {
        try Self.check(kind: "VirtualService", file: "networking.istio.io_virtualservices.yaml") {
            if case .virtualService(let value) = $0 { value.spec } else { nil }
        }
    }

    @Test func destinationRule() throws {
        try Self.check(kind: "DestinationRule", file: "networking.istio.io_destinationrules.yaml") {
            if case .destinationRule(let value) = $0 { value.spec } else { nil }
        }
    }

    @Test func gateway() throws {
        try Self.check(kind: "Gateway", file: "networking.istio.io_gateways.yaml") {
            if case .gateway(let value) = $0 { value.spec } else { nil }
        }
    }

    @Test func theCheckNoticesAMissingField() {
        struct Sample { var present: Int? = 1; var missing: String? = nil; var nested: [Int?] = [nil] }
        #expect(Self.unsetFields(of: Sample()) == ["missing", "nested[]"])
    }
}
