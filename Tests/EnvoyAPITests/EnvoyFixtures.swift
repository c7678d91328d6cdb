import EnvoyAPI
import Foundation
import SwiftProtobuf

/// Envoy resources shaped like the ones the translator emits for a sidecar and a gateway, with
/// most covered fields set so serialization and schema checks exercise them.
enum EnvoyFixtures {
    typealias Duration = Google_Protobuf_Duration
    typealias UInt32Value = Google_Protobuf_UInt32Value

    static func adsConfigSource() -> Envoy_Config_Core_V3_ConfigSource {
        var source = Envoy_Config_Core_V3_ConfigSource()
        source.ads = Envoy_Config_Core_V3_AggregatedConfigSource()
        source.resourceApiVersion = .v3
        source.initialFetchTimeout = Duration(seconds: 0)
        return source
    }

    static func socketAddress(_ host: String, _ port: UInt32) -> Envoy_Config_Core_V3_Address {
        var address = Envoy_Config_Core_V3_Address()
        address.socketAddress.address = host
        address.socketAddress.portValue = port
        return address
    }

    static func tlsContextForGateway() -> Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext {
        var context = Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext()
        var sds = Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig()
        sds.name = "kubernetes://default/bookinfo-cert"
        sds.sdsConfig = adsConfigSource()
        context.commonTlsContext.tlsCertificateSdsSecretConfigs = [sds]
        context.commonTlsContext.tlsParams.tlsMinimumProtocolVersion = .tlsv12
        context.commonTlsContext.tlsParams.tlsMaximumProtocolVersion = .tlsv13
        context.commonTlsContext.tlsParams.cipherSuites = ["ECDHE-ECDSA-AES256-GCM-SHA384"]
        context.commonTlsContext.alpnProtocols = ["h2", "http/1.1"]
        context.requireClientCertificate = Google_Protobuf_BoolValue(false)
        return context
    }

    /// A gateway listener: TLS inspector, one HTTPS filter chain with an HCM fetching routes over RDS.
    static func listener() throws -> Envoy_Config_Listener_V3_Listener {
        var router = Envoy_Extensions_Filters_Http_Router_V3_Router()
        router.suppressEnvoyHeaders = true
        var routerFilter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        routerFilter.name = EnvoyExtensionName.router
        routerFilter.typedConfig = try Google_Protobuf_Any(packing: router)

        var faultFilter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        faultFilter.name = EnvoyExtensionName.fault
        faultFilter.typedConfig = try Google_Protobuf_Any(packing: Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault())
        var corsFilter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
        corsFilter.name = EnvoyExtensionName.cors
        corsFilter.typedConfig = try Google_Protobuf_Any(packing: Envoy_Extensions_Filters_Http_Cors_V3_Cors())

        var hcm = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager()
        hcm.statPrefix = "outbound_0.0.0.0_443"
        hcm.codecType = .auto
        hcm.rds.routeConfigName = "https.443.default.bookinfo-gateway"
        hcm.rds.configSource = adsConfigSource()
        hcm.httpFilters = [faultFilter, corsFilter, routerFilter]
        hcm.useRemoteAddress = Google_Protobuf_BoolValue(true)
        hcm.normalizePath = Google_Protobuf_BoolValue(true)
        hcm.mergeSlashes = true
        hcm.pathWithEscapedSlashesAction = .keepUnchanged
        hcm.forwardClientCertDetails = .sanitizeSet
        hcm.setCurrentClientCertDetails.uri = true
        hcm.streamIdleTimeout = Duration(seconds: 300)
        hcm.stripAnyHostPort = true
        hcm.http2ProtocolOptions.maxConcurrentStreams = UInt32Value(100)
        hcm.commonHTTPProtocolOptions.idleTimeout = Duration(seconds: 3600)
        var websocket = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager.UpgradeConfig()
        websocket.upgradeType = "websocket"
        hcm.upgradeConfigs = [websocket]

        var hcmFilter = Envoy_Config_Listener_V3_Filter()
        hcmFilter.name = EnvoyExtensionName.httpConnectionManager
        hcmFilter.typedConfig = try Google_Protobuf_Any(packing: hcm)

        var chain = Envoy_Config_Listener_V3_FilterChain()
        chain.name = "https.443.https.bookinfo-gateway.default"
        chain.filterChainMatch.serverNames = ["bookinfo.example.com"]
        chain.filterChainMatch.transportProtocol = "tls"
        chain.filterChainMatch.applicationProtocols = ["h2", "http/1.1"]
        chain.filterChainMatch.destinationPort = UInt32Value(443)
        chain.filters = [hcmFilter]
        chain.transportSocket.name = EnvoyExtensionName.tlsTransportSocket
        chain.transportSocket.typedConfig = try Google_Protobuf_Any(packing: tlsContextForGateway())

        var tlsInspector = Envoy_Config_Listener_V3_ListenerFilter()
        tlsInspector.name = EnvoyExtensionName.tlsInspector
        tlsInspector.typedConfig = try Google_Protobuf_Any(packing: Envoy_Extensions_Filters_Listener_TlsInspector_V3_TlsInspector())

        var tcpProxy = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy()
        tcpProxy.statPrefix = "BlackHoleCluster"
        var heavy = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy.WeightedCluster.ClusterWeight()
        heavy.name = "outbound|3306||mysql-v1.db.svc.cluster.local"
        heavy.weight = 90
        var light = heavy
        light.name = "outbound|3306||mysql-v2.db.svc.cluster.local"
        light.weight = 10
        tcpProxy.weightedClusters.clusters = [heavy, light]
        var tcpFilter = Envoy_Config_Listener_V3_Filter()
        tcpFilter.name = EnvoyExtensionName.tcpProxy
        tcpFilter.typedConfig = try Google_Protobuf_Any(packing: tcpProxy)
        var fallback = Envoy_Config_Listener_V3_FilterChain()
        fallback.name = "fallback"
        fallback.filters = [tcpFilter]

        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = "0.0.0.0_443"
        listener.address = socketAddress("0.0.0.0", 443)
        listener.listenerFilters = [tlsInspector]
        listener.filterChains = [chain]
        listener.defaultFilterChain = fallback
        listener.trafficDirection = .outbound
        listener.continueOnListenerFiltersTimeout = true
        listener.listenerFiltersTimeout = Duration(seconds: 0, nanos: 100_000_000)
        return listener
    }

    /// A route table with weighted routing, retries, mirroring, rewrites, redirects, faults and CORS.
    static func routeConfiguration() throws -> Envoy_Config_Route_V3_RouteConfiguration {
        var match = Envoy_Config_Route_V3_RouteMatch()
        match.prefix = "/productpage"
        match.caseSensitive = Google_Protobuf_BoolValue(true)
        var header = Envoy_Config_Route_V3_HeaderMatcher()
        header.name = "end-user"
        header.stringMatch.exact = "jason"
        var present = Envoy_Config_Route_V3_HeaderMatcher()
        present.name = "x-canary"
        present.presentMatch = true
        present.invertMatch = true
        match.headers = [header, present]
        var query = Envoy_Config_Route_V3_QueryParameterMatcher()
        query.name = "debug"
        query.stringMatch.safeRegex.regex = "^(1|true)$"
        match.queryParameters = [query]

        var v1 = Envoy_Config_Route_V3_WeightedCluster.ClusterWeight()
        v1.name = "outbound|9080|v1|reviews.default.svc.cluster.local"
        v1.weight = UInt32Value(75)
        var v2 = v1
        v2.name = "outbound|9080|v2|reviews.default.svc.cluster.local"
        v2.weight = UInt32Value(25)
        var added = Envoy_Config_Core_V3_HeaderValueOption()
        added.header.key = "x-version"
        added.header.value = "v2"
        added.appendAction = .overwriteIfExistsOrAdd
        v2.requestHeadersToAdd = [added]

        var action = Envoy_Config_Route_V3_RouteAction()
        action.weightedClusters.clusters = [v1, v2]
        action.timeout = Duration(seconds: 10)
        action.prefixRewrite = "/"
        action.hostRewriteLiteral = "reviews.internal"
        action.retryPolicy.retryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
        action.retryPolicy.numRetries = UInt32Value(3)
        action.retryPolicy.perTryTimeout = Duration(seconds: 2)
        action.retryPolicy.retriableStatusCodes = [503]
        action.retryPolicy.hostSelectionRetryMaxAttempts = 5
        action.retryPolicy.retryBackOff.baseInterval = Duration(seconds: 0, nanos: 25_000_000)
        var previousHosts = Envoy_Config_Route_V3_RetryPolicy.RetryHostPredicate()
        previousHosts.name = EnvoyExtensionName.previousHostsRetryPredicate
        previousHosts.typedConfig = try Google_Protobuf_Any(
            packing: Envoy_Extensions_Retry_Host_PreviousHosts_V3_PreviousHostsPredicate()
        )
        action.retryPolicy.retryHostPredicate = [previousHosts]
        var mirror = Envoy_Config_Route_V3_RouteAction.RequestMirrorPolicy()
        mirror.cluster = "outbound|9080|v3|reviews.default.svc.cluster.local"
        mirror.runtimeFraction.defaultValue.numerator = 50
        mirror.runtimeFraction.defaultValue.denominator = .hundred
        action.requestMirrorPolicies = [mirror]
        var hash = Envoy_Config_Route_V3_RouteAction.HashPolicy()
        hash.cookie.name = "session"
        hash.cookie.ttl = Duration(seconds: 60)
        action.hashPolicy = [hash]
        action.maxStreamDuration.maxStreamDuration = Duration(seconds: 0)
        var websocket = Envoy_Config_Route_V3_RouteAction.UpgradeConfig()
        websocket.upgradeType = "websocket"
        action.upgradeConfigs = [websocket]

        var fault = Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault()
        fault.delay.fixedDelay = Duration(seconds: 5)
        fault.delay.percentage.numerator = 100_000
        fault.delay.percentage.denominator = .million
        fault.abort.httpStatus = 503
        fault.abort.percentage.numerator = 10
        var cors = Envoy_Extensions_Filters_Http_Cors_V3_CorsPolicy()
        var origin = Envoy_Type_Matcher_V3_StringMatcher()
        origin.prefix = "https://"
        cors.allowOriginStringMatch = [origin]
        cors.allowMethods = "GET,POST"
        cors.allowCredentials = Google_Protobuf_BoolValue(true)
        cors.maxAge = "86400"
        cors.filterEnabled.defaultValue.numerator = 100

        var route = Envoy_Config_Route_V3_Route()
        route.name = "reviews-split"
        route.match = match
        route.route = action
        route.decorator.operation = "reviews.default.svc.cluster.local:9080/*"
        route.typedPerFilterConfig = [
            EnvoyExtensionName.fault: try Google_Protobuf_Any(packing: fault),
            EnvoyExtensionName.cors: try Google_Protobuf_Any(packing: cors),
        ]

        var redirect = Envoy_Config_Route_V3_Route()
        redirect.match.path = "/old"
        redirect.redirect.httpsRedirect = true
        redirect.redirect.hostRedirect = "new.example.com"
        redirect.redirect.portRedirect = 8443
        redirect.redirect.pathRedirect = "/new"
        redirect.redirect.responseCode = .permanentRedirect
        redirect.redirect.stripQuery = true

        var direct = Envoy_Config_Route_V3_Route()
        direct.match.pathSeparatedPrefix = "/health"
        direct.directResponse.status = 200
        direct.directResponse.body.inlineString = "ok"

        var regex = Envoy_Config_Route_V3_Route()
        regex.match.safeRegex.regex = "/api/v[0-9]+/.*"
        regex.match.grpc = Envoy_Config_Route_V3_RouteMatch.GrpcRouteMatchOptions()
        regex.route.cluster = "outbound|9080||api.default.svc.cluster.local"
        regex.route.regexRewrite.pattern.regex = "^/api/v[0-9]+"
        regex.route.regexRewrite.substitution = "/api"

        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "bookinfo.example.com:443"
        host.domains = ["bookinfo.example.com", "bookinfo.example.com:*"]
        host.routes = [route, redirect, direct, regex]
        host.includeRequestAttemptCount = true
        host.retryPolicy.numRetries = UInt32Value(2)

        var table = Envoy_Config_Route_V3_RouteConfiguration()
        table.name = "https.443.default.bookinfo-gateway"
        table.virtualHosts = [host]
        table.validateClusters = Google_Protobuf_BoolValue(false)
        table.ignorePortInHostMatching = true
        return table
    }

    /// An EDS cluster with circuit breakers, outlier detection, consistent hashing, HTTP/2 upstream
    /// options and mutual TLS.
    static func cluster() throws -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = "outbound|9080|v1|reviews.default.svc.cluster.local"
        cluster.type = .eds
        cluster.edsClusterConfig.serviceName = cluster.name
        cluster.edsClusterConfig.edsConfig = adsConfigSource()
        cluster.connectTimeout = Duration(seconds: 10)
        cluster.lbPolicy = .ringHash
        cluster.ringHashLbConfig.minimumRingSize = Google_Protobuf_UInt64Value(1024)
        cluster.commonLbConfig.localityWeightedLbConfig = .init()
        cluster.commonLbConfig.healthyPanicThreshold.value = 0

        var thresholds = Envoy_Config_Cluster_V3_CircuitBreakers.Thresholds()
        thresholds.maxConnections = UInt32Value(100)
        thresholds.maxPendingRequests = UInt32Value(10)
        thresholds.maxRequests = UInt32Value(1000)
        thresholds.maxRetries = UInt32Value(3)
        thresholds.trackRemaining = true
        cluster.circuitBreakers.thresholds = [thresholds]

        cluster.outlierDetection.consecutive5Xx = UInt32Value(5)
        cluster.outlierDetection.consecutiveGatewayFailure = UInt32Value(5)
        cluster.outlierDetection.interval = Duration(seconds: 10)
        cluster.outlierDetection.baseEjectionTime = Duration(seconds: 30)
        cluster.outlierDetection.maxEjectionPercent = UInt32Value(100)
        cluster.outlierDetection.enforcingConsecutive5Xx = UInt32Value(100)

        var http = Envoy_Extensions_Upstreams_Http_V3_HttpProtocolOptions()
        http.explicitHTTPConfig.http2ProtocolOptions.maxConcurrentStreams = UInt32Value(1000)
        http.commonHTTPProtocolOptions.idleTimeout = Duration(seconds: 3600)
        http.commonHTTPProtocolOptions.maxRequestsPerConnection = UInt32Value(1)
        http.commonHTTPProtocolOptions.maxConnectionDuration = Duration(seconds: 600)
        cluster.typedExtensionProtocolOptions = [
            EnvoyExtensionName.upstreamHTTPProtocolOptions: try Google_Protobuf_Any(packing: http)
        ]

        var tls = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
        tls.sni = "outbound_.9080_.v1_.reviews.default.svc.cluster.local"
        var san = Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher()
        san.sanType = .uri
        san.matcher.exact = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews"
        var sds = Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig()
        sds.name = "ROOTCA"
        sds.sdsConfig = adsConfigSource()
        tls.commonTlsContext.combinedValidationContext.defaultValidationContext.matchTypedSubjectAltNames = [san]
        tls.commonTlsContext.combinedValidationContext.validationContextSdsSecretConfig = sds
        tls.commonTlsContext.alpnProtocols = ["istio-peer-exchange", "istio"]
        cluster.transportSocket.name = EnvoyExtensionName.tlsTransportSocket
        cluster.transportSocket.typedConfig = try Google_Protobuf_Any(packing: tls)

        cluster.metadata.filterMetadata["istio"] = Google_Protobuf_Struct(fields: [
            "default_original_port": Google_Protobuf_Value(numberValue: 9080),
            "subset": Google_Protobuf_Value(stringValue: "v1"),
        ])
        cluster.dnsLookupFamily = .v4Only
        return cluster
    }

    /// Endpoints in two localities, one draining.
    static func clusterLoadAssignment() -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        func endpoint(_ ip: String, _ health: Envoy_Config_Core_V3_HealthStatus) -> Envoy_Config_Endpoint_V3_LbEndpoint {
            var endpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
            endpoint.endpoint.address = socketAddress(ip, 9080)
            endpoint.healthStatus = health
            endpoint.loadBalancingWeight = UInt32Value(1)
            endpoint.metadata.filterMetadata["envoy.transport_socket_match"] = Google_Protobuf_Struct(fields: [
                "tlsMode": Google_Protobuf_Value(stringValue: "istio")
            ])
            return endpoint
        }
        var east = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        east.locality.region = "us-east1"
        east.locality.zone = "us-east1-b"
        east.lbEndpoints = [endpoint("10.0.0.7", .healthy), endpoint("10.0.0.8", .draining)]
        east.loadBalancingWeight = UInt32Value(2)
        var west = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
        west.locality.region = "us-west1"
        west.lbEndpoints = [endpoint("10.1.0.7", .healthy)]
        west.loadBalancingWeight = UInt32Value(1)
        west.priority = 1

        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = "outbound|9080|v1|reviews.default.svc.cluster.local"
        assignment.endpoints = [east, west]
        assignment.policy.overprovisioningFactor = UInt32Value(140)
        return assignment
    }

    /// A gateway certificate served over SDS.
    static func secret() -> Envoy_Extensions_TransportSockets_Tls_V3_Secret {
        var secret = Envoy_Extensions_TransportSockets_Tls_V3_Secret()
        secret.name = "kubernetes://default/bookinfo-cert"
        var certificate = Envoy_Extensions_TransportSockets_Tls_V3_TlsCertificate()
        certificate.certificateChain.inlineBytes = Data("-----BEGIN CERTIFICATE-----\n".utf8)
        certificate.privateKey.inlineBytes = Data("-----BEGIN PRIVATE KEY-----\n".utf8)
        secret.tlsCertificate = certificate
        return secret
    }
}
