import EnvoyAPI
import MeshAPI
import Testing
@testable import Translator

@Suite struct DelegateTests {
    static let mesh = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: root, namespace: default}
        spec:
          hosts: [reviews]
          http:
          - name: api
            match: [{uri: {prefix: /api}, headers: {x-team: {exact: a}}}]
            delegate: {name: reviews-api, namespace: team}
          - name: fallback
            route: [{destination: {host: reviews}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews-api, namespace: team}
        spec:
          http:
          - name: v2
            match: [{uri: {prefix: /api/v2}}, {uri: {prefix: /other}}]
            route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
          - name: conflicting
            match: [{headers: {x-team: {exact: b}}}]
            route: [{destination: {host: ratings.default.svc.cluster.local}}]
          - name: rest
            route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
        """

    @Test func delegateRulesReplaceTheRootRuleWithMergedMatches() throws {
        let routes = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(Self.mesh))
        #expect(routes.map(\.name) == ["v2", "rest", "fallback"], "/other lies outside /api and x-team: b contradicts x-team: a")
        #expect(routes[0].match.prefix == "/api/v2")
        #expect(routes[0].match.headers.map(\.name) == ["x-team"], "the root's header is kept")
        #expect(routes[0].route.cluster == "outbound|9080|v2|reviews.default.svc.cluster.local")
        #expect(routes[1].match.prefix == "/api", "a delegate rule without matches takes the root's")
        #expect(routes[1].route.cluster == "outbound|9080|v1|reviews.default.svc.cluster.local")
    }

    @Test func mergeRules() {
        let root = HTTPMatchRequest.with { $0.name = "r"; $0.uri = StringMatch(prefix: "/a"); $0.port = 80 }
        let leaf = HTTPMatchRequest.with { $0.name = "l"; $0.uri = StringMatch(exact: "/a/b"); $0.method = StringMatch(exact: "GET") }
        let merged = DelegateMatch.merge(root: [root], delegate: [leaf])
        #expect(merged?.count == 1)
        #expect(merged?.first?.name == "r-l")
        #expect(merged?.first?.uri == StringMatch(exact: "/a/b"))
        #expect(merged?.first?.port == 80)
        #expect(merged?.first?.method == StringMatch(exact: "GET"))
        let outside = HTTPMatchRequest.with { $0.uri = StringMatch(prefix: "/b") }
        #expect(DelegateMatch.merge(root: [root], delegate: [outside]) == nil)
        let regex = HTTPMatchRequest.with { $0.uri = StringMatch(regex: "/a.*") }
        #expect(DelegateMatch.merge(root: [root], delegate: [regex]) == nil, "a regex cannot be proven inside the root's prefix")
        let otherPort = HTTPMatchRequest.with { $0.port = 81 }
        #expect(DelegateMatch.merge(root: [root], delegate: [otherPort]) == nil)
        #expect(DelegateMatch.merge(root: nil, delegate: [leaf]) == [leaf])
        #expect(DelegateMatch.merge(root: [root], delegate: nil) == [root])
    }
}

extension HTTPMatchRequest {
    static func with(_ build: (inout HTTPMatchRequest) -> Void) -> HTTPMatchRequest {
        var match = HTTPMatchRequest()
        build(&match)
        return match
    }
}
