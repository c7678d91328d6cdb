import Foundation
import KubernetesAPI
import Yams

/// YAML documents as the API server sees them: JSON values whose scalar types follow the YAML
/// tags (a quoted "80" stays a string, a plain 80 is an integer), as sigs.k8s.io/yaml does.
enum YAMLDocuments {
    struct ConversionError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String) throws -> [JSONValue] {
        var documents: [JSONValue] = []
        var sequence = try Yams.compose_all(yaml: text)
        while let node = sequence.next() {
            documents.append(try json(node))
        }
        if let error = sequence.error { throw error }
        return documents.filter { $0 != .null }
    }

    static func load(_ url: URL) throws -> [JSONValue] {
        try parse(String(contentsOf: url, encoding: .utf8))
    }

    static func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.description) {
            case .null: return .null
            case .bool: return .bool(Bool.construct(from: scalar) ?? false)
            case .int:
                if let value = Int.construct(from: scalar) { return .integer(Int64(value)) }
                return .double(Double.construct(from: scalar) ?? .nan)
            case .float: return .double(Double.construct(from: scalar) ?? .nan)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw ConversionError(description: "non-string key at \(String(describing: key.mark))") }
                members[name] = try json(value)
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .alias:
            throw ConversionError(description: "YAML aliases are not used in Kubernetes manifests here")
        }
    }
}

/// Files of this repository, found from this source file's location.
enum Repository {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // KubernetesAPITests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// Every `*.yaml` under `directory` (recursively), sorted, skipping anything below a folder
    /// named `invalid`.
    static func yamlFiles(under directory: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        var files: [URL] = []
        for case let url as URL in enumerator where url.pathExtension == "yaml" || url.pathExtension == "yml" {
            let relative = url.path.dropFirst(directory.path.count).split(separator: "/")
            if relative.dropLast().contains("invalid") { continue }
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// YAML files under any `Fixtures` folder of any test target.
    static func fixtureYAMLFiles() -> [URL] {
        let tests = url("Tests")
        guard let targets = try? FileManager.default.contentsOfDirectory(at: tests, includingPropertiesForKeys: nil) else {
            return []
        }
        return targets.sorted { $0.path < $1.path }.flatMap { target in
            yamlFiles(under: target.appendingPathComponent("Fixtures"))
        }
    }
}

extension Repository {
    static func relativePath(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let rootPath = root.standardizedFileURL.path
        return path.hasPrefix(rootPath) ? String(path.dropFirst(rootPath.count + 1)) : path
    }
}

/// The CRDs in crds/, by kind.
enum IstioCRDs {
    static let byKind: [String: CustomResourceDefinition] = {
        var result: [String: CustomResourceDefinition] = [:]
        for file in Repository.yamlFiles(under: Repository.url("crds")) {
            guard let documents = try? YAMLDocuments.load(file) else { continue }
            for document in documents where document["kind"]?.stringValue == "CustomResourceDefinition" {
                if let crd = try? CustomResourceDefinition(document) {
                    result[crd.names.kind] = crd
                }
            }
        }
        return result
    }()

    static let kinds = ["VirtualService", "DestinationRule", "Gateway"]

    static func schema(_ kind: String, version: String = "v1") -> StructuralSchema? {
        byKind[kind]?.version(named: version)?.schema
    }
}

/// The property paths a document actually uses, in ``StructuralSchema/propertyPaths()`` notation.
func usedPropertyPaths(_ value: JSONValue, schema: StructuralSchema) -> Set<String> {
    var paths = Set<String>()
    func walk(_ value: JSONValue, _ schema: StructuralSchema, _ path: String) {
        switch value {
        case .object(let members):
            for (name, member) in members {
                if let property = schema.properties[name] {
                    let child = path.isEmpty ? name : "\(path).\(name)"
                    paths.insert(child)
                    walk(member, property, child)
                } else if case .schema(let values) = schema.additionalProperties {
                    walk(member, values, "\(path){}")
                }
            }
        case .array(let elements):
            if let items = schema.items {
                for element in elements { walk(element, items, "\(path)[]") }
            }
        default:
            break
        }
    }
    if case .object(let members) = value {
        for (name, member) in members where !["apiVersion", "kind", "metadata"].contains(name) {
            if let property = schema.properties[name] {
                paths.insert(name)
                walk(member, property, name)
            }
        }
    }
    return paths
}
