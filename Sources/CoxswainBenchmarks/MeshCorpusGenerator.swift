/// Generates a varied, valid mesh as multi-document YAML: VirtualServices (weighted,
/// header-matched, redirecting, faulting, retrying), DestinationRules with subsets and
/// traffic policies, Gateways, Services and EndpointSlices. Deterministic for a given
/// count, so benchmarks and tests are repeatable.
enum MeshCorpusGenerator {
    static func yaml(objectCount: Int) -> String {
        var out = ""
        out.reserveCapacity(objectCount * 700)
        for index in 0..<objectCount {
            if index > 0 { out += "---\n" }
            let namespace = "team-\(index % 37)"
            let service = "svc-\(index / 5)"
            switch index % 5 {
            case 0: out += virtualService(index, service: service, namespace: namespace)
            case 1: out += destinationRule(index, service: service, namespace: namespace)
            case 2: out += index % 10 == 2 ? gateway(index, namespace: namespace) : virtualService(index, service: service, namespace: namespace)
            case 3: out += kubernetesService(service, namespace: namespace, index: index)
            default: out += endpointSlice(service, namespace: namespace, index: index)
            }
        }
        return out
    }

    static func virtualService(_ index: Int, service: String, namespace: String) -> String {
        var text = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: vs-\(index)
          namespace: \(namespace)
          labels:
            app: \(service)
        spec:
          hosts:
          - \(service)
          - \(service).example.com
          http:

        """
        switch index % 4 {
        case 0:
            text += """
              - name: canary
                match:
                - headers:
                    end-user:
                      exact: user-\(index)
                  uri:
                    prefix: /api/v\(index % 3 + 1)/
                route:
                - destination:
                    host: \(service)
                    subset: v2
                timeout: \(index % 9 + 1)s
                retries:
                  attempts: 3
                  perTryTimeout: 250ms
                  retryOn: 5xx,connect-failure,refused-stream
              - route:
                - destination:
                    host: \(service)
                    subset: v1
                  weight: 90
                - destination:
                    host: \(service)
                    subset: v2
                  weight: 10

            """
        case 1:
            text += """
              - match:
                - uri:
                    regex: "^/items/[0-9]+(/details)?$"
                  method:
                    exact: GET
                fault:
                  delay:
                    fixedDelay: 100ms
                    percentage:
                      value: 0.5
                route:
                - destination:
                    host: \(service)
                    port:
                      number: 8080
                headers:
                  request:
                    set:
                      x-request-source: mesh
                  response:
                    remove:
                    - x-internal
              - route:
                - destination:
                    host: \(service)

            """
        case 2:
            text += """
              - match:
                - uri:
                    prefix: /old
                redirect:
                  uri: /new
                  redirectCode: 301
              - match:
                - uri:
                    exact: /health
                directResponse:
                  status: 200
                  body:
                    string: ok
              - route:
                - destination:
                    host: \(service)
                mirror:
                  host: \(service)-shadow
                mirrorPercentage:
                  value: 5.0
                corsPolicy:
                  allowOrigins:
                  - exact: https://\(service).example.com
                  allowMethods: [GET, POST]
                  maxAge: 24h

            """
        default:
            text += """
              - rewrite:
                  uri: /
                match:
                - uri:
                    prefix: /legacy
                route:
                - destination:
                    host: \(service)
                    subset: v1
              - route:
                - destination:
                    host: \(service)
                    subset: v1
                  weight: 50
                - destination:
                    host: \(service)
                    subset: v2
                  weight: 50

            """
        }
        return text
    }

    static func destinationRule(_ index: Int, service: String, namespace: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: dr-\(index)
          namespace: \(namespace)
        spec:
          host: \(service).\(namespace).svc.cluster.local
          trafficPolicy:
            loadBalancer:
              \(index % 2 == 0 ? "simple: LEAST_REQUEST" : "consistentHash:\n        httpHeaderName: x-user\n        maglev:\n          tableSize: 65537")
            connectionPool:
              tcp:
                maxConnections: \(100 + index % 50)
                connectTimeout: 30ms
              http:
                http2MaxRequests: 1000
                maxRequestsPerConnection: 10
            outlierDetection:
              consecutive5xxErrors: 7
              interval: 5m
              baseEjectionTime: 15m
            tls:
              mode: ISTIO_MUTUAL
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
            trafficPolicy:
              loadBalancer:
                simple: ROUND_ROBIN

        """
    }

    static func gateway(_ index: Int, namespace: String) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: gw-\(index)
          namespace: \(namespace)
        spec:
          selector:
            istio: ingressgateway
          servers:
          - port:
              number: 80
              name: http
              protocol: HTTP
            hosts:
            - "\(namespace)/*.example.com"
            tls:
              httpsRedirect: true
          - port:
              number: 443
              name: https
              protocol: HTTPS
            hosts:
            - "\(namespace)/*.example.com"
            tls:
              mode: SIMPLE
              credentialName: cert-\(index)
              minProtocolVersion: TLSV1_2

        """
    }

    static func kubernetesService(_ name: String, namespace: String, index: Int) -> String {
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: \(name)
          namespace: \(namespace)
          labels:
            app: \(name)
          resourceVersion: "\(index)"
        spec:
          clusterIP: 10.96.\(index / 250 % 250).\(index % 250)
          ports:
          - name: http
            port: 8080
            targetPort: 8080
            protocol: TCP
          - name: grpc
            port: 9090
            targetPort: grpc
            appProtocol: grpc
          selector:
            app: \(name)
          type: ClusterIP
        status:
          loadBalancer: {}

        """
    }

    static func endpointSlice(_ service: String, namespace: String, index: Int) -> String {
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: \(service)-abcde
          namespace: \(namespace)
          labels:
            kubernetes.io/service-name: \(service)
        addressType: IPv4
        endpoints:
        - addresses:
          - 10.244.\(index / 250 % 250).\(index % 250)
          conditions:
            ready: true
            serving: true
            terminating: false
          nodeName: node-\(index % 7)
          zone: zone-\(index % 3)
        ports:
        - name: http
          port: 8080
          protocol: TCP

        """
    }
}
