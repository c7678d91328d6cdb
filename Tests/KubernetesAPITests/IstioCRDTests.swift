import Foundation
import KubernetesAPI
import Testing

/// An Istio object found in the repository: which file, which document, the object itself.
private struct IstioObject: CustomStringConvertible {
    var file: String
    var index: Int
    var object: JSONValue

    var kind: String { object["kind"]?.stringValue ?? "" }
    var apiVersion: String { object["apiVersion"]?.stringValue ?? "" }
    var description: String { "\(file)#\(index) \(kind) \(object[path: ["metadata", "name"]]?.stringValue ?? "?")" }
}

private func istioObjects(in files: [URL]) throws -> [IstioObject] {
    var objects: [IstioObject] = []
    for file in files {
        for (index, document) in try YAMLDocuments.load(file).enumerated() {
            guard let apiVersion = document["apiVersion"]?.stringValue, let kind = document["kind"]?.stringValue,
                  apiVersion.hasPrefix("networking.istio.io/"), IstioCRDs.kinds.contains(kind)
            else { continue }
            objects.append(IstioObject(file: Repository.relativePath(file), index: index, object: document))
        }
    }
    return objects
}

private func sampleFiles() -> [URL] { Repository.yamlFiles(under: Repository.url("config/samples")) }

/// Fields Istio's API declares (so the CRD must accept them) that no valid object can carry: istiod
/// rejects them ("not supported yet") or they were removed from the v1 API and only still decode.
private let fieldsNoValidObjectUses = [
    ".fault.delay.exponentialDelay", ".fault.abort.http2Error", ".sourceSubnet",
    ".outlierDetection.consecutiveErrors", ".port.targetPort", ".defaultEndpoint",
]

@Suite struct IstioCRDShapeTests {
    @Test(arguments: IstioCRDs.kinds)
    func crdIsWellFormed(kind: String) throws {
        let crd = try #require(IstioCRDs.byKind[kind], "no CRD for \(kind) in crds/")
        let expectedShortName = ["VirtualService": "vs", "DestinationRule": "dr", "Gateway": "gw"][kind]
        #expect(crd.group == "networking.istio.io")
        #expect(crd.name == "\(crd.names.plural).networking.istio.io")
        #expect(crd.scope == "Namespaced")
        #expect(crd.names.shortNames == [expectedShortName].compactMap { $0 })
        #expect(crd.names.categories == ["istio-io", "networking-istio-io"])
        #expect(crd.names.listKind == "\(kind)List")
        #expect(crd.versions.map(\.name) == ["v1", "v1beta1", "v1alpha3"])
        #expect(crd.versions.allSatisfy { $0.served })
        #expect(crd.versions.filter(\.storage).map(\.name) == ["v1"])
        #expect(crd.versions.allSatisfy { $0.hasStatusSubresource })
        let schemas = try crd.versions.map { try #require($0.schema, "\($0.name) has no schema") }
        // One schema, served under three names.
        #expect(Set(schemas.map(\.jsonValue)).count == 1)
        let root = schemas[0]
        #expect(root.structuralProblems() == [])
        // Nothing in the CRD is lost in decoding: the schema encodes back to the YAML's JSON.
        let file = Repository.url("crds/networking.istio.io_\(crd.names.plural).yaml")
        let document = try #require(try YAMLDocuments.load(file).first)
        let versionsJSON = try #require(document[path: ["spec", "versions"]]?.arrayValue)
        for (version, json) in zip(crd.versions, versionsJSON) {
            #expect(version.schema?.jsonValue == json[path: ["schema", "openAPIV3Schema"]])
        }
        #expect(root.required == ["spec"])
        #expect(preservedPaths(root) == ["status"])
        let status = try #require(root.properties["status"])
        #expect(Set(status.properties.keys) == ["conditions", "validationMessages", "observedGeneration"])
        #expect(status.properties["observedGeneration"]?.intOrString == true)
        let condition = try #require(status.properties["conditions"]?.items)
        #expect(Set(["type", "status", "reason", "message", "lastTransitionTime", "observedGeneration"])
            .isSubset(of: condition.properties.keys))
        #expect(condition.properties["observedGeneration"]?.intOrString == true)
    }

    @Test(arguments: IstioCRDs.kinds)
    func printerColumnsPointAtDeclaredFields(kind: String) throws {
        let crd = try #require(IstioCRDs.byKind[kind])
        let expected = [
            "VirtualService": ["Gateways", "Hosts", "Accepted", "Programmed", "Age"],
            "DestinationRule": ["Host", "Accepted", "Programmed", "Age"],
            "Gateway": ["Accepted", "Programmed", "Age"],
        ][kind]
        for version in crd.versions {
            #expect(version.printerColumns.map(\.name) == expected)
            let root = try #require(version.schema)
            for column in version.printerColumns {
                #expect(resolves(column.jsonPath, in: root), "\(kind) \(version.name) column \(column.name): \(column.jsonPath)")
            }
            let accepted = version.printerColumns.first { $0.name == "Accepted" }
            #expect(accepted?.jsonPath == #".status.conditions[?(@.type=="Accepted")].status"#)
            #expect(version.printerColumns.last?.type == "date")
        }
        // The resolver itself must be able to say no.
        #expect(!resolves(".spec.nope", in: try #require(crd.storageVersion?.schema)))
    }

    /// Paths of nodes with x-kubernetes-preserve-unknown-fields.
    private func preservedPaths(_ schema: StructuralSchema, path: String = "") -> [String] {
        var found = schema.preserveUnknownFields ? [path] : []
        for (name, property) in schema.properties.sorted(by: { $0.key < $1.key }) {
            found += preservedPaths(property, path: path.isEmpty ? name : "\(path).\(name)")
        }
        if let items = schema.items { found += preservedPaths(items, path: "\(path)[]") }
        if case .schema(let values) = schema.additionalProperties { found += preservedPaths(values, path: "\(path){}") }
        return found
    }

    /// Whether a printer column's JSONPath (`.spec.hosts`, `.status.conditions[?(@.type=="X")].status`)
    /// names fields the schema declares. ObjectMeta fields are always there.
    private func resolves(_ jsonPath: String, in root: StructuralSchema) -> Bool {
        var text = Substring(jsonPath)
        guard text.first == "." else { return false }
        text = text.dropFirst()
        var segments: [(name: String, indexed: Bool)] = []
        var current = ""
        var depth = 0
        var indexed = false
        for character in text {
            switch character {
            case "[": depth += 1; indexed = true
            case "]": depth -= 1
            case "." where depth == 0:
                segments.append((current, indexed)); current = ""; indexed = false
            default: if depth == 0 { current.append(character) }
            }
        }
        segments.append((current, indexed))
        if segments.first?.name == "metadata" { return segments.count == 2 && !segments[1].name.isEmpty }
        var node = root
        for segment in segments {
            guard let next = node.properties[segment.name] else { return false }
            node = next
            if segment.indexed {
                guard let items = node.items else { return false }
                node = items
            }
        }
        return true
    }
}

@Suite struct IstioObjectsAcceptedTests {
    @Test func everySampleAndFixtureIsAcceptedByEveryVersionUnpruned() throws {
        let samples = try istioObjects(in: sampleFiles())
        let fixtures = try istioObjects(in: Repository.fixtureYAMLFiles())
        // The sample mesh has two VirtualServices, a DestinationRule and a Gateway; the fixtures of
        // this target at least one of each kind.
        #expect(samples.count >= 4)
        #expect(Set(fixtures.map(\.kind)) == Set(IstioCRDs.kinds))
        for item in samples + fixtures {
            let crd = try #require(IstioCRDs.byKind[item.kind])
            let version = String(item.apiVersion.dropFirst("networking.istio.io/".count))
            #expect(crd.version(named: version)?.served == true, "\(item): \(item.apiVersion) is not served")
            for served in crd.versions {
                let root = try #require(served.schema)
                let violations = root.validate(item.object)
                #expect(violations.isEmpty, "\(item) as \(served.name): \(violations.map(\.description))")
                let (pruned, removed) = root.prune(item.object)
                #expect(removed.isEmpty, "\(item) as \(served.name) loses \(removed)")
                #expect(pruned == item.object)
            }
        }
    }

    @Test(arguments: IstioCRDs.kinds)
    func fixturesUseEveryFieldOfTheSpec(kind: String) throws {
        let root = try #require(IstioCRDs.schema(kind))
        let objects = try istioObjects(in: Repository.fixtureYAMLFiles() + sampleFiles()).filter { $0.kind == kind }
        let used = objects.reduce(into: Set<String>()) { $0.formUnion(usedPropertyPaths($1.object, schema: root)) }
        let declared = root.propertyPaths().filter { $0.hasPrefix("spec") }
        let unused = declared.filter { path in
            !used.contains(path) && !fieldsNoValidObjectUses.contains { path.hasSuffix($0) }
        }
        #expect(unused == [], "\(kind) fields no fixture exercises")
        #expect(used.isSubset(of: Set(root.propertyPaths())))
    }
}

@Suite struct IstioObjectsRejectedTests {
    private func sample(_ file: String, kind: String) throws -> JSONValue {
        let documents = try YAMLDocuments.load(Repository.url("config/samples/\(file)"))
        return try #require(documents.first { $0["kind"]?.stringValue == kind })
    }

    private func violations(_ kind: String, _ object: JSONValue) throws -> [SchemaViolation] {
        try #require(IstioCRDs.schema(kind)).validate(object)
    }

    @Test func wrongTypesAreRejectedWithTheirPaths() throws {
        var canary = try sample("mesh/reviews-virtualservice.yaml", kind: "VirtualService")
        canary = try set(canary, ["spec", "http", 1, "route", 1, "weight"], "ninety")
        #expect(try violations("VirtualService", canary).map(\.description) == [
            #"spec.http[1].route[1].weight: Invalid value: "string": spec.http[1].route[1].weight in body must be of type integer: "string""#,
        ])

        let hosts = try set(try sample("mesh/reviews-virtualservice.yaml", kind: "VirtualService"), ["spec", "hosts"], "x")
        #expect(try violations("VirtualService", hosts).map(\.description) == [
            #"spec.hosts: Invalid value: "string": spec.hosts in body must be of type array: "string""#,
        ])

        let gateway = try set(try sample("mesh/bookinfo-gateway.yaml", kind: "Gateway"), ["spec", "servers", 0, "port", "number"], "80")
        #expect(try violations("Gateway", gateway).map(\.field) == ["spec.servers[0].port.number"])
        #expect(try violations("Gateway", gateway).first?.detail.contains("must be of type integer") == true)
    }

    @Test func quotedNumbersInYAMLStayStrings() throws {
        let yaml = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: g}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: "80", name: http, protocol: HTTP}
                hosts: ["*"]
            """
        let gateway = try #require(try YAMLDocuments.parse(yaml).first)
        #expect(try violations("Gateway", gateway).map(\.field) == ["spec.servers[0].port.number"])
    }

    @Test func istioRulesExpressedStructurallyAreEnforced() throws {
        let canary = try sample("mesh/reviews-virtualservice.yaml", kind: "VirtualService")
        // Weights are relative in Istio: large ones are fine, negative ones are not.
        #expect(try violations("VirtualService", try set(canary, ["spec", "http", 1, "route", 0, "weight"], 900)) == [])
        let negative = try set(canary, ["spec", "http", 1, "route", 0, "weight"], -1)
        #expect(try violations("VirtualService", negative).map(\.description) == [
            "spec.http[1].route[0].weight: Invalid value: -1: spec.http[1].route[0].weight in body should be greater than or equal to 0",
        ])
        let twoActions = try set(canary, ["spec", "http", 1, "redirect"], ["uri": "/elsewhere"])
        #expect(try violations("VirtualService", twoActions).map(\.field) == ["spec.http[1]"])
        let noAction = try set(canary, ["spec", "http", 1], ["name": "nothing"])
        #expect(try violations("VirtualService", noAction).map(\.detail) == ["spec.http[1] in body must validate at least one schema (anyOf)"])
        // istiod's conflict rules for one HTTP rule.
        let destination: JSONValue = ["destination": ["host": "reviews"]]
        let conflicting: [JSONValue] = [
            ["delegate": ["name": "d"], "route": [destination]],
            ["redirect": ["uri": "/x"], "rewrite": ["uri": "/y"]],
            ["directResponse": ["status": 200], "fault": ["abort": ["httpStatus": 503]]],
            ["route": [destination], "mirror": ["host": "a"], "mirrors": [["destination": ["host": "b"]]]],
        ]
        for rule in conflicting {
            let object = try set(canary, ["spec", "http", 1], rule)
            #expect(try violations("VirtualService", object).map(\.detail) == ["spec.http[1] in body must not validate the schema (not)"])
        }
        let delegateAnswering = try set(canary, ["spec", "http", 1], ["delegate": ["name": "d"], "directResponse": ["status": 200]])
        #expect(try violations("VirtualService", delegateAnswering) == [], "istiod does not forbid this combination")
        let emptyRedirect = try set(canary, ["spec", "http", 1], ["redirect": ["redirectCode": 301]])
        #expect(try violations("VirtualService", emptyRedirect).map(\.field) == ["spec.http[1].redirect"])
        let emptyFault = try set(canary, ["spec", "http", 1, "fault"], [:])
        #expect(try violations("VirtualService", emptyFault).map(\.field) == ["spec.http[1].fault"])
        let status601 = try set(canary, ["spec", "http", 1], ["directResponse": ["status": 601]])
        #expect(try violations("VirtualService", status601).map(\.field) == ["spec.http[1].directResponse.status"])
        let upperSubset = try set(canary, ["spec", "http", 1, "route", 0, "destination", "subset"], "V1")
        #expect(try violations("VirtualService", upperSubset).map(\.field) == ["spec.http[1].route[0].destination.subset"])
        let emptyHeaderPrefix = try set(canary, ["spec", "http", 0, "match", 0, "headers", "end-user"], ["prefix": ""])
        #expect(try violations("VirtualService", emptyHeaderPrefix).map(\.field) == ["spec.http[0].match[0].headers.end-user.prefix"])
        let emptyURIPrefix = try set(canary, ["spec", "http", 0, "match", 0, "uri"], ["prefix": ""])
        #expect(try violations("VirtualService", emptyURIPrefix) == [], "an empty URI prefix matches everything in Istio")
        let tcpWithoutRoute = try set(canary, ["spec", "tcp"], [["match": [["port": 27017]]]])
        #expect(try violations("VirtualService", tcpWithoutRoute).map(\.description) == ["spec.tcp[0].route: Required value"])
        let twoMatchKinds = try set(canary, ["spec", "http", 0, "match", 0, "headers", "end-user"], ["exact": "a", "prefix": "b"])
        #expect(try violations("VirtualService", twoMatchKinds).map(\.field) == ["spec.http[0].match[0].headers.end-user"])
        let badTimeout = try set(canary, ["spec", "http", 0, "timeout"], "ten seconds")
        #expect(try violations("VirtualService", badTimeout).map(\.field) == ["spec.http[0].timeout"])
        let redirectCode = try set(canary, ["spec", "http", 0], ["redirect": ["uri": "/x", "redirectCode": 200]])
        #expect(try violations("VirtualService", redirectCode).map(\.field) == ["spec.http[0].redirect.redirectCode"])

        let rule = try sample("mesh/reviews-destinationrule.yaml", kind: "DestinationRule")
        var noHost = rule
        noHost["spec"]?["host"] = nil
        #expect(try violations("DestinationRule", noHost).map(\.description) == ["spec.host: Required value"])
        let emptyHost = try set(rule, ["spec", "host"], "")
        #expect(try violations("DestinationRule", emptyHost).map(\.field) == ["spec.host"])
        let duplicate = try set(rule, ["spec", "subsets", 2, "name"], "v1")
        #expect(try violations("DestinationRule", duplicate).map(\.kind) == [.duplicate])
        let bothBalancers = try set(rule, ["spec", "trafficPolicy", "loadBalancer", "consistentHash"], ["useSourceIp": true])
        #expect(try violations("DestinationRule", bothBalancers).map(\.field) == ["spec.trafficPolicy.loadBalancer"])
        let badMode = try set(rule, ["spec", "trafficPolicy", "tls"], ["mode": "STRICT"])
        #expect(try violations("DestinationRule", badMode).map(\.kind) == [.notSupported])

        let gateway = try sample("mesh/bookinfo-gateway.yaml", kind: "Gateway")
        let noServers = try set(gateway, ["spec", "servers"], [])
        #expect(try violations("Gateway", noServers).map(\.field) == ["spec.servers"])
        let noHosts = try set(gateway, ["spec", "servers", 1, "hosts"], [])
        #expect(try violations("Gateway", noHosts).map(\.field) == ["spec.servers[1].hosts"])
        let portZero = try set(gateway, ["spec", "servers", 0, "port", "number"], 0)
        let portHigh = try set(gateway, ["spec", "servers", 0, "port", "number"], 65536)
        // 0 is a valid number for unix-socket servers; CEL (see CELRuleTests) refuses it elsewhere.
        #expect(try violations("Gateway", portZero) == [])
        #expect(try violations("Gateway", portHigh).first?.detail.hasSuffix("should be less than or equal to 65535") == true)
    }

    @Test func unknownFieldsArePrunedAndReported() throws {
        let canary = try sample("mesh/reviews-virtualservice.yaml", kind: "VirtualService")
        var typo = try set(canary, ["spec", "http", 1, "route", 0, "wieght"], 90)
        typo = try set(typo, ["status", "anything"], "kept")
        let root = try #require(IstioCRDs.schema("VirtualService"))
        let (pruned, removed) = root.prune(typo)
        #expect(removed == ["spec.http[1].route[0].wieght"])
        #expect(pruned[path: ["status", "anything"]] == "kept")
        #expect(pruned == (try set(canary, ["status", "anything"], "kept")))
    }
}

/// One step of a path into a JSON document.
private enum Step: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case key(String)
    case index(Int)
    init(stringLiteral value: String) { self = .key(value) }
    init(integerLiteral value: Int) { self = .index(value) }
}

private struct NoSuchPath: Error {}

/// `document` with the value at `path` replaced (objects on the way are created as needed).
private func set(_ document: JSONValue, _ path: [Step], _ value: JSONValue) throws -> JSONValue {
    guard let first = path.first else { return value }
    let rest = Array(path.dropFirst())
    switch (first, document) {
    case (.key(let key), .object(var members)):
        members[key] = try set(members[key] ?? .object([:]), rest, value)
        return .object(members)
    case (.key(let key), .null):
        return .object([key: try set(.object([:]), rest, value)])
    case (.index(let index), .array(var elements)) where elements.indices.contains(index):
        elements[index] = try set(elements[index], rest, value)
        return .array(elements)
    default:
        throw NoSuchPath()
    }
}

/// The property paths of each CRD, committed as Fixtures/crd-fields-<kind>.txt so that the Swift
/// types in MeshAPI can be compared with the schema field by field. Regenerate after changing the
/// CRDs with `COXSWAIN_UPDATE_FIXTURES=1 swift test --skip-build --filter CRDFieldListTests`.
@Suite struct CRDFieldListTests {
    @Test(arguments: IstioCRDs.kinds)
    func committedFieldListMatchesTheSchema(kind: String) throws {
        let root = try #require(IstioCRDs.schema(kind))
        let generated = root.propertyPaths().joined(separator: "\n") + "\n"
        let file = Repository.url("Tests/KubernetesAPITests/Fixtures/crd-fields-\(kind.lowercased()).txt")
        if ProcessInfo.processInfo.environment["COXSWAIN_UPDATE_FIXTURES"] == "1" {
            try generated.write(to: file, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: file, encoding: .utf8)
        #expect(committed == generated, "\(file.lastPathComponent) is stale; regenerate it (see CRDFieldListTests)")
        #expect(generated.contains(kind == "VirtualService" ? "spec.http[].route[].destination.host\n" : "status.conditions[].type\n"))
    }
}

/// ``StructuralSchema/accepts(_:)`` (the fast yes/no path junctors use) must agree with
/// ``StructuralSchema/validate(_:)`` on every object, valid or broken.
@Suite struct AcceptanceAgreesWithValidationTests {
    @Test func bothPathsDecideAlike() throws {
        let files = Repository.yamlFiles(under: Repository.url("config/samples")) + Repository.fixtureYAMLFiles()
        var checked = 0
        var rejected = 0
        for document in try files.flatMap({ try YAMLDocuments.load($0) }) {
            guard let kind = document["kind"]?.stringValue, let root = IstioCRDs.schema(kind) else { continue }
            // The object itself, and versions of it broken at every leaf in turn.
            for candidate in [document] + brokenVariants(of: document) {
                let violations = root.validate(candidate)
                #expect(root.accepts(candidate) == violations.isEmpty, "\(kind): \(violations)")
                checked += 1
                if !violations.isEmpty { rejected += 1 }
            }
        }
        #expect(checked > 500)
        #expect(rejected > 250)
    }

    /// The document with one leaf at a time replaced by a value of another type (or an empty
    /// string/zero/negative number), which is how most bad input looks.
    private func brokenVariants(of document: JSONValue) -> [JSONValue] {
        var variants: [JSONValue] = []
        func walk(_ value: JSONValue, rebuild: (JSONValue) -> JSONValue) {
            switch value {
            case .object(let members):
                for (name, member) in members where name != "metadata" {
                    walk(member) { replacement in
                        var copy = members
                        copy[name] = replacement
                        return rebuild(.object(copy))
                    }
                }
            case .array(let elements):
                for (index, element) in elements.enumerated() {
                    walk(element) { replacement in
                        var copy = elements
                        copy[index] = replacement
                        return rebuild(.array(copy))
                    }
                }
            case .string:
                variants.append(rebuild(.integer(7)))
                variants.append(rebuild(""))
            case .integer, .double:
                variants.append(rebuild("80"))
                variants.append(rebuild(.integer(-1)))
                variants.append(rebuild(.integer(0)))
            case .bool:
                variants.append(rebuild("true"))
            case .null:
                variants.append(rebuild(.integer(1)))
            }
        }
        walk(document) { $0 }
        return variants
    }
}
