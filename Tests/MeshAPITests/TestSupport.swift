import Foundation
import KubernetesAPI
@testable import MeshAPI

/// Test fixtures live next to this file; found through `#filePath`, not SwiftPM resources.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }
}

/// Decodes YAML text and returns the result, for brevity in tests.
func decodeYAML(_ text: String, source: String = "test.yaml") -> MeshDecodeResult {
    MeshDocumentDecoder().decode(yaml: text, source: source)
}

/// Compares two JSON trees, treating 5 and 5.0 as the same number.
func sameJSON(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.object(let a), .object(let b)):
        return a.count == b.count && a.allSatisfy { key, value in b[key].map { sameJSON(value, $0) } ?? false }
    case (.array(let a), .array(let b)):
        return a.count == b.count && zip(a, b).allSatisfy(sameJSON)
    case (.integer(let a), .double(let b)), (.double(let b), .integer(let a)):
        return Double(a) == b
    default:
        return lhs == rhs
    }
}

/// Parses each YAML document of `text` into an untyped tree (with YAML 1.1 scalar typing).
func untypedDocuments(_ text: String) throws -> [JSONValue] {
    try DocumentSplitter.split(text).compactMap { chunk in
        guard let node = try Yams.Parser(yaml: chunk.text, resolver: .basic).singleRoot() else { return nil }
        return try NodeDecoder.decode(JSONValue.self, from: node)
    }
}

import Yams
