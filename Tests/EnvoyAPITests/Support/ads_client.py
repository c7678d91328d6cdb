#!/usr/bin/env python3
"""An xDS client built from Envoy's own generated code (xds-protos + grpcio), for interop tests.

Connects to an ADS server on 127.0.0.1:PORT, sends requests the way Envoy does (node on the first
request, then an ACK carrying version and nonce), and decodes every resource of the response into
Envoy's real message classes. Prints one line per resource; exits 0 when the exchange completed and
every resource decoded, 1 otherwise, 2 if xds-protos/grpcio are missing.

    python3 ads_client.py PORT sotw    # StreamAggregatedResources, LDS then CDS
    python3 ads_client.py PORT delta   # DeltaAggregatedResources, LDS
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import validate_envoy_json
    import grpc
    from envoy.config.cluster.v3 import cluster_pb2
    from envoy.config.core.v3 import base_pb2
    from envoy.config.listener.v3 import listener_pb2
    from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2
    from envoy.service.discovery.v3 import ads_pb2_grpc, discovery_pb2
    from google.protobuf import json_format
except ImportError as error:
    sys.stderr.write(f"ads_client: {error}: pip install xds-protos protobuf grpcio\n")
    sys.exit(2)

LDS = "type.googleapis.com/envoy.config.listener.v3.Listener"
CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
CLASSES = {LDS: listener_pb2.Listener, CDS: cluster_pb2.Cluster}
TIMEOUT_SECONDS = 20


def node():
    return base_pb2.Node(
        id="sidecar~10.0.0.7~reviews-v1-abc.default~default.svc.cluster.local",
        cluster="reviews.default",
        user_agent_name="envoy",
        user_agent_version="1.36.0",
        locality=base_pb2.Locality(region="us-east1", zone="us-east1-b"),
    )


def decode(any_message):
    cls = CLASSES[any_message.type_url]
    message = cls()
    if not any_message.Unpack(message):
        raise ValueError(f"cannot unpack {any_message.type_url}")
    if cls is listener_pb2.Listener:
        for chain in message.filter_chains:
            for network_filter in chain.filters:
                hcm = http_connection_manager_pb2.HttpConnectionManager()
                if network_filter.typed_config.Is(hcm.DESCRIPTOR):
                    network_filter.typed_config.Unpack(hcm)
                    print(f"  hcm stat_prefix={hcm.stat_prefix} rds={hcm.rds.route_config_name}")
    return message


def state_of_the_world(stub):
    def request_stream():
        # As Envoy does: the first request carries the node, later ones on the stream need not.
        yield discovery_pb2.DiscoveryRequest(node=node(), type_url=LDS)
        yield discovery_pb2.DiscoveryRequest(type_url=CDS, resource_names=[])

    seen = {}
    call = stub.StreamAggregatedResources(request_stream(), timeout=TIMEOUT_SECONDS)
    for response in call:
        print(f"response type={response.type_url} version={response.version_info} nonce={response.nonce}")
        for resource in response.resources:
            message = decode(resource)
            print(f"  resource {message.DESCRIPTOR.full_name} name={message.name}")
            print("  json " + json_format.MessageToJson(message, indent=None))
        seen[response.type_url] = response
        if len(seen) == 2:
            break
    call.cancel()
    return LDS in seen and CDS in seen and all(r.resources for r in seen.values())


def delta(stub):
    def request_stream():
        yield discovery_pb2.DeltaDiscoveryRequest(node=node(), type_url=LDS, resource_names_subscribe=["*"])

    call = stub.DeltaAggregatedResources(request_stream(), timeout=TIMEOUT_SECONDS)
    for response in call:
        print(f"delta response type={response.type_url} nonce={response.nonce} removed={list(response.removed_resources)}")
        for resource in response.resources:
            message = decode(resource.resource)
            print(f"  resource {resource.name} version={resource.version} decoded={message.name}")
        call.cancel()
        return bool(response.resources)
    return False


def main(argv):
    port, mode = int(argv[1]), argv[2]
    validate_envoy_json.load_envoy_descriptors()  # so nested typed_configs print as JSON
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT_SECONDS)
        stub = ads_pb2_grpc.AggregatedDiscoveryServiceStub(channel)
        ok = state_of_the_world(stub) if mode == "sotw" else delta(stub)
    print("ads_client: " + ("exchange complete" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
