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
    struct Metadata: Decodable { var name: String; var namespace: String? }
    struct Role: Decodable { var kind: String; var metadata: Metadata; var rules: [Rule]? }
    struct RoleRef: Decodable { var kind: String; var name: String }
    struct Binding: Decodable { var kind: String; var metadata: Metadata; var roleRef: RoleRef }

    static func documents(_ path: String) throws -> [Any] {
        let url = ClusterModeTests.repository.appendingPathComponent(path)
        return try Yams.load_all(yaml: try String(contentsOf: url, encoding: .utf8)).map { $0 as Any }
    }

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
            // Secrets are read only in the gateway namespaces (``secretsAreReadOnlyWhereTheRoleGrantsThem``).
            if kind.mesh == .secret {
                #expect(granted["\(kind.resource.group)/\(kind.resource.plural)"] == nil, "the ClusterRole must not read every Secret")
                continue
            }
            #expect(granted["\(kind.resource.group)/\(kind.resource.plural)"] == ["get", "list", "watch"], "\(kind.resource)")
            if kind.hasStatus {
                #expect(granted["\(kind.resource.group)/\(kind.resource.plural)/status"] == ["update", "patch"])
            }
        }
        let watched = Set(WatchedKind.all.filter { $0.mesh != .secret }.map { "\($0.resource.group)/\($0.resource.plural)" })
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

    /// The Deployment's `--secret-namespace` args, the namespaces the operator then lists and
    /// watches Secrets in, and the namespaces the Role grants Secrets in (bound to the operator) agree.
    @Test func secretsAreReadOnlyWhereTheRoleGrantsThem() throws {
        let roles = try Self.roles("secret_role.yaml")
        #expect(roles.map(\.kind) == ["Role"])
        for role in roles {
            #expect(role.rules?.allSatisfy { $0.apiGroups == [""] && $0.resources == ["secrets"] && Set($0.verbs) == ["get", "list", "watch"] } == true)
        }
        let granted = Set(roles.compactMap(\.metadata.namespace))
        let bindings = try Self.documents("config/rbac/secret_role.yaml").compactMap { document -> Binding? in
            let data = try JSONSerialization.data(withJSONObject: document)
            return try? JSONDecoder().decode(Binding.self, from: data)
        }.filter { $0.kind == "RoleBinding" }
        #expect(Set(bindings.compactMap { $0.roleRef.kind == "Role" ? $0.metadata.namespace : nil }) == granted)

        let deployment = try String(contentsOf: ClusterModeTests.repository.appendingPathComponent("config/manager/deployment.yaml"), encoding: .utf8)
        let flagged = deployment.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- --secret-namespace=") else { return nil }
            return String(trimmed.dropFirst("- --secret-namespace=".count))
        }
        #expect(!flagged.isEmpty, "the Deployment must narrow Secrets, or the ClusterRole lacks them")
        #expect(Set(flagged) == granted)

        let secrets = try #require(WatchedKind.all.first { $0.mesh == .secret })
        let watched = ClusterCache.watchScopes(secrets, namespaces: nil, secretNamespaces: flagged)
        #expect(watched.allSatisfy { $0.map(granted.contains) == true }, "a cluster-wide Secret watch (nil) or one outside the Role: \(watched)")
        // Other kinds stay cluster-wide, which the ClusterRole grants.
        let pods = try #require(WatchedKind.all.first { $0.mesh == .pod })
        #expect(ClusterCache.watchScopes(pods, namespaces: nil, secretNamespaces: flagged) == [nil])
    }
}
