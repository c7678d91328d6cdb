import EnvoyAPI
import KubernetesAPI
import MeshAPI
import SwiftProtobuf

/// The proxies the xDS load benchmark connects, the same in the server (which warms their
/// shared snapshots) and the load client (which plays them): of every ten, eight sidecars of a
/// few workloads in a few namespaces, one ingress gateway and one proxyless gRPC client.
struct ProxyFleet: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case sidecar, gateway, grpc
    }

    var namespaces = 5
    var workloadsPerNamespace = 4

    func kind(_ index: Int) -> Kind {
        switch index % 10 {
        case 8: .gateway
        case 9: .grpc
        default: .sidecar
        }
    }

    /// The node of proxy `index`, with an id and metadata like Istio's.
    func node(_ index: Int) -> Envoy_Config_Core_V3_Node {
        let ip = "100.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256)"
        let namespace: String
        var labels: [String: String]
        let id: String
        var metadata: [String: Google_Protobuf_Value] = [:]
        switch kind(index) {
        case .sidecar:
            namespace = "ns-\(index % namespaces)"
            labels = ["app": "app-\(index / namespaces % workloadsPerNamespace)", "version": "v1"]
            id = "sidecar~\(ip)~pod-\(index).\(namespace)~\(namespace).svc.cluster.local"
        case .gateway:
            namespace = "istio-system"
            labels = ["istio": "ingressgateway"]
            id = "router~\(ip)~ingress-\(index).\(namespace)~\(namespace).svc.cluster.local"
        case .grpc:
            namespace = "ns-\(index % namespaces)"
            labels = ["app": "grpc-client"]
            id = "sidecar~\(ip)~grpc-\(index).\(namespace)~\(namespace).svc.cluster.local"
            metadata["GENERATOR"] = Google_Protobuf_Value(stringValue: "grpc")
        }
        metadata["NAMESPACE"] = Google_Protobuf_Value(stringValue: namespace)
        metadata["LABELS"] = Google_Protobuf_Value(structValue: Google_Protobuf_Struct(fields: labels.mapValues { Google_Protobuf_Value(stringValue: $0) }))
        var node = Envoy_Config_Core_V3_Node()
        node.id = id
        node.cluster = labels["app"] ?? "istio-ingressgateway"
        node.metadata = Google_Protobuf_Struct(fields: metadata)
        return node
    }
}

/// The benchmark's mesh: the translate benchmark's (N services, each with 3 subsets, a
/// DestinationRule and a VirtualService splitting 3 ways) plus an ingress Gateway that every
/// tenth VirtualService is bound to, so gateways have routes too.
struct LoadMesh {
    private(set) var objects: [MeshObject]
    /// Each object's validation, redone only for the object a change edits (as the operator caches it).
    private var validations: [[ValidationFinding]] = []
    /// Where each service's VirtualService is in `objects`.
    private var virtualServices: [Int] = []
    /// Where each service's EndpointSlice is in `objects`.
    private var endpointSlices: [Int] = []

    init(services: Int) {
        objects = TranslateBenchmark.mesh(services: services).objects
        var gateway = Gateway(metadata: ObjectMeta(name: "ingress", namespace: "istio-system"))
        gateway.spec.selector = ["istio": "ingressgateway"]
        gateway.spec.servers = [Server(port: Port(number: 80, protocol: "HTTP", name: "http"), hosts: ["*"])]
        objects.append(.gateway(gateway))
        for position in objects.indices {
            if case .endpointSlice = objects[position] { endpointSlices.append(position) }
            guard case .virtualService(var virtualService) = objects[position] else { continue }
            let index = virtualServices.count
            if index % 10 == 0 {
                virtualService.spec.gateways = ["istio-system/ingress", "mesh"]
                objects[position] = .virtualService(virtualService)
            }
            virtualServices.append(position)
        }
        validations = objects.map(MeshValidator.validate)
    }

    var snapshot: MeshSnapshot { MeshSnapshot(validated: zip(objects, validations).map { (object: $0, findings: $1) }) }
    var serviceCount: Int { virtualServices.count }

    /// Change `number` edits one VirtualService's split, a different one each time (every
    /// other one bound to the gateway as well), to weights it never had.
    mutating func changeWeights(_ number: Int) {
        let position = virtualServices[(number * 5) % virtualServices.count]
        guard case .virtualService(var virtualService) = objects[position], var route = virtualService.spec.http?.first else { return }
        let shift = Int32(number % 49) + 1
        let weights: [Int32] = [60 - shift, 30, 10 + shift]
        route.route = zip(route.route ?? [], weights).map { destination, weight in
            var destination = destination
            destination.weight = weight
            return destination
        }
        virtualService.spec.http = [route]
        objects[position] = .virtualService(virtualService)
        validations[position] = MeshValidator.validate(objects[position])
    }

    /// Change `number` moves one endpoint of one service (a different one each time) to an
    /// address it never had, as a pod replaced elsewhere: only endpoints change.
    mutating func changeEndpoints(_ number: Int) {
        let position = endpointSlices[(number * 7) % endpointSlices.count]
        guard case .endpointSlice(var slice) = objects[position], slice.endpoints?.isEmpty == false else { return }
        slice.endpoints?[0].addresses = ["10.200.\(number / 250 % 250).\(number % 250)"]
        objects[position] = .endpointSlice(slice)
        validations[position] = MeshValidator.validate(objects[position])
    }
}
