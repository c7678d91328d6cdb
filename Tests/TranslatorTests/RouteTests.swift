import EnvoyAPI
import Foundation
import MeshAPI
import SwiftProtobuf
import Testing
@testable import Translator

/// Route actions: destinations, weights, rewrites, redirects, direct responses, timeouts,
/// headers, hash policies — one VirtualService rule at a time.
@Suite struct RouteTests {
    static func route(_ rule: String, proxy: ProxyIdentity = ProxyIdentity(kind: .sidecar, namespace: "default")) throws -> Envoy_Config_Route_V3_Route {
        let routes = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(RouteMatchTests.vs(rule), proxy: proxy))
        return try #require(routes.first)
    }

    @Test func weightsAreRelativeAndZeroWeightsDropped() throws {
        let route = try Self.route("""
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 3, headers: {request: {set: {x-v: "1"}}, response: {remove: [x-internal]}}}
                - {destination: {host: reviews, subset: v2}, weight: 1}
                - {destination: {host: ratings}, weight: 0}
            """)
        let clusters = route.route.weightedClusters.clusters
        #expect(clusters.map(\.name) == ["outbound|9080|v1|reviews.default.svc.cluster.local", "outbound|9080|v2|reviews.default.svc.cluster.local"])
        #expect(clusters.map(\.weight.value) == [3, 1], "Istio does not require weights to sum to 100")
        #expect(clusters[0].requestHeadersToAdd.first?.header.key == "x-v")
        #expect(clusters[0].requestHeadersToAdd.first?.appendAction == .overwriteIfExistsOrAdd)
        #expect(clusters[0].responseHeadersToRemove == ["x-internal"])
    }

    @Test func aSplitLeavingOneDestinationIsAPlainCluster() throws {
        let route = try Self.route("""
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 100}
                - {destination: {host: reviews, subset: v2}, weight: 0}
            """)
        #expect(route.route.cluster == "outbound|9080|v1|reviews.default.svc.cluster.local")
    }

    @Test func anUnsetWeightAmongSeveralDestinationsIsZero() throws {
        let route = try Self.route("""
              - route:
                - {destination: {host: reviews, subset: v1}}
                - {destination: {host: reviews, subset: v2}, weight: 10}
                - {destination: {host: ratings}, weight: 5}
            """)
        #expect(route.route.weightedClusters.clusters.map(\.name) == ["outbound|9080|v2|reviews.default.svc.cluster.local", "outbound|9080||ratings.default.svc.cluster.local"])
    }

    @Test func aDestinationInAnotherNamespaceAndPortResolves() throws {
        let route = try Self.route("""
              - route: [{destination: {host: ratings.default.svc.cluster.local, port: {number: 5432}}}]
            """)
        #expect(route.route.cluster == "outbound|5432||ratings.default.svc.cluster.local")
    }

    @Test func rewritesAndTimeout() throws {
        let route = try Self.route("""
              - match: [{uri: {prefix: /v1/}}]
                rewrite: {uri: /, authority: backend.internal}
                timeout: 1.5s
                route: [{destination: {host: reviews}}]
            """)
        #expect(route.route.prefixRewrite == "/")
        #expect(route.route.hostRewriteLiteral == "backend.internal")
        #expect(route.route.timeout.seconds == 1 && route.route.timeout.nanos == 500_000_000)
        let regex = try Self.route("""
              - rewrite: {uriRegexRewrite: {match: "^/api/(.*)", rewrite: "/\\\\1"}}
                route: [{destination: {host: reviews}}]
            """)
        #expect(regex.route.regexRewrite.pattern.regex == "^/api/(.*)")
        #expect(regex.route.regexRewrite.substitution == "/\\1")
        #expect(regex.route.timeout.seconds == 0 && regex.route.hasTimeout, "no timeout: 0s, disabled, as Istio sends")
    }

    @Test func redirects() throws {
        let route = try Self.route("""
              - redirect: {uri: /new, authority: new.example.com, scheme: https, redirectCode: 308, port: 8443}
            """)
        #expect(route.redirect.pathRedirect == "/new")
        #expect(route.redirect.hostRedirect == "new.example.com")
        #expect(route.redirect.schemeRedirect == "https")
        #expect(route.redirect.portRedirect == 8443)
        #expect(route.redirect.responseCode == .permanentRedirect)
        let derived = try Self.route("""
              - redirect: {uri: /moved, derivePort: FROM_REQUEST_PORT}
            """)
        #expect(derived.redirect.portRedirect == 9080, "the request's port is the listener's")
        #expect(derived.redirect.responseCode == .movedPermanently, "301 by default")
        let protocolDefault = try Self.route("""
              - redirect: {scheme: https, derivePort: FROM_PROTOCOL_DEFAULT, redirectCode: 302}
            """)
        #expect(protocolDefault.redirect.portRedirect == 0 && protocolDefault.redirect.responseCode == .found)
        #expect(protocolDefault.route == Envoy_Config_Route_V3_RouteAction())
    }

    @Test func directResponses() throws {
        let text = try Self.route("""
              - directResponse: {status: 418, body: {string: "teapot"}}
            """)
        #expect(text.directResponse.status == 418 && text.directResponse.body.inlineString == "teapot")
        let bytes = try Self.route("""
              - directResponse: {status: 200, body: {bytes: "\(Data([0, 1, 2]).base64EncodedString())"}}
            """)
        #expect(bytes.directResponse.body.inlineBytes == Data([0, 1, 2]))
    }

    @Test func routeLevelHeaderManipulation() throws {
        let route = try Self.route("""
              - headers:
                  request: {set: {x-set: a}, add: {x-add: b}, remove: [x-gone]}
                  response: {set: {x-resp: c}, remove: [server]}
                route: [{destination: {host: reviews}}]
            """)
        #expect(route.requestHeadersToAdd.map(\.header.key) == ["x-set", "x-add"])
        #expect(route.requestHeadersToAdd.map(\.appendAction) == [.overwriteIfExistsOrAdd, .appendIfExistsOrAdd])
        #expect(route.requestHeadersToRemove == ["x-gone"])
        #expect(route.responseHeadersToAdd.map(\.header.value) == ["c"])
        #expect(route.responseHeadersToRemove == ["server"])
    }

    @Test func hashPoliciesComeFromTheDestinationsConsistentHash() throws {
        let route = try Self.route("""
              - route: [{destination: {host: reviews, subset: v2}}]
            """)
        #expect(route.route.hashPolicy.map(\.header.headerName) == ["x-user"])
        let plain = try Self.route("""
              - route: [{destination: {host: reviews, subset: v1}}]
            """)
        #expect(plain.route.hashPolicy.isEmpty)
    }

    @Test func mirrorsWithPercentages() throws {
        let single = try Self.route("""
              - route: [{destination: {host: reviews}}]
                mirror: {host: ratings, port: {number: 9080}}
                mirrorPercentage: {value: 12.5}
            """)
        #expect(single.route.requestMirrorPolicies.map(\.cluster) == ["outbound|9080||ratings.default.svc.cluster.local"])
        #expect(single.route.requestMirrorPolicies.map(\.runtimeFraction.defaultValue.numerator) == [125_000])
        let route = try Self.route("""
              - route: [{destination: {host: reviews}}]
                mirrors:
                - destination: {host: reviews, subset: v2}
                  percentage: {value: 0.5}
                - destination: {host: reviews, subset: v1}
            """)
        let mirrors = route.route.requestMirrorPolicies
        #expect(mirrors.map(\.cluster) == ["outbound|9080|v2|reviews.default.svc.cluster.local", "outbound|9080|v1|reviews.default.svc.cluster.local"])
        #expect(mirrors.map(\.runtimeFraction.defaultValue.numerator) == [5_000, 1_000_000], "no percentage: every request")
        #expect(mirrors.allSatisfy { $0.runtimeFraction.defaultValue.denominator == .million })
    }

    @Test func faultsDelayAndAbortAsPartsPerMillion() throws {
        let route = try Self.route("""
              - route: [{destination: {host: reviews}}]
                fault:
                  delay: {fixedDelay: 7s, percentage: {value: 0.1}}
                  abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}
            """)
        let fault = try Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault(unpackingAny: try #require(route.typedPerFilterConfig[EnvoyExtensionName.fault]))
        #expect(fault.delay.fixedDelay.seconds == 7)
        #expect(fault.delay.percentage.numerator == 1_000 && fault.delay.percentage.denominator == .million)
        #expect(fault.abort.grpcStatus == 14)
        #expect(fault.abort.percentage.numerator == 1_000_000)
        let http = try Self.route("""
              - route: [{destination: {host: reviews}}]
                fault: {abort: {httpStatus: 418}}
            """)
        let abort = try Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault(unpackingAny: try #require(http.typedPerFilterConfig[EnvoyExtensionName.fault]))
        #expect(abort.abort.httpStatus == 418 && abort.abort.percentage.numerator == 1_000_000, "no percentage: every request")
        #expect(!abort.hasDelay)
    }

    @Test func corsPolicy() throws {
        let route = try Self.route("""
              - route: [{destination: {host: reviews}}]
                corsPolicy:
                  allowOrigins: [{exact: "https://a.example.com"}, {regex: "https://.*\\\\.b\\\\.com"}]
                  allowMethods: [GET, POST]
                  allowHeaders: [x-a, x-b]
                  exposeHeaders: [x-c]
                  maxAge: 24h
                  allowCredentials: true
            """)
        let cors = try Envoy_Extensions_Filters_Http_Cors_V3_CorsPolicy(unpackingAny: try #require(route.typedPerFilterConfig[EnvoyExtensionName.cors]))
        #expect(cors.allowOriginStringMatch.first?.exact == "https://a.example.com")
        #expect(cors.allowOriginStringMatch.last?.safeRegex.regex == "https://.*\\.b\\.com")
        #expect(cors.allowMethods == "GET,POST")
        #expect(cors.allowHeaders == "x-a,x-b")
        #expect(cors.exposeHeaders == "x-c")
        #expect(cors.maxAge == "86400")
        #expect(cors.allowCredentials.value)
    }

    @Test func routeNamesAndOrderAsWritten() throws {
        let routes = try RouteFixtures.routes(RouteFixtures.sidecarRoutes(RouteMatchTests.vs("""
              - name: first
                match: [{uri: {prefix: /a}}]
                route: [{destination: {host: reviews, subset: v1}}]
              - name: second
                match: [{uri: {prefix: /}}]
                route: [{destination: {host: reviews, subset: v2}}]
              - name: unreachable
                route: [{destination: {host: reviews}}]
            """)))
        #expect(routes.map(\.name) == ["first", "second", "unreachable"])
    }

    @Test func everyFeatureParsesWithEnvoysSchema() throws {
        let configuration = RouteFixtures.sidecarRoutes(RouteMatchTests.vs("""
              - name: all
                match: [{uri: {regex: "/x.*"}, headers: {a: {}}, withoutHeaders: {b: {exact: c}}, queryParams: {q: {prefix: z}}, ignoreUriCase: true}]
                rewrite: {uri: /y, authority: h}
                timeout: 3s
                retries: {attempts: 4, perTryTimeout: 1s, retryOn: "gateway-error,connect-failure,409", retryRemoteLocalities: true}
                fault: {delay: {fixedDelay: 1s, percentage: {value: 5}}, abort: {httpStatus: 500, percentage: {value: 1}}}
                mirrors: [{destination: {host: ratings}, percentage: {value: 10}}]
                corsPolicy: {allowOrigins: [{prefix: "https://"}], allowMethods: [GET], maxAge: 10m}
                headers: {request: {set: {a: b}}, response: {add: {c: d}, remove: [e]}}
                route:
                - {destination: {host: reviews, subset: v1}, weight: 60, headers: {request: {add: {f: g}}}}
                - {destination: {host: reviews, subset: v2}, weight: 40}
              - redirect: {uri: /r, derivePort: FROM_REQUEST_PORT, redirectCode: 307}
              - directResponse: {status: 503, body: {string: down}}
            """))
        let result = try RouteFixtures.schemaProblems(routes: [configuration])
        #expect(result.status == 0, "Envoy's schema rejects the routes:\n\(result.output)")
    }
}
