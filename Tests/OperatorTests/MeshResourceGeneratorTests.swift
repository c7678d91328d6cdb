import EnvoyAPI
import MeshAPI
import SwiftProtobuf
import Testing
import XDSServer
@testable import Operator

/// The generator reuses serialized clusters and endpoints across proxies and across changes that
/// cannot affect them; what it serves must always equal what a fresh generator serves.
@Suite struct MeshResourceGeneratorTests {
    static func mesh(subsets: [String], v1Weight: Int) -> MeshSnapshot {
        let yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: default}
            spec: {clusterIP: 10.0.0.10, selector: {app: reviews}, ports: [{name: http, port: 9080}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
            status: {podIP: 10.1.0.1}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: reviews-abc, namespace: default, labels: {kubernetes.io/service-name: reviews}}
            addressType: IPv4
            ports: [{name: http, port: 9080}]
            endpoints: [{addresses: [10.1.0.1], targetRef: {kind: Pod, name: reviews-v1, namespace: default}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews
              subsets: [\(subsets.map { "{name: \($0), labels: {version: \($0)}}" }.joined(separator: ", "))]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - route:
                - {destination: {host: reviews, subset: v1}, weight: \(v1Weight)}
                - {destination: {host: reviews, subset: v2}, weight: \(100 - v1Weight)}
            """
        let result = MeshDocumentDecoder().decode(yaml: yaml, source: "test.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        return MeshSnapshot(decoded: result.objects)
    }

    static func node(_ name: String, app: String) -> Envoy_Config_Core_V3_Node {
        var node = Envoy_Config_Core_V3_Node()
        node.id = "sidecar~10.0.0.1~\(name).default~default.svc.cluster.local"
        node.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "default")
        node.metadata.fields["LABELS"] = Google_Protobuf_Value(structValue: Google_Protobuf_Struct(fields: ["app": Google_Protobuf_Value(stringValue: app)]))
        return node
    }

    /// What a generator that never saw an earlier mesh serves.
    static func fresh(_ snapshot: MeshSnapshot, _ node: Envoy_Config_Core_V3_Node) async throws -> ResourceSnapshot {
        let generator = MeshResourceGenerator()
        _ = generator.update(snapshot)
        return await generator.resources(for: try generator.describe(node: node), types: nil)
    }

    @Test func sharedSerializationsNeverServeStaleConfig() async throws {
        let generator = MeshResourceGenerator()
        let productpage = Self.node("productpage", app: "productpage"), ratings = Self.node("ratings", app: "ratings")
        let first = try generator.describe(node: productpage), second = try generator.describe(node: ratings)
        #expect(first.cacheKey != second.cacheKey)

        var mesh = Self.mesh(subsets: ["v1"], v1Weight: 90)
        _ = generator.update(mesh)
        let a = await generator.resources(for: first, types: nil)
        let b = await generator.resources(for: second, types: nil)
        #expect(a[TypeURL.cluster] == b[TypeURL.cluster])
        #expect(a == (try await Self.fresh(mesh, productpage)))

        // The canary moves: routes change, clusters and endpoints are the ones already serialized.
        mesh = Self.mesh(subsets: ["v1"], v1Weight: 50)
        #expect(generator.update(mesh) == .all)
        let moved = await generator.resources(for: first, types: nil)
        #expect(moved == (try await Self.fresh(mesh, productpage)))
        #expect(moved[TypeURL.cluster] == a[TypeURL.cluster])
        #expect(moved[TypeURL.routeConfiguration] != a[TypeURL.routeConfiguration])

        // v2 is defined: its cluster gets the DestinationRule's definition, not the placeholder serialized before.
        mesh = Self.mesh(subsets: ["v1", "v2"], v1Weight: 50)
        _ = generator.update(mesh)
        let defined = await generator.resources(for: second, types: nil)
        #expect(defined == (try await Self.fresh(mesh, ratings)))
        let v2 = "outbound|9080|v2|reviews.default.svc.cluster.local"
        #expect(defined[TypeURL.cluster][v2]?.version != moved[TypeURL.cluster][v2]?.version)
    }

    /// Proxies of one kind and namespace share whole serialized lists, except that one whose
    /// routes name an undefined cluster gets it and the others do not.
    @Test func sharedListsFollowWhatEachProxyRoutesTo() async throws {
        let generator = MeshResourceGenerator()
        let productpage = Self.node("productpage", app: "productpage"), ratings = Self.node("ratings", app: "ratings")
        let first = try generator.describe(node: productpage), second = try generator.describe(node: ratings)

        var mesh = Self.mesh(subsets: ["v1", "v2"], v1Weight: 90)
        _ = generator.update(mesh)
        let a = await generator.resources(for: first, types: nil)
        let b = await generator.resources(for: second, types: nil)
        for type in [TypeURL.cluster, TypeURL.clusterLoadAssignment, TypeURL.listener, TypeURL.routeConfiguration] {
            #expect(a.list(type) == b.list(type), "\(type)")
        }
        #expect(b == (try await Self.fresh(mesh, ratings)))

        // Only productpage's requests go to v3, which nothing defines.
        let bySource = """
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews-by-source, namespace: default}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              http:
              - match: [{sourceLabels: {app: productpage}}]
                route: [{destination: {host: reviews, subset: v3}}]
              - route: [{destination: {host: reviews, subset: v1}}]
            """
        let withSource = MeshDocumentDecoder().decode(yaml: bySource, source: "by-source.yaml")
        #expect(withSource.errors.isEmpty, "\(withSource.errors)")
        mesh = MeshSnapshot(objects: mesh.objects.filter { $0.kind != .virtualService } + withSource.objects.map(\.object))
        _ = generator.update(mesh)
        let v3 = "outbound|9080|v3|reviews.default.svc.cluster.local"
        let withV3 = await generator.resources(for: first, types: nil)
        let withoutV3 = await generator.resources(for: second, types: nil)
        #expect(withV3[TypeURL.cluster][v3] != nil)
        #expect(withoutV3[TypeURL.cluster][v3] == nil)
        #expect(withV3 == (try await Self.fresh(mesh, productpage)))
        #expect(withoutV3 == (try await Self.fresh(mesh, ratings)))
    }

    /// Serialized endpoints are kept across changes while their assignment is the same: a moved
    /// pod is served at its new address, and what is served equals a fresh generator's.
    @Test func endpointChangesServeTheNewAddressesAndKeepTheRest() async throws {
        let generator = MeshResourceGenerator()
        let productpage = Self.node("productpage", app: "productpage")
        let proxy = try generator.describe(node: productpage)
        var mesh = Self.mesh(subsets: ["v1", "v2"], v1Weight: 90)
        _ = generator.update(mesh)
        let before = await generator.resources(for: proxy, types: nil)

        let moved = MeshSnapshot(objects: mesh.objects.map { object in
            guard case .endpointSlice(var slice) = object else { return object }
            slice.endpoints?[0].addresses = ["10.1.0.7"]
            return .endpointSlice(slice)
        })
        #expect(generator.update(moved) == .endpoints)
        mesh = moved
        let after = await generator.resources(for: proxy, types: [TypeURL.clusterLoadAssignment])
        #expect(after.list(TypeURL.clusterLoadAssignment) == (try await Self.fresh(mesh, productpage)).list(TypeURL.clusterLoadAssignment))
        let v1 = "outbound|9080|v1|reviews.default.svc.cluster.local", v2 = "outbound|9080|v2|reviews.default.svc.cluster.local"
        #expect(after[TypeURL.clusterLoadAssignment][v1]?.version != before[TypeURL.clusterLoadAssignment][v1]?.version)
        #expect(after[TypeURL.clusterLoadAssignment][v2] == before[TypeURL.clusterLoadAssignment][v2])
        let assignment = try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: try #require(after[TypeURL.clusterLoadAssignment][v1]).value)
        #expect(assignment.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.address) == ["10.1.0.7"])
    }

    /// Services reviews, ratings and details on port 9080, with these endpoint addresses (none: no EndpointSlice).
    static func endpointMesh(_ addresses: [String: [String]]) -> MeshSnapshot {
        var documents: [String] = []
        for (offset, name) in ["details", "ratings", "reviews"].enumerated() {
            documents.append("""
                apiVersion: v1
                kind: Service
                metadata: {name: \(name), namespace: default}
                spec: {clusterIP: 10.0.0.\(offset + 10), selector: {app: \(name)}, ports: [{name: http, port: 9080}]}
                """)
            guard let list = addresses[name], !list.isEmpty else { continue }
            documents.append("""
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: \(name)-abc, namespace: default, labels: {kubernetes.io/service-name: \(name)}}
                addressType: IPv4
                ports: [{name: http, port: 9080}]
                endpoints: [\(list.map { "{addresses: [\($0)]}" }.joined(separator: ", "))]
                """)
        }
        let result = MeshDocumentDecoder().decode(yaml: documents.joined(separator: "\n---\n"), source: "test.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        return MeshSnapshot(decoded: result.objects)
    }

    /// After an endpoint change each kind and namespace's endpoints are the previous list with the
    /// changed service ports' assignments built again. Over changes that move, add and remove
    /// endpoints, and after a change no proxy of a namespace asked about, every list equals a fresh
    /// generator's.
    @Test func endpointListsFollowEveryChangeAsAFreshGeneratorServesThem() async throws {
        let generator = MeshResourceGenerator()
        var other = Self.node("productpage", app: "productpage")
        other.id = "sidecar~10.0.0.2~web.other~other.svc.cluster.local"
        other.metadata.fields["NAMESPACE"] = Google_Protobuf_Value(stringValue: "other")
        let nodes = [Self.node("productpage", app: "productpage"), other]
        let proxies = try nodes.map { try generator.describe(node: $0) }
        func expectFresh(_ mesh: MeshSnapshot, _ which: [Int], _ comment: Comment) async throws {
            for position in which {
                let served = await generator.resources(for: proxies[position], types: [TypeURL.clusterLoadAssignment])
                let fresh = try await Self.fresh(mesh, nodes[position])
                #expect(served.list(TypeURL.clusterLoadAssignment) == fresh.list(TypeURL.clusterLoadAssignment), comment)
                #expect(served[TypeURL.clusterLoadAssignment].count == 3, comment)
            }
        }

        _ = generator.update(Self.endpointMesh(["reviews": ["10.1.0.1"], "ratings": ["10.2.0.1"]]))
        for proxy in proxies { _ = await generator.resources(for: proxy, types: nil) }
        let steps: [(addresses: [String: [String]], asked: [Int], comment: Comment)] = [
            (["reviews": ["10.1.0.7"], "ratings": ["10.2.0.1"]], [0, 1], "an endpoint moved"),
            (["reviews": ["10.1.0.7"], "details": ["10.3.0.1"]], [0], "endpoints appeared and disappeared"),
            (["reviews": ["10.1.0.7", "10.1.0.8"], "details": ["10.3.0.1"]], [0, 1], "one namespace was not asked about last time"),
        ]
        for step in steps {
            let mesh = Self.endpointMesh(step.addresses)
            #expect(generator.update(mesh) == .endpoints)
            try await expectFresh(mesh, step.asked, step.comment)
        }
        let details = await generator.resources(for: proxies[1], types: [TypeURL.clusterLoadAssignment])[TypeURL.clusterLoadAssignment]["outbound|9080||details.default.svc.cluster.local"]
        let assignment = try Envoy_Config_Endpoint_V3_ClusterLoadAssignment(serializedBytes: try #require(details).value)
        #expect(assignment.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.address) == ["10.3.0.1"])
    }
}
