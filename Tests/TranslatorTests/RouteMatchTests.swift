import EnvoyAPI
import MeshAPI
import Testing
@testable import Translator

@Suite struct RouteMatchTests {
    static func vs(_ http: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews]
          http:
        \(http)
        """
    }

    @Test func uriKindsAndCaseInsensitivity() throws {
        let routes = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(Self.vs("""
              - match: [{uri: {exact: /exact}}, {uri: {prefix: /pre}, ignoreUriCase: true}, {uri: {regex: "/r[0-9]+"}}]
                route: [{destination: {host: reviews}}]
              - route: [{destination: {host: reviews}}]
            """)))
        #expect(routes.count == 4, "three matches OR-ed → three routes, then the catch-all")
        #expect(routes[0].match.path == "/exact")
        #expect(routes[1].match.prefix == "/pre" && routes[1].match.hasCaseSensitive && !routes[1].match.caseSensitive.value)
        #expect(routes[2].match.safeRegex.regex == "/r[0-9]+")
        #expect(routes[3].match.prefix == "/", "no match is a prefix / route")
        #expect(!routes[0].match.hasCaseSensitive)
    }

    /// Every value has the empty prefix, and Envoy's `StringMatcher.prefix` refuses it (`min_len: 1`):
    /// an empty prefix means "present", for headers, query parameters and the authority alike.
    @Test func anEmptyPrefixMatchesAnyValueOfAPresentHeader() throws {
        let routes = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(Self.vs("""
              - match: [{headers: {x-a: {prefix: ""}}, withoutHeaders: {x-b: {prefix: ""}}, queryParams: {q: {prefix: ""}}, authority: {prefix: ""}}]
                route: [{destination: {host: reviews}}]
            """)))
        let headers = Dictionary(uniqueKeysWithValues: routes[0].match.headers.map { ($0.name, $0) })
        #expect(headers[":authority"]?.presentMatch == true)
        #expect(headers["x-a"]?.presentMatch == true && headers["x-a"]?.invertMatch == false)
        #expect(headers["x-b"]?.presentMatch == true && headers["x-b"]?.invertMatch == true)
        #expect(routes[0].match.queryParameters.first?.presentMatch == true)
    }

    @Test func fieldsOfOneMatchAreAndedIntoOneRoute() throws {
        let routes = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(Self.vs("""
              - match:
                - uri: {prefix: /api}
                  scheme: {exact: https}
                  method: {exact: GET}
                  authority: {prefix: reviews}
                  headers: {x-a: {exact: "1"}, x-b: {prefix: p}, x-c: {regex: "c+"}, x-d: {}}
                  withoutHeaders: {x-block: {exact: "yes"}}
                  queryParams: {debug: {exact: "true"}, trace: {}}
                route: [{destination: {host: reviews}}]
            """)))
        #expect(routes.count == 1)
        let match = routes[0].match
        #expect(match.prefix == "/api")
        let headers = Dictionary(uniqueKeysWithValues: match.headers.map { ($0.name, $0) })
        #expect(headers[":scheme"]?.stringMatch.exact == "https")
        #expect(headers[":method"]?.stringMatch.exact == "GET")
        #expect(headers[":authority"]?.stringMatch.prefix == "reviews")
        #expect(headers["x-a"]?.stringMatch.exact == "1")
        #expect(headers["x-b"]?.stringMatch.prefix == "p")
        #expect(headers["x-c"]?.stringMatch.safeRegex.regex == "c+")
        #expect(headers["x-d"]?.presentMatch == true, "{} means present")
        #expect(headers["x-block"]?.invertMatch == true && headers["x-block"]?.stringMatch.exact == "yes")
        #expect(headers["x-a"]?.invertMatch == false)
        let query = Dictionary(uniqueKeysWithValues: match.queryParameters.map { ($0.name, $0) })
        #expect(query["debug"]?.stringMatch.exact == "true")
        #expect(query["trace"]?.presentMatch == true)
    }

    @Test func portSourceLabelsAndSourceNamespaceSelectProxies() throws {
        let http = Self.vs("""
              - name: other-port
                match: [{port: 8080}]
                route: [{destination: {host: reviews}}]
              - name: from-v1
                match: [{sourceLabels: {app: productpage, version: v1}}]
                route: [{destination: {host: reviews, subset: v1}}]
              - name: from-prod
                match: [{sourceNamespace: prod}]
                route: [{destination: {host: reviews, subset: v2}}]
              - name: gateway-only
                match: [{gateways: [istio-system/public]}]
                route: [{destination: {host: reviews}}]
              - name: rest
                route: [{destination: {host: reviews}}]
            """)
        let plain = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(http))
        #expect(plain.map(\.name) == ["rest"])
        let v1 = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(http, proxy: ProxyIdentity(kind: .sidecar, namespace: "default", labels: ["app": "productpage", "version": "v1"])))
        #expect(v1.map(\.name) == ["from-v1", "rest"])
        let prod = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(http, proxy: ProxyIdentity(kind: .sidecar, namespace: "prod")), host: "reviews.default.svc.cluster.local:9080")
        #expect(prod.map(\.name) == ["from-prod", "rest"])
    }

    @Test func aMatchOnTheListenerPortApplies() throws {
        let routes = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(Self.vs("""
              - name: this-port
                match: [{port: 9080, uri: {prefix: /x}}]
                route: [{destination: {host: reviews}}]
            """)))
        #expect(routes.map(\.name) == ["this-port"])
        #expect(routes[0].match.prefix == "/x")
    }
}
