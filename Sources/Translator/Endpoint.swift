import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// ClusterLoadAssignments: a cluster's endpoints grouped by locality, a subset's
/// filtered by its labels through each endpoint's pod.
public enum EndpointTranslator {
    public static func assignment(cluster name: String, index: MeshIndex, clientNamespace: String) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
        assignment.clusterName = name
        guard let parts = ClusterName.parse(name), index.services[parts.host] != nil else { return assignment }
        var selector: [String: String] = [:]
        if let subset = parts.subset {
            guard let definition = index.destinationRule(host: parts.host, clientNamespace: clientNamespace)?.spec.subsets?.first(where: { $0.name == subset }) else {
                // A subset no DestinationRule defines: the cluster exists so routes to it fail fast with 503.
                return assignment
            }
            selector = definition.labels ?? [:]
        }
        let endpoints = index.endpoints(host: parts.host, port: parts.port).filter { endpoint in
            selector.allSatisfy { endpoint.labels[$0.key] == $0.value }
        }
        // One group per locality, in locality order; usually there is one, and then no grouping is needed.
        let first = endpoints.first.map(Locality.init)
        let groups: [(Locality, [MeshIndex.EndpointEntry])]
        if endpoints.allSatisfy({ Locality($0) == first }) {
            groups = first.map { [($0, endpoints)] } ?? []
        } else {
            groups = Dictionary(grouping: endpoints, by: Locality.init).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        assignment.endpoints = groups.map { key, members in
            var locality = Envoy_Config_Endpoint_V3_LocalityLbEndpoints()
            locality.locality.region = key.region
            locality.locality.zone = key.zone
            locality.locality.subZone = key.subzone
            locality.lbEndpoints = members.map { endpoint in
                var lbEndpoint = Envoy_Config_Endpoint_V3_LbEndpoint()
                lbEndpoint.endpoint.address.socketAddress.address = endpoint.address
                lbEndpoint.endpoint.address.socketAddress.portValue = UInt32(clamping: endpoint.port)
                lbEndpoint.healthStatus = endpoint.draining ? .draining : .healthy
                return lbEndpoint
            }
            // Locality-weighted balancing needs a weight on every locality; its share of endpoints.
            locality.loadBalancingWeight = Google_Protobuf_UInt32Value(UInt32(clamping: members.count))
            return locality
        }
        return assignment
    }

    /// What a cluster's assignment reads that can change without its cluster changing: the
    /// endpoints of its service port (a subset's labels come from a DestinationRule, which
    /// changes the clusters too).
    static func inputs(cluster name: String, index: MeshIndex) -> [MeshIndex.EndpointEntry] {
        guard let parts = ClusterName.parse(name) else { return [] }
        return index.endpoints(host: parts.host, port: parts.port)
    }

    /// Region, zone and subzone ("" when unknown), ordered as Envoy's localities are listed.
    struct Locality: Hashable, Comparable {
        var region: String
        var zone: String
        var subzone: String

        init(_ endpoint: MeshIndex.EndpointEntry) {
            region = endpoint.region ?? ""
            zone = endpoint.zone ?? ""
            subzone = endpoint.subzone ?? ""
        }

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.region, lhs.zone, lhs.subzone) < (rhs.region, rhs.zone, rhs.subzone)
        }
    }
}
