import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// VirtualService `http` rules → Envoy routes, in the order written (first match wins).
public enum HTTPRouteTranslator {
    /// The routes of one VirtualService for the given context; delegate rules are expanded.
    public static func routes(_ virtualService: VirtualService, context: RouteContext) -> [Envoy_Config_Route_V3_Route] {
        let namespace = MeshSnapshot.key(virtualService.metadata).namespace
        var routes: [Envoy_Config_Route_V3_Route] = []
        for rule in expandDelegates(virtualService.spec.http ?? [], namespace: namespace, index: context.index) {
            routes += self.routes(for: rule.rule, namespace: rule.namespace, context: context)
        }
        return routes
    }

    /// A rule and the namespace its hosts are relative to (a delegate's own namespace).
    struct ScopedRule {
        var rule: HTTPRoute
        var namespace: String
    }

    /// Replaces each `delegate` rule with the delegate VirtualService's rules, each match
    /// narrowed by the root rule's match as Istio merges them. A delegate not exported to
    /// the root's namespace is not followed.
    static func expandDelegates(_ rules: [HTTPRoute], namespace: String, index: MeshIndex) -> [ScopedRule] {
        rules.flatMap { rule -> [ScopedRule] in
            guard let delegate = rule.delegate, let name = delegate.name else { return [ScopedRule(rule: rule, namespace: namespace)] }
            let delegateNamespace = delegate.namespace ?? namespace
            guard let target = index.snapshot.virtualService(namespace: delegateNamespace, name: name),
                  (target.spec.hosts ?? []).isEmpty, MeshValidator.isValid(.virtualService(target)),
                  ExportTo.isVisible(target, to: namespace)
            else { return [] }
            return (target.spec.http ?? []).compactMap { child in
                var merged = child
                guard let match = DelegateMatch.merge(root: rule.match, delegate: child.match) else { return nil }
                merged.match = match
                if merged.name == nil { merged.name = rule.name }
                return ScopedRule(rule: merged, namespace: delegateNamespace)
            }
        }
    }

    static func routes(for rule: HTTPRoute, namespace: String, context: RouteContext) -> [Envoy_Config_Route_V3_Route] {
        let matches: [HTTPMatchRequest?] = (rule.match ?? []).isEmpty ? [nil] : (rule.match ?? []).filter { RouteMatchTranslator.applies($0, namespace: namespace, context: context) }
        guard !matches.isEmpty else { return [] }
        let template = route(rule, namespace: namespace, context: context)
        return matches.map { match in
            var route = template
            route.match = RouteMatchTranslator.routeMatch(match)
            return route
        }
    }

    /// Everything of a route but its match.
    static func route(_ rule: HTTPRoute, namespace: String, context: RouteContext) -> Envoy_Config_Route_V3_Route {
        var route = Envoy_Config_Route_V3_Route()
        if let name = rule.name { route.name = name }
        if let redirect = rule.redirect {
            route.redirect = RedirectTranslator.redirect(redirect, requestPort: context.port)
        } else if let response = rule.directResponse {
            route.directResponse = DirectResponseTranslator.directResponse(response)
        } else {
            route.route = action(rule, namespace: namespace, context: context)
        }
        if let fault = FaultTranslator.perRouteConfig(rule.fault) { route.typedPerFilterConfig[EnvoyExtensionName.fault] = fault }
        if let cors = CorsTranslator.perRouteConfig(rule.corsPolicy) { route.typedPerFilterConfig[EnvoyExtensionName.cors] = cors }
        route.requestHeadersToAdd = HeaderTranslator.toAdd(rule.headers?.request)
        route.requestHeadersToRemove = HeaderTranslator.toRemove(rule.headers?.request)
        route.responseHeadersToAdd = HeaderTranslator.toAdd(rule.headers?.response)
        route.responseHeadersToRemove = HeaderTranslator.toRemove(rule.headers?.response)
        // A lone destination's headers apply to the whole route (there is no weighted cluster to carry them).
        if let routes = rule.route, routes.count == 1, let headers = routes[0].headers {
            route.requestHeadersToAdd += HeaderTranslator.toAdd(headers.request)
            route.requestHeadersToRemove += HeaderTranslator.toRemove(headers.request)
            route.responseHeadersToAdd += HeaderTranslator.toAdd(headers.response)
            route.responseHeadersToRemove += HeaderTranslator.toRemove(headers.response)
        }
        return route
    }

    static func action(_ rule: HTTPRoute, namespace: String, context: RouteContext) -> Envoy_Config_Route_V3_RouteAction {
        var action = Envoy_Config_Route_V3_RouteAction()
        // An unset weight is 0 once there are several destinations (Istio), and 0 gets no traffic.
        let destinations = (rule.route ?? []).filter { ($0.weight ?? 0) > 0 || (rule.route ?? []).count == 1 }
        if destinations.count == 1, let only = destinations.first?.destination {
            action.cluster = context.clusterName(for: only, in: namespace)
        } else {
            var weighted = Envoy_Config_Route_V3_WeightedCluster()
            weighted.clusters = destinations.compactMap { destination in
                guard let target = destination.destination else { return nil }
                var cluster = Envoy_Config_Route_V3_WeightedCluster.ClusterWeight()
                cluster.name = context.clusterName(for: target, in: namespace)
                cluster.weight = Google_Protobuf_UInt32Value(UInt32(max(0, destination.weight ?? 0)))
                cluster.requestHeadersToAdd = HeaderTranslator.toAdd(destination.headers?.request)
                cluster.requestHeadersToRemove = HeaderTranslator.toRemove(destination.headers?.request)
                cluster.responseHeadersToAdd = HeaderTranslator.toAdd(destination.headers?.response)
                cluster.responseHeadersToRemove = HeaderTranslator.toRemove(destination.headers?.response)
                return cluster
            }
            action.weightedClusters = weighted
        }
        // A route to a cluster that is still on its way fails with 503, not 404.
        action.clusterNotFoundResponseCode = .serviceUnavailable
        action.timeout = rule.timeout.map(Google_Protobuf_Duration.init) ?? Google_Protobuf_Duration(seconds: 0)
        let first = destinations.first?.destination
        let hashPolicies = first.map { HashPolicyTranslator.policies(context.destinationRule(for: $0, in: namespace), subset: $0.subset, port: $0.port?.number.map(Int.init) ?? context.port ?? 0) } ?? []
        action.hashPolicy = hashPolicies
        if let retry = RetryTranslator.policy(rule.retries, consistentHash: !hashPolicies.isEmpty) { action.retryPolicy = retry }
        action.requestMirrorPolicies = MirrorTranslator.policies(rule, namespace: namespace, context: context)
        RewriteTranslator.apply(rule.rewrite, to: &action)
        if context.proxy.kind == .grpc || first.map({ context.speaksGRPC($0, in: namespace) }) == true {
            // Let gRPC clients' own deadlines (grpc-timeout) bound the stream, as Istio does.
            action.maxStreamDuration.grpcTimeoutHeaderMax = Google_Protobuf_Duration(seconds: 0)
        }
        return action
    }
}

/// DestinationRule `consistentHash` → the route's hash policies.
public enum HashPolicyTranslator {
    public static func policies(_ rule: DestinationRule?, subset: String?, port: Int) -> [Envoy_Config_Route_V3_RouteAction.HashPolicy] {
        guard let hash = TrafficPolicyMerge.effective(rule, subset: subset, port: port).loadBalancer?.consistentHash else { return [] }
        var policy = Envoy_Config_Route_V3_RouteAction.HashPolicy()
        if let header = hash.httpHeaderName {
            policy.header.headerName = header
        } else if let cookie = hash.httpCookie {
            policy.cookie.name = cookie.name ?? ""
            if let path = cookie.path { policy.cookie.path = path }
            if let ttl = cookie.ttl { policy.cookie.ttl = Google_Protobuf_Duration(ttl) }
        } else if hash.useSourceIp == true {
            policy.connectionProperties.sourceIp = true
        } else if let parameter = hash.httpQueryParameterName {
            policy.queryParameter.name = parameter
        } else {
            return []
        }
        return [policy]
    }
}
