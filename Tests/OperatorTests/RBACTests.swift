import Foundation
import Testing
import Yams
@testable import Operator

/// The RBAC in `config/rbac` grants what the operator uses and nothing more.
@Suite struct RBACTests {
    struct Rule: Decodable {
        var apiGroups: [String]
        var resources: [String]
        var verbs: [String]
        var resourceNames: [String]?
    }
    struct Role: Decodable { var kind: String; var rules: [Rule]? }

    static func roles(_ file: String) throws -> [Role] {
        let url = ClusterModeTests.repository.appendingPathComponent("config/rbac/\(file)")
        return try Yams.load_all(yaml: try String(contentsOf: url, encoding: .utf8)).compactMap { document in
            let data = try JSONSerialization.data(withJSONObject: document as Any)
            return try? JSONDecoder().decode(Role.self, from: data)
        }.filter { $0.kind == "ClusterRole" || $0.kind == "Role" }
    }

    @Test func clusterRoleReadsWhatIsWatchedAndWritesOnlyStatusAndEvents() throws {
        let rules = try #require(Self.roles("cluster_role.yaml").first?.rules)
        var granted: [String: Set<String>] = [:]
        for rule in rules {
            for group in rule.apiGroups {
                for resource in rule.resources { granted["\(group)/\(resource)", default: []].formUnion(rule.verbs) }
            }
        }
        for kind in WatchedKind.all {
            #expect(granted["\(kind.resource.group)/\(kind.resource.plural)"] == ["get", "list", "watch"], "\(kind.resource)")
            if kind.hasStatus {
                #expect(granted["\(kind.resource.group)/\(kind.resource.plural)/status"] == ["update", "patch"])
            }
        }
        let watched = Set(WatchedKind.all.map { "\($0.resource.group)/\($0.resource.plural)" })
        let statuses = Set(WatchedKind.all.filter(\.hasStatus).map { "\($0.resource.group)/\($0.resource.plural)/status" })
        for (resource, verbs) in granted where !watched.contains(resource) && !statuses.contains(resource) {
            #expect(resource.hasSuffix("/events") && verbs.isSubset(of: ["create", "patch"]), "unexpected grant \(resource): \(verbs)")
        }
    }

    @Test func leaseRoleIsTheOneLease() throws {
        let rules = try #require(Self.roles("leader_election_role.yaml").first?.rules)
        #expect(rules.allSatisfy { $0.apiGroups == ["coordination.k8s.io"] && $0.resources == ["leases"] })
        // Create cannot be limited by name (the name is not known before), the rest is.
        for rule in rules where rule.verbs != ["create"] {
            #expect(rule.resourceNames == [LeaderElectionOptions(identity: "x").leaseName])
            #expect(Set(rule.verbs).isSubset(of: ["get", "update"]))
        }
    }

    @Test func proxyReportRoleIsConfigMapsInTheOperatorsNamespaceOnly() throws {
        let roles = try Self.roles("proxy_report_role.yaml")
        #expect(roles.map(\.kind) == ["Role"])
        let rules = try #require(roles.first?.rules)
        #expect(rules.allSatisfy { $0.apiGroups == [""] && $0.resources == ["configmaps"] })
        #expect(Set(rules.flatMap(\.verbs)) == ["get", "list", "watch", "create", "update", "delete"])
    }
}
