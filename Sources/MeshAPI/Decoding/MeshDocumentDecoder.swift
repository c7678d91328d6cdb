import Foundation
import KubernetesAPI
import Yams

/// Where a decoded object, error or notice came from.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file name as given (or a label such as `<stdin>`).
    public var file: String
    /// 1-based index of the YAML document within the file.
    public var document: Int
    /// 1-based line within the file, when known.
    public var line: Int?

    public init(file: String, document: Int, line: Int? = nil) {
        self.file = file
        self.document = document
        self.line = line
    }

    public var description: String {
        var text = "\(file): document \(document)"
        if let line { text += ", line \(line)" }
        return text
    }
}

/// A document (or `List` item) that could not be decoded.
public struct MeshDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// e.g. `spec.http[0].route[1].weigth`; empty for the document itself.
    public var fieldPath: String
    public var message: String

    public init(location: SourceLocation, fieldPath: String, message: String) {
        self.location = location
        self.fieldPath = fieldPath
        self.message = message
    }

    /// `bookinfo.yaml: document 3, line 14: spec.http[0].route[1].weigth: unknown field`
    public var description: String {
        fieldPath.isEmpty ? "\(location): \(message)" : "\(location): \(fieldPath): \(message)"
    }
}

/// Something skipped on purpose, e.g. a kind Coxswain does not read.
public struct MeshDecodingNotice: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public var description: String { "\(location): \(message)" }
}

/// A document Coxswain skipped that was probably meant as one of its kinds (`kind:
/// virtualservice`, `apiVersion: networking.istio.io/v9`): said as a warning with the
/// field and the closest known spelling, not as a quiet notice.
public struct MeshDecodingWarning: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// `kind` or `apiVersion` (under `items[N].` inside a List).
    public var fieldPath: String
    public var message: String
    public var description: String { "\(location): \(fieldPath): \(message)" }
}

/// One decoded object with its origin.
public struct DecodedObject: Sendable, Hashable {
    public var object: MeshObject
    public var location: SourceLocation

    public init(object: MeshObject, location: SourceLocation) {
        self.object = object
        self.location = location
    }
}

/// Everything decoded from some input: objects, per-document errors and notices.
public struct MeshDecodeResult: Sendable {
    public var objects: [DecodedObject] = []
    public var errors: [MeshDecodingError] = []
    public var notices: [MeshDecodingNotice] = []
    public var warnings: [MeshDecodingWarning] = []

    public init() {}

    public mutating func merge(_ other: MeshDecodeResult) {
        objects += other.objects
        errors += other.errors
        notices += other.notices
        warnings += other.warnings
    }
}

/// Decodes mesh objects from multi-document YAML or JSON text, files and directories.
///
/// Istio kinds are strict: unknown fields, wrong types and unknown enum spellings are
/// errors naming the file, document, line and field path. Kubernetes kinds ignore
/// unknown fields. Unknown kinds are skipped with a notice. Each document is parsed on
/// its own, so a malformed one does not stop the others.
public struct MeshDocumentDecoder: Sendable {
    /// File name endings read from directories.
    public static let fileExtensions: Set<String> = ["yaml", "yml", "json"]
    /// Larger files are refused rather than read into memory.
    public static let maximumFileBytes = 128 * 1024 * 1024

    public init() {}

    /// Decodes all documents of `text`, labelling locations with `source`.
    public func decode(yaml text: String, source: String = "<input>") -> MeshDecodeResult {
        if let result = decodeStream(text, source: source) { return result }
        return decodeDocumentByDocument(text, source: source)
    }

    /// Decodes one object that arrived as JSON (from the API server), without a YAML
    /// round trip: the tree becomes Yams nodes directly, each scalar typed exactly as its
    /// JSON text would be typed in YAML, so strictness and error paths are the same.
    public func decode(json: JSONValue, source: String = "<input>") -> MeshDecodeResult {
        var result = MeshDecodeResult()
        let root = JSONNodes().node(json)
        guard !ScalarTyping.isNull(root) else { return result }
        let context = DocumentContext(source: source, document: 1, lineOffset: 0, root: root, mayHaveAliases: false)
        decodeDocument(root, codingPath: [], context: context, into: &result)
        return result
    }

    /// The fast path: one parser over the whole stream. Returns nil on a YAML syntax
    /// error, so the caller can isolate the broken document.
    private func decodeStream(_ text: String, source: String) -> MeshDecodeResult? {
        var result = MeshDecodeResult()
        let mayHaveAliases = text.utf8.contains(UInt8(ascii: "&"))
        do {
            let parser = try Yams.Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
            var documentNumber = 0
            while let root = try parser.nextRoot() {
                guard !ScalarTyping.isNull(root) else { continue }
                documentNumber += 1
                let context = DocumentContext(source: source, document: documentNumber, lineOffset: 0, root: root,
                                              expansionBudget: text.utf8.count + 1024, mayHaveAliases: mayHaveAliases)
                decodeDocument(root, codingPath: [], context: context, into: &result)
            }
        } catch {
            return nil
        }
        return result
    }

    /// The robust path: each `---`-separated document parsed on its own, so a syntax
    /// error costs only its own document.
    private func decodeDocumentByDocument(_ text: String, source: String) -> MeshDecodeResult {
        var result = MeshDecodeResult()
        var documentNumber = 0
        for chunk in DocumentSplitter.split(text) {
            let root: Yams.Node?
            do {
                root = try Yams.Parser(yaml: chunk.text, resolver: .basic, constructor: .default, encoding: .utf8).singleRoot()
            } catch {
                documentNumber += 1
                result.errors.append(parseError(error, chunk: chunk, source: source, document: documentNumber))
                continue
            }
            // An empty document (e.g. after a trailing `---`) is no document.
            guard let root, !ScalarTyping.isNull(root) else { continue }
            documentNumber += 1
            let context = DocumentContext(source: source, document: documentNumber, lineOffset: chunk.firstLine - 1, root: root, expansionBudget: chunk.text.utf8.count + 1024)
            decodeDocument(root, codingPath: [], context: context, into: &result)
        }
        return result
    }

    /// Decodes one file. Errors name the file and say what is wrong with the path (a
    /// symlink loop, a FIFO, a missing file) or the first byte that is not UTF-8.
    public func decode(file url: URL) -> MeshDecodeResult {
        switch ConfigFiles.contents(of: url) {
        case .success(let data): return decode(data: data, source: url.path)
        case .failure(let error):
            var result = MeshDecodeResult()
            result.errors.append(error)
            return result
        }
    }

    /// Decodes the bytes of a file already read (file mode hashes the same bytes it decodes).
    public func decode(data: Data, source: String) -> MeshDecodeResult {
        switch ConfigFiles.text(data, source: source) {
        case .success(let text): return decode(yaml: text, source: source)
        case .failure(let error):
            var result = MeshDecodeResult()
            result.errors.append(error)
            return result
        }
    }

    /// Decodes files and directories (recursively: `*.yaml`, `*.yml`, `*.json`, in name
    /// order, dot-named entries skipped, symlinks followed; see `ConfigFiles.walk`).
    public func decode(paths: [URL]) -> MeshDecodeResult {
        var result = MeshDecodeResult()
        for url in paths {
            if ConfigFiles.isDirectory(url) {
                let tree = ConfigFiles.walk(url)
                result.errors += tree.errors
                for file in tree.files { result.merge(decode(file: file)) }
            } else {
                result.merge(decode(file: url))
            }
        }
        return result
    }

    /// Decodes a directory recursively.
    public func decode(directory url: URL) -> MeshDecodeResult { decode(paths: [url]) }

    /// Decodes a single object of a known type strictly; throws the first error.
    public func decodeObject<T: Decodable>(_ type: T.Type, yaml text: String, source: String = "<input>") throws -> T {
        guard let chunk = DocumentSplitter.split(text).first else {
            throw MeshDecodingError(location: .init(file: source, document: 1), fieldPath: "", message: "empty input")
        }
        let root: Yams.Node
        do {
            guard let parsed = try Yams.Parser(yaml: chunk.text, resolver: .basic, encoding: .utf8).singleRoot() else {
                throw MeshDecodingError(location: .init(file: source, document: 1), fieldPath: "", message: "empty input")
            }
            root = parsed
        } catch let error as MeshDecodingError {
            throw error
        } catch {
            throw parseError(error, chunk: chunk, source: source, document: 1)
        }
        let context = DocumentContext(source: source, document: 1, lineOffset: chunk.firstLine - 1, root: root)
        if AliasGuard.expandsTooMuch(root, budget: chunk.text.utf8.count + 1024) {
            throw MeshDecodingError(location: context.location(of: []), fieldPath: "", message: "document expands too much through YAML aliases")
        }
        do {
            return try NodeDecoder.decode(type, from: root)
        } catch {
            throw context.error(for: error)
        }
    }

    /// The config files under a directory, as `decode(paths:)` reads them.
    public static func files(under directory: URL) -> [URL] { ConfigFiles.walk(directory).files }

    private func parseError(_ error: any Error, chunk: DocumentSplitter.Chunk, source: String, document: Int) -> MeshDecodingError {
        var line: Int?
        var message = "invalid YAML"
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
                line = mark.line + chunk.firstLine - 1
                message = "invalid YAML: \(problem)" + (context.map { " \($0.text)" } ?? "")
            case .composer(_, let problem, let mark, _):
                line = mark.line + chunk.firstLine - 1
                message = "invalid YAML: \(problem)"
            case .duplicatedKeysInMapping(let duplicates, let context):
                line = context.mark.line + chunk.firstLine - 1
                message = "duplicate field " + duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            default:
                message = "invalid YAML: \(yamlError)"
            }
        }
        return MeshDecodingError(location: .init(file: source, document: document, line: line), fieldPath: "", message: message)
    }

    private func decodeDocument(_ node: Yams.Node, codingPath: [any CodingKey], context: DocumentContext, into result: inout MeshDecodeResult) {
        if codingPath.isEmpty, context.mayHaveAliases, AliasGuard.expandsTooMuch(node, budget: context.expansionBudget) {
            result.errors.append(.init(location: context.location(of: []), fieldPath: "",
                                       message: "document expands too much through YAML aliases"))
            return
        }
        let location = context.location(of: codingPath)
        guard case .mapping(let mapping) = node else {
            result.errors.append(.init(location: location, fieldPath: FieldPath.format(codingPath), message: "expected an object with apiVersion and kind, got \(ScalarTyping.describe(node))"))
            return
        }
        let index: MappingIndex
        do {
            index = try MappingIndex(mapping, codingPath: { codingPath })
        } catch {
            result.errors.append(context.error(for: error))
            return
        }
        guard let apiVersion = index["apiVersion"]?.scalar?.string, let kind = index["kind"]?.scalar?.string,
              !apiVersion.isEmpty, !kind.isEmpty else {
            result.errors.append(.init(location: location, fieldPath: FieldPath.format(codingPath), message: "missing apiVersion or kind"))
            return
        }
        if kind == "List" || (kind.hasSuffix("List") && index["items"] != nil) {
            guard let items = index["items"] else { return }
            if ScalarTyping.isNull(items) { return }
            guard case .sequence(let sequence) = items else {
                result.errors.append(.init(location: context.location(of: codingPath + [FieldKey("items")]), fieldPath: FieldPath.format(codingPath + [FieldKey("items")]), message: "expected array, got \(ScalarTyping.describe(items))"))
                return
            }
            for (offset, item) in sequence.enumerated() {
                decodeDocument(item, codingPath: codingPath + [FieldKey("items"), FieldKey(index: offset)], context: context, into: &result)
            }
            return
        }
        let gvk = GroupVersionKind(apiVersion: apiVersion, kind: kind)
        guard let meshKind = MeshKind(gvk) else {
            let name = index["metadata"]?.mapping?["name"]?.scalar?.string
            if let suggestion = MeshKind.suggestion(for: gvk) {
                let field = codingPath + [FieldKey(suggestion.field)]
                result.warnings.append(.init(location: context.location(of: field), fieldPath: FieldPath.format(field),
                                             message: "skipped \(gvk)\(name.map { " \"\($0)\"" } ?? ""): \(suggestion.message)"))
                return
            }
            result.notices.append(.init(location: location, message: "skipped \(gvk)\(name.map { " \"\($0)\"" } ?? ""): not a kind Coxswain reads"))
            return
        }
        do {
            let object: MeshObject
            switch meshKind {
            case .virtualService: object = .virtualService(try NodeDecoder.decode(VirtualService.self, from: node, codingPath: codingPath))
            case .destinationRule: object = .destinationRule(try NodeDecoder.decode(DestinationRule.self, from: node, codingPath: codingPath))
            case .gateway: object = .gateway(try NodeDecoder.decode(Gateway.self, from: node, codingPath: codingPath))
            case .service: object = .service(try NodeDecoder.decode(Service.self, from: node, codingPath: codingPath))
            case .endpointSlice: object = .endpointSlice(try NodeDecoder.decode(EndpointSlice.self, from: node, codingPath: codingPath))
            case .pod: object = .pod(try NodeDecoder.decode(Pod.self, from: node, codingPath: codingPath))
            case .secret: object = .secret(try NodeDecoder.decode(Secret.self, from: node, codingPath: codingPath))
            case .namespace: object = .namespace(try NodeDecoder.decode(Namespace.self, from: node, codingPath: codingPath))
            case .node: object = .node(try NodeDecoder.decode(KubernetesNode.self, from: node, codingPath: codingPath))
            }
            result.objects.append(DecodedObject(object: object, location: location))
        } catch {
            result.errors.append(context.error(for: error))
        }
    }
}

/// A parsed document and where it sits in its file, for turning coding paths into lines.
struct DocumentContext {
    var source: String
    var document: Int
    var lineOffset: Int
    var root: Yams.Node
    /// Nodes a document may hold once aliases are expanded (see `AliasGuard`).
    var expansionBudget: Int = 0
    /// False when the text has no `&`, hence no anchors and no aliases to expand.
    var mayHaveAliases = true

    func location(of codingPath: [any CodingKey], preferKey: Bool = false) -> SourceLocation {
        let line = FieldPath.mark(of: codingPath, in: root, preferKey: preferKey)?.line
        return SourceLocation(file: source, document: document, line: line.map { $0 + lineOffset })
    }

    func error(for error: any Error) -> MeshDecodingError {
        if let error = error as? MeshDecodingError { return error }
        guard let decodingError = error as? DecodingError else {
            return MeshDecodingError(location: location(of: []), fieldPath: "", message: "\(error)")
        }
        switch decodingError {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return .init(location: location(of: context.codingPath), fieldPath: FieldPath.format(context.codingPath), message: context.debugDescription)
        case .dataCorrupted(let context):
            let isKeyProblem = context.debugDescription == "unknown field" || context.debugDescription == "duplicate field"
            return .init(location: location(of: context.codingPath, preferKey: isKeyProblem), fieldPath: FieldPath.format(context.codingPath), message: context.debugDescription)
        case .keyNotFound(let key, let context):
            return .init(location: location(of: context.codingPath), fieldPath: FieldPath.format(context.codingPath + [key]), message: "missing required field")
        @unknown default:
            return .init(location: location(of: []), fieldPath: "", message: "\(decodingError)")
        }
    }
}

/// Field paths as users read them: `spec.http[0].route[1].weight`.
public enum FieldPath {
    public static func format(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let fieldKey = key as? FieldKey, let index = fieldKey.intValue {
                text += "[\(index)]"
            } else if isMapEntryKey(key) {
                // A map entry (label, header name...): `labels["app.kubernetes.io/name"]`, as the validator writes it.
                text += "[\"\(key.stringValue)\"]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    /// Keys that `Dictionary`'s Decodable conformance makes (the standard library's private
    /// `_DictionaryCodingKey`); only consulted when formatting an error.
    private static func isMapEntryKey(_ key: any CodingKey) -> Bool {
        String(describing: type(of: key)).contains("DictionaryCodingKey")
    }

    /// The mark of the node at `codingPath` (or of its key, for unknown fields), or of
    /// the deepest node on the way when the path leaves the tree.
    static func mark(of codingPath: [any CodingKey], in root: Yams.Node, preferKey: Bool) -> Mark? {
        var node = root
        var best = root.mark
        for (position, key) in codingPath.enumerated() {
            switch node {
            case .mapping(let mapping):
                guard let pair = mapping.first(where: { $0.key.scalar?.string == key.stringValue }) else { return best }
                if preferKey, position == codingPath.count - 1 { return pair.key.mark ?? best }
                node = pair.value
            case .sequence(let sequence):
                guard let index = key.intValue, index >= 0, index < sequence.count else { return best }
                node = sequence[sequence.index(sequence.startIndex, offsetBy: index)]
            default:
                return best
            }
            if let mark = node.mark { best = mark }
        }
        return best
    }
}

/// Splits a YAML stream at `---` lines so each document parses on its own.
enum DocumentSplitter {
    struct Chunk {
        var text: String
        /// 1-based line of the chunk's first line within the whole text.
        var firstLine: Int
    }

    static func split(_ text: String) -> [Chunk] {
        var chunks: [Chunk] = []
        let utf8 = text.utf8
        var chunkStart = utf8.startIndex
        var chunkLine = 1
        var line = 1
        var lineStart = utf8.startIndex
        var index = utf8.startIndex
        func isSeparator(at start: String.UTF8View.Index) -> Bool {
            var cursor = start
            for expected in "---".utf8 {
                guard cursor != utf8.endIndex, utf8[cursor] == expected else { return false }
                cursor = utf8.index(after: cursor)
            }
            return cursor == utf8.endIndex || utf8[cursor] == UInt8(ascii: " ") || utf8[cursor] == UInt8(ascii: "\n")
                || utf8[cursor] == UInt8(ascii: "\r") || utf8[cursor] == UInt8(ascii: "\t")
        }
        while true {
            if lineStart != chunkStart, isSeparator(at: lineStart) {
                chunks.append(Chunk(text: String(text[chunkStart..<lineStart]), firstLine: chunkLine))
                chunkStart = lineStart
                chunkLine = line
            }
            guard let newline = utf8[index...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            index = utf8.index(after: newline)
            line += 1
            lineStart = index
            if index == utf8.endIndex { break }
        }
        chunks.append(Chunk(text: String(text[chunkStart...]), firstLine: chunkLine))
        return chunks
    }
}

/// Guards against alias bombs ("billion laughs"): Yams shares aliased nodes, so parsing is
/// cheap, but walking the tree visits every alias again. Without aliases a document has
/// fewer nodes than bytes; one that expands beyond its size (plus slack) is refused. The
/// walk stops as soon as the budget is spent, so the check itself stays linear.
enum AliasGuard {
    static func expandsTooMuch(_ root: Yams.Node, budget: Int) -> Bool {
        var remaining = budget
        var stack: [Yams.Node] = [root]
        while let node = stack.popLast() {
            remaining -= 1
            if remaining < 0 { return true }
            switch node {
            case .mapping(let mapping):
                var position = mapping.startIndex
                while position < mapping.endIndex {
                    let pair = mapping[position]
                    stack.append(pair.key)
                    stack.append(pair.value)
                    position += 1
                }
            case .sequence(let sequence):
                stack.append(contentsOf: sequence)
            case .scalar, .alias:
                break
            }
        }
        return false
    }
}

/// Builds the Yams node tree a YAML parser would build for a JSON value. Object keys are
/// sorted so that "the first unknown field" is the same on every run.
private struct JSONNodes {
    /// One tag for the whole tree: nodes built here are never resolved through it.
    private let tag = Yams.Tag(.implicit)

    func node(_ value: JSONValue) -> Yams.Node {
        switch value {
        case .null: return plain("null")
        case .bool(let flag): return plain(flag ? "true" : "false")
        case .integer(let number): return plain(String(number))
        case .double(let number):
            // JSON writes an integral double without a fraction; so does this.
            if number.rounded() == number, abs(number) < 9_007_199_254_740_992 { return plain(String(Int64(number))) }
            return plain("\(number)")
        case .string(let text): return .scalar(.init(text, tag, .doubleQuoted))
        case .array(let items): return .sequence(.init(items.map(node), tag, .any))
        case .object(let fields):
            let pairs = fields.sorted { $0.key < $1.key }.map { (Yams.Node.scalar(.init($0.key, tag, .doubleQuoted)), node($0.value)) }
            return .mapping(.init(pairs, tag, .any))
        }
    }

    private func plain(_ text: String) -> Yams.Node { .scalar(.init(text, tag, .plain)) }
}
