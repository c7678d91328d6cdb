import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads a running Coxswain's admin port, as `istioctl` reads istiod's.
struct AdminEndpoint: ParsableArguments {
    @Option(name: .customLong("admin-address"), help: "Where the control plane's admin port listens.")
    var address = "http://127.0.0.1:15014"

    func get(_ path: String) async throws -> Data {
        guard let url = URL(string: address + path) else { throw ValidationError("--admin-address: not a URL: \(address)") }
        let (data, response) = try await URLSession.shared.data(from: url)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw ValidationError("\(url): HTTP \(status): \(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return data
    }
}

/// `coxswain proxy-status`: every connected proxy and whether it is in sync, like `istioctl proxy-status`.
struct ProxyStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-status",
        abstract: "List connected proxies and, per resource type, whether they accepted the latest config (SYNCED, STALE or NACKED)."
    )

    @OptionGroup var admin: AdminEndpoint

    struct Status: Decodable {
        struct TypeStatus: Decodable {
            var sentVersion: String?
            var sentNonce: String?
            var ackedVersion: String?
            var lastNack: Nack?
        }
        struct Nack: Decodable {
            var nonce: String
            var message: String
        }
        var id: String
        var kind: String
        var types: [String: TypeStatus]
    }

    func run() async throws {
        let statuses = try JSONDecoder().decode([Status].self, from: try await admin.get("/debug/syncz"))
        let columns = ["CDS": "envoy.config.cluster.v3.Cluster", "EDS": "envoy.config.endpoint.v3.ClusterLoadAssignment",
                       "LDS": "envoy.config.listener.v3.Listener", "RDS": "envoy.config.route.v3.RouteConfiguration",
                       "SDS": "envoy.extensions.transport_sockets.tls.v3.Secret"]
        let order = ["CDS", "LDS", "EDS", "RDS", "SDS"]
        var rows = [["NAME", "KIND"] + order]
        for status in statuses {
            var row = [status.id, status.kind]
            for column in order {
                let type = status.types["type.googleapis.com/" + (columns[column] ?? "")]
                row.append(Self.state(type))
            }
            rows.append(row)
        }
        print(Self.table(rows), terminator: "")
        for status in statuses {
            for (type, state) in status.types.sorted(by: { $0.key < $1.key }) {
                if let nack = state.lastNack, nack.nonce == state.sentNonce {
                    print("\(status.id) rejected \(type.replacingOccurrences(of: "type.googleapis.com/", with: "")): \(nack.message)")
                }
            }
        }
    }

    static func state(_ type: Status.TypeStatus?) -> String {
        guard let type, type.sentVersion != nil else { return "NOT SENT" }
        if let nack = type.lastNack, nack.nonce == type.sentNonce { return "NACKED" }
        return type.ackedVersion == type.sentVersion ? "SYNCED" : "STALE"
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0] + 3, withPad: " ", startingAt: 0) }.joined().trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}

/// `coxswain proxy-config <proxy-id> [listeners|routes|clusters|endpoints|secrets]`: what one proxy was sent, as Envoy JSON.
struct ProxyConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-config",
        abstract: "Print the config one connected proxy was sent (all types, or one), as Envoy JSON."
    )

    enum Section: String, ExpressibleByArgument, CaseIterable {
        case listeners, routes, clusters, endpoints, secrets
    }

    @Argument(help: "The proxy's node id (see proxy-status).")
    var proxyID: String

    @Argument(help: "listeners, routes, clusters, endpoints or secrets; all when left out.")
    var section: Section?

    @OptionGroup var admin: AdminEndpoint

    func run() async throws {
        var components = URLComponents()
        components.path = "/debug/config_dump"
        components.queryItems = [URLQueryItem(name: "proxy", value: proxyID)]
        let data = try await admin.get(components.string ?? "")
        guard let section else {
            print(String(decoding: data, as: UTF8.self), terminator: "")
            return
        }
        let dump = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let items = dump[section.rawValue] ?? []
        let text = try JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: text, as: UTF8.self))
    }
}
