import KubernetesAPI

/// A group and plural resource name: the identity of a stored collection,
/// independent of the version a client reads it through.
struct GroupResource: Hashable, Sendable, CustomStringConvertible {
    var group: String
    var resource: String
    var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

/// What the store needs from a version's schema (a CRD's openAPIV3Schema):
/// defaulting, pruning of unknown fields and validation with field paths.
protocol ObjectSchemaChecker: Sendable {
    /// Fills in schema defaults.
    func applyDefaults(_ object: JSONValue) -> JSONValue
    /// Drops fields the schema does not know (unless preserved) and reports their paths.
    func prune(_ object: JSONValue) -> (pruned: JSONValue, unknownFields: [String])
    /// Violations of the schema, each with a field path.
    func validate(_ object: JSONValue) -> [StatusCause]
}

/// One extra column `kubectl get` shows for a kind (a CRD's additionalPrinterColumns).
struct PrinterColumn: Sendable {
    var name: String
    var type: String
    var jsonPath: String
    var description: String
    var priority: Int
}

/// A kind the server serves: names for discovery, scope, subresources and, for
/// custom resources, schemas per version.
struct ResourceType: Sendable {
    var group: String
    var plural: String
    var singular: String
    var kind: String
    var listKind: String
    /// Served versions, preferred first.
    var versions: [String]
    var storageVersion: String
    var shortNames: [String] = []
    var categories: [String] = []
    var namespaced: Bool
    var hasStatus: Bool
    var isCustom = false
    var schemas: [String: any ObjectSchemaChecker] = [:]
    var printerColumns: [String: [PrinterColumn]] = [:]
    /// Field selectors beyond metadata.name/metadata.namespace, mapped to the object path they read.
    var selectableFields: [String: [String]] = [:]
    /// Merge keys of lists for strategic merge patch, keyed by the path of the list ("spec.ports").
    var strategicMergeKeys: [String: String] = [:]
    /// kube-apiserver drops writes to these kinds' `status` on create (custom resources with a status subresource).
    var resetsStatusOnCreate = false

    var groupResource: GroupResource { GroupResource(group: group, resource: plural) }

    func apiVersion(_ version: String) -> String { group.isEmpty ? version : "\(group)/\(version)" }

    var storageAPIVersion: String { apiVersion(storageVersion) }

    static let verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
}

extension ResourceType {
    private static func core(_ plural: String, _ kind: String, short: [String] = [], categories: [String] = [],
                             namespaced: Bool = true, status: Bool = false, fields: [String: [String]] = [:],
                             mergeKeys: [String: String] = [:]) -> ResourceType {
        ResourceType(group: "", plural: plural, singular: kind.lowercased(), kind: kind, listKind: kind + "List",
                     versions: ["v1"], storageVersion: "v1", shortNames: short, categories: categories,
                     namespaced: namespaced, hasStatus: status, selectableFields: fields, strategicMergeKeys: mergeKeys)
    }

    private static let podMergeKeys: [String: String] = [
        "spec.containers": "name", "spec.initContainers": "name", "spec.volumes": "name",
        "spec.containers.ports": "containerPort", "spec.containers.env": "name", "spec.containers.volumeMounts": "mountPath",
        "spec.initContainers.env": "name", "spec.initContainers.volumeMounts": "mountPath",
        "spec.tolerations": "key", "spec.imagePullSecrets": "name", "status.conditions": "type",
    ]

    /// The built-in kinds an operator like Coxswain reads and writes.
    static let builtIns: [ResourceType] = [
        core("namespaces", "Namespace", short: ["ns"], namespaced: false, status: true, fields: ["status.phase": ["status", "phase"]]),
        core("services", "Service", short: ["svc"], categories: ["all"], status: true,
             fields: ["spec.clusterIP": ["spec", "clusterIP"], "spec.type": ["spec", "type"]],
             mergeKeys: ["spec.ports": "port", "status.conditions": "type"]),
        core("pods", "Pod", short: ["po"], categories: ["all"], status: true,
             fields: ["spec.nodeName": ["spec", "nodeName"], "status.phase": ["status", "phase"],
                      "spec.serviceAccountName": ["spec", "serviceAccountName"], "status.podIP": ["status", "podIP"]],
             mergeKeys: podMergeKeys),
        core("secrets", "Secret", fields: ["type": ["type"]]),
        core("configmaps", "ConfigMap", short: ["cm"]),
        core("events", "Event", short: ["ev"],
             fields: ["involvedObject.name": ["involvedObject", "name"], "involvedObject.kind": ["involvedObject", "kind"],
                      "involvedObject.namespace": ["involvedObject", "namespace"], "reason": ["reason"], "type": ["type"]]),
        core("nodes", "Node", short: ["no"], namespaced: false, status: true,
             fields: ["spec.unschedulable": ["spec", "unschedulable"]], mergeKeys: ["status.conditions": "type", "status.addresses": "type"]),
        core("serviceaccounts", "ServiceAccount", short: ["sa"]),
        ResourceType(group: "discovery.k8s.io", plural: "endpointslices", singular: "endpointslice", kind: "EndpointSlice",
                     listKind: "EndpointSliceList", versions: ["v1"], storageVersion: "v1", namespaced: true, hasStatus: false,
                     selectableFields: ["addressType": ["addressType"]]),
        ResourceType(group: "coordination.k8s.io", plural: "leases", singular: "lease", kind: "Lease", listKind: "LeaseList",
                     versions: ["v1"], storageVersion: "v1", namespaced: true, hasStatus: false),
        ResourceType(group: "apiextensions.k8s.io", plural: "customresourcedefinitions", singular: "customresourcedefinition",
                     kind: "CustomResourceDefinition", listKind: "CustomResourceDefinitionList", versions: ["v1"],
                     storageVersion: "v1", shortNames: ["crd", "crds"], categories: ["api-extensions"], namespaced: false, hasStatus: true),
    ]
}
