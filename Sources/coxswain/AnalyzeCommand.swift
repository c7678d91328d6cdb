import ArgumentParser
import Foundation
import MeshAPI

/// `coxswain analyze`: decode, validate and analyze mesh YAML without a cluster,
/// like `istioctl analyze`, with field paths on every finding.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Decode, validate and analyze VirtualServices, DestinationRules and Gateways (and the objects they point at).",
        discussion: """
        Exits 1 when any error is found (a file that does not decode or cannot be read, a path that does not exist, \
        the same object defined twice), 0 otherwise: warnings (such as a misspelt kind or apiVersion) do not fail the run, as in istioctl.
        """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: [.customShort("f"), .customLong("filename")], help: "A YAML/JSON file or a directory (read recursively). Repeatable.")
    var paths: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: text or json.")
    var output: OutputFormat = .text

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one -f PATH") }
    }

    func run() throws {
        let report = AnalysisReport.make(paths: paths.map { URL(fileURLWithPath: $0) })
        for notice in report.notices {
            FileHandle.standardError.write(Data("notice: \(notice)\n".utf8))
        }
        switch output {
        case .text: print(report.text, terminator: "")
        case .json: print(try report.json())
        }
        if report.hasErrors { throw ExitCode(1) }
    }
}

/// What `analyze` found, in a form both output formats print from.
struct AnalysisReport {
    struct Entry: Encodable {
        var level: String
        var code: String
        var name: String
        var object: String?
        var source: String?
        var fieldPath: String
        var message: String
        var documentationUrl: String?
    }

    var entries: [Entry] = []
    var notices: [String] = []
    var objectCount = 0

    static func make(paths: [URL]) -> AnalysisReport {
        let decoded = MeshDocumentDecoder().decode(paths: paths).withoutDuplicates()
        var report = AnalysisReport()
        report.objectCount = decoded.objects.count
        report.notices = decoded.notices.map(\.description)
        for error in decoded.errors {
            let type = AnalysisMessageType.schemaValidationError
            report.entries.append(Entry(
                level: type.level.rawValue, code: type.code, name: type.name, object: nil, source: error.location.description,
                fieldPath: error.fieldPath, message: error.message, documentationUrl: type.documentationURL))
        }
        for warning in decoded.warnings {
            let type = AnalysisMessageType.schemaWarning
            report.entries.append(Entry(
                level: type.level.rawValue, code: type.code, name: type.name, object: nil, source: warning.location.description,
                fieldPath: warning.fieldPath, message: warning.message, documentationUrl: type.documentationURL))
        }
        var sources: [String: String] = [:]
        for object in decoded.objects {
            let key = MeshSnapshot.key(object.object.metadata)
            sources["\(object.object.kind.rawValue)/\(key.namespace)/\(key.name)"] = object.location.description
        }
        let snapshot = MeshSnapshot(decoded: decoded.objects)
        for finding in MeshAnalyzer.analyze(snapshot) {
            report.entries.append(Entry(
                level: finding.level.rawValue, code: finding.type.code, name: finding.type.name, object: finding.objectReference,
                source: sources[finding.objectReference], fieldPath: finding.fieldPath, message: finding.message,
                documentationUrl: finding.type.documentationURL))
        }
        return report
    }

    var hasErrors: Bool { entries.contains { $0.level == ValidationFinding.Level.error.rawValue } }

    /// One line per finding, istioctl-style, then a summary line.
    var text: String {
        var lines: [String] = []
        for entry in entries {
            let level = entry.level.prefix(1).uppercased() + entry.level.dropFirst()
            let place = [entry.object ?? entry.source, entry.fieldPath.isEmpty ? nil : entry.fieldPath].compactMap { $0 }.joined(separator: " ")
            var line = "\(level) [\(entry.code)] (\(place)) \(entry.message)"
            if entry.object != nil, let source = entry.source { line += " [\(source)]" }
            lines.append(line)
        }
        let count = { (level: ValidationFinding.Level) in self.entries.filter { $0.level == level.rawValue }.count }
        if entries.isEmpty {
            lines.append("✔ No validation issues found when analyzing \(objectCount) objects.")
        } else {
            lines.append("\(objectCount) objects analyzed: \(count(.error)) errors, \(count(.warning)) warnings, \(count(.info)) info.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(entries), as: UTF8.self)
    }
}
