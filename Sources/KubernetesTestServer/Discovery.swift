import KubernetesAPI

/// Legacy discovery documents (`/version`, `/api`, `/apis`, group and
/// group-version resource lists). Aggregated discovery is not served: answering
/// with plain `application/json` makes client-go and kubectl fall back to these.
enum Discovery {
    static let kubernetesVersion = (major: "1", minor: "32", git: "v1.32.0")

    static func version() -> JSONValue {
        [
            "major": .string(kubernetesVersion.major), "minor": .string(kubernetesVersion.minor),
            "gitVersion": .string(kubernetesVersion.git), "gitCommit": "coxswain-test-apiserver", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64",
        ]
    }

    static func coreVersions(serverAddress: String) -> JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    /// Groups with their served versions, preferred first.
    static func groups(_ types: [ResourceType]) -> [(name: String, versions: [String])] {
        var order: [String] = []
        var versions: [String: [String]] = [:]
        for type in types where !type.group.isEmpty {
            if versions[type.group] == nil { order.append(type.group) }
            for version in type.versions where !(versions[type.group] ?? []).contains(version) {
                versions[type.group, default: []].append(version)
            }
        }
        return order.sorted().map { ($0, CustomResources.sortedByPriority(versions[$0] ?? [])) }
    }

    static func groupJSON(name: String, versions: [String]) -> JSONValue {
        let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(name)/\($0)"), "version": .string($0)] }
        return [
            "kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": .array(entries),
            "preferredVersion": entries.first ?? .null,
        ]
    }

    static func groupList(_ types: [ResourceType]) -> JSONValue {
        let groups: [JSONValue] = groups(types).map { group in
            var json = groupJSON(name: group.name, versions: group.versions)
            json["kind"] = nil
            json["apiVersion"] = nil
            return json
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    static func resourceList(group: String, version: String, types: [ResourceType]) -> JSONValue {
        var resources: [JSONValue] = []
        for type in types where type.group == group && type.versions.contains(version) {
            var entry: [String: JSONValue] = [
                "name": .string(type.plural), "singularName": .string(type.singular), "namespaced": .bool(type.namespaced),
                "kind": .string(type.kind), "verbs": .array(ResourceType.verbs.map { .string($0) }),
                "storageVersionHash": .string(String(type.groupResource.description.hashValue & 0xFFFF_FFFF, radix: 36)),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map { .string($0) }) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map { .string($0) }) }
            resources.append(.object(entry))
            if type.hasStatus {
                resources.append([
                    "name": .string("\(type.plural)/status"), "singularName": "", "namespaced": .bool(type.namespaced),
                    "kind": .string(type.kind), "verbs": ["get", "patch", "update"],
                ])
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }
}
