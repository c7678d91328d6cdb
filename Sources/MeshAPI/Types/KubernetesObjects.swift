import Foundation
import KubernetesAPI

// The Kubernetes objects the mesh points at, with the fields translation needs.
// All are `LenientDecodable`: `kubectl get -o yaml` output carries many more fields.

/// core/v1 Service.
public struct Service: Codable, Sendable, Hashable, LenientDecodable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: ServiceSpec?
    /// Not used by Coxswain; kept as written.
    public var status: JSONValue?

    public init(metadata: ObjectMeta, spec: ServiceSpec? = nil) {
        self.apiVersion = "v1"
        self.kind = "Service"
        self.metadata = metadata
        self.spec = spec
    }
}

public struct ServiceSpec: Codable, Sendable, Hashable {
    public var ports: [ServicePort]?
    public var selector: [String: String]?
    public var clusterIP: String?
    public var clusterIPs: [String]?
    /// ClusterIP, NodePort, LoadBalancer or ExternalName.
    public var type: String?
    public var externalName: String?
    public init(ports: [ServicePort]? = nil, selector: [String: String]? = nil) {
        self.ports = ports
        self.selector = selector
    }
}

public struct ServicePort: Codable, Sendable, Hashable {
    public var name: String?
    public var port: Int32
    public var targetPort: IntOrString?
    /// TCP (default), UDP or SCTP.
    public var `protocol`: String?
    public var appProtocol: String?
    public var nodePort: Int32?
    public init(name: String? = nil, port: Int32, targetPort: IntOrString? = nil, protocol: String? = nil, appProtocol: String? = nil) {
        self.name = name
        self.port = port
        self.targetPort = targetPort
        self.protocol = `protocol`
        self.appProtocol = appProtocol
    }
}

/// discovery.k8s.io/v1 EndpointSlice.
public struct EndpointSlice: Codable, Sendable, Hashable, LenientDecodable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    /// IPv4, IPv6 or FQDN.
    public var addressType: String
    public var endpoints: [Endpoint]?
    public var ports: [EndpointPort]?

    /// The label naming the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    public init(metadata: ObjectMeta, addressType: String = "IPv4", endpoints: [Endpoint]? = nil, ports: [EndpointPort]? = nil) {
        self.apiVersion = "discovery.k8s.io/v1"
        self.kind = "EndpointSlice"
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// The Service this slice belongs to, from its `kubernetes.io/service-name` label.
    public var serviceName: String? { metadata.labels?[Self.serviceNameLabel] }

    public struct Endpoint: Codable, Sendable, Hashable {
        public var addresses: [String]
        public var conditions: Conditions?
        public var hostname: String?
        public var nodeName: String?
        public var zone: String?
        public var targetRef: ObjectReference?
        public init(addresses: [String], conditions: Conditions? = nil, nodeName: String? = nil, zone: String? = nil, targetRef: ObjectReference? = nil) {
            self.addresses = addresses
            self.conditions = conditions
            self.nodeName = nodeName
            self.zone = zone
            self.targetRef = targetRef
        }
    }

    public struct Conditions: Codable, Sendable, Hashable {
        public var ready: Bool?
        public var serving: Bool?
        public var terminating: Bool?
        public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
        }
    }
}

public struct EndpointPort: Codable, Sendable, Hashable {
    public var name: String?
    public var port: Int32?
    public var `protocol`: String?
    public var appProtocol: String?
    public init(name: String? = nil, port: Int32? = nil, protocol: String? = nil, appProtocol: String? = nil) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
        self.appProtocol = appProtocol
    }
}

/// core/v1 ObjectReference (an EndpointSlice endpoint's `targetRef`).
public struct ObjectReference: Codable, Sendable, Hashable {
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public init(kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }
}

/// core/v1 Pod.
public struct Pod: Codable, Sendable, Hashable, LenientDecodable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: PodStatus?

    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: PodStatus? = nil) {
        self.apiVersion = "v1"
        self.kind = "Pod"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public struct PodSpec: Codable, Sendable, Hashable {
        public var nodeName: String?
        public var serviceAccountName: String?
        public init(nodeName: String? = nil, serviceAccountName: String? = nil) {
            self.nodeName = nodeName
            self.serviceAccountName = serviceAccountName
        }
    }

    public struct PodStatus: Codable, Sendable, Hashable {
        public var phase: String?
        public var podIP: String?
        public var podIPs: [PodIP]?
        public var hostIP: String?
        public init(phase: String? = nil, podIP: String? = nil, podIPs: [PodIP]? = nil) {
            self.phase = phase
            self.podIP = podIP
            self.podIPs = podIPs
        }
    }

    public struct PodIP: Codable, Sendable, Hashable {
        public var ip: String
        public init(ip: String) { self.ip = ip }
    }
}

/// core/v1 Secret. `data` values are base64, as the API serves them.
public struct Secret: Codable, Sendable, Hashable, LenientDecodable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    /// e.g. `kubernetes.io/tls` or `Opaque`.
    public var type: String?
    public var data: [String: String]?
    public var stringData: [String: String]?

    public static let tlsType = "kubernetes.io/tls"
    public static let certificateKey = "tls.crt"
    public static let privateKeyKey = "tls.key"
    public static let caCertificateKey = "ca.crt"

    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil) {
        self.apiVersion = "v1"
        self.kind = "Secret"
        self.metadata = metadata
        self.type = type
        self.data = data
    }

    /// The decoded bytes of a `data` entry (or the raw bytes of a `stringData` entry);
    /// nil when absent or not valid base64.
    public func value(forKey key: String) -> Data? {
        if let encoded = data?[key] { return Data(base64Encoded: encoded) }
        if let plain = stringData?[key] { return Data(plain.utf8) }
        return nil
    }
}

/// core/v1 Namespace.
public struct Namespace: Codable, Sendable, Hashable, LenientDecodable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: JSONValue?
    public var status: JSONValue?

    public init(metadata: ObjectMeta) {
        self.apiVersion = "v1"
        self.kind = "Namespace"
        self.metadata = metadata
    }
}

/// core/v1 Node: read for its topology labels. (Named apart from `Yams.Node`.)
public struct KubernetesNode: Codable, Sendable, Hashable, LenientDecodable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: JSONValue?
    public var status: JSONValue?

    public static let zoneLabel = "topology.kubernetes.io/zone"
    public static let regionLabel = "topology.kubernetes.io/region"
    public static let legacyZoneLabel = "failure-domain.beta.kubernetes.io/zone"
    public static let legacyRegionLabel = "failure-domain.beta.kubernetes.io/region"
    public static let subzoneLabel = "topology.istio.io/subzone"

    public init(metadata: ObjectMeta) {
        self.apiVersion = "v1"
        self.kind = "Node"
        self.metadata = metadata
    }

    public var zone: String? { metadata.labels?[Self.zoneLabel] ?? metadata.labels?[Self.legacyZoneLabel] }
    public var region: String? { metadata.labels?[Self.regionLabel] ?? metadata.labels?[Self.legacyRegionLabel] }
    public var subzone: String? { metadata.labels?[Self.subzoneLabel] }
}
