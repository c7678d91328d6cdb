import ArgumentParser
import Foundation
import MeshAPI
import Translator
import Yams

/// `coxswain render`: what one proxy would be served, as Envoy JSON, without a cluster.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the Envoy listeners, routes, clusters, endpoints and secrets one proxy gets from the given mesh YAML.",
        discussion: "Exits 1 when any input could not be read or decoded (the output then lacks it), 0 otherwise."
    )

    enum ProxyKind: String, ExpressibleByArgument, CaseIterable {
        case sidecar, gateway, grpc
    }

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case json, yaml
    }

    @Option(name: [.customShort("f"), .customLong("filename")], help: "A YAML/JSON file or a directory (read recursively). Repeatable.")
    var paths: [String] = []

    @Option(name: .customLong("proxy"), help: "The kind of proxy: sidecar, gateway or grpc.")
    var proxy: ProxyKind

    @Option(name: .customLong("namespace"), help: "The proxy's namespace.")
    var namespace = "default"

    @Option(name: .customLong("labels"), help: "The proxy's labels, k=v,k2=v2 (gateways are selected by them).")
    var labels = ""

    @Option(name: .customLong("node-id"), help: "The proxy's node id (Istio form); overrides --proxy's default id.")
    var nodeID: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: json or yaml.")
    var output: OutputFormat = .json

    @Flag(name: .customLong("show-secrets"), help: "Print private keys instead of redacting them.")
    var showSecrets = false

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one -f PATH") }
        _ = try parsedLabels()
    }

    func parsedLabels() throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in labels.split(separator: ",") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--labels: \"\(pair)\" is not key=value") }
            result[String(parts[0])] = String(parts[1])
        }
        return result
    }

    func run() throws {
        let decoded = MeshDocumentDecoder().decode(paths: paths.map { URL(fileURLWithPath: $0) }).withoutDuplicates()
        for error in decoded.errors {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        }
        for warning in decoded.warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        let identity = try proxyIdentity()
        let resources = Translator.translate(MeshSnapshot(decoded: decoded.objects), proxy: identity)
        for finding in resources.findings {
            FileHandle.standardError.write(Data("note: \(finding)\n".utf8))
        }
        let json = try resources.json(showSecrets: showSecrets)
        switch output {
        case .json: print(json, terminator: "")
        case .yaml:
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
            print(try Yams.dump(object: object, sortKeys: false), terminator: "")
        }
        // What was printed lacks what did not decode: a script must not take it for the whole answer.
        if !decoded.errors.isEmpty { throw ExitCode(1) }
    }

    func proxyIdentity() throws -> ProxyIdentity {
        let labels = try parsedLabels()
        let kind: ProxyIdentity.Kind = switch proxy {
        case .sidecar: .sidecar
        case .gateway: .gateway
        case .grpc: .grpc
        }
        guard let nodeID else {
            let type = kind == .gateway ? "router" : "sidecar"
            return ProxyIdentity(kind: kind, id: "\(type)~127.0.0.1~render.\(namespace)~\(namespace).svc.cluster.local", ip: "127.0.0.1",
                                 podName: "render", namespace: namespace, labels: labels)
        }
        do {
            var identity = try ProxyIdentity(nodeID: nodeID, namespace: namespace, labels: labels, generator: kind == .grpc ? "grpc" : nil)
            identity.kind = kind
            return identity
        } catch {
            throw ValidationError("--node-id: \(error.message)")
        }
    }
}
