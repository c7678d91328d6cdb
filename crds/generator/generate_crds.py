#!/usr/bin/env python3
"""Writes the networking.istio.io CustomResourceDefinitions in crds/.

The three kinds share many message types (Destination, StringMatch, TrafficPolicy, ...)
and every CRD serves three versions with the same schema, so the schemas are built once
from small helpers here and dumped as YAML. Edit this file, then run

    python3 crds/generator/generate_crds.py

and commit the regenerated YAML next to it. Needs PyYAML (Debian: python3-yaml) only to
regenerate; nothing at build or test time runs this script.

Design notes (why the schemas look the way they do):
- Field set: Istio's current v1 API (istio/api networking/v1alpha3 *.proto, which v1 and
  v1beta1 share), including deprecated fields that still decode (`mirrorPercent`,
  `mirror_percent`, `allowOrigin`, `consecutiveErrors`, `warmupDurationSecs`, ...), so that
  every object istiod accepts is accepted here.
- Durations are strings checked by `pattern` (Go duration syntax, what Istio's decoder and
  CEL's duration() accept) instead of CEL: a pattern costs nothing in the API server's CEL
  budget and is enforced by our own Swift validator too.
- Protobuf oneofs become structural `oneOf`/`not` on `required`, not CEL, for the same reasons.
- CEL (`x-kubernetes-validations`) is used only where a rule spans several fields and sits
  on a node with bounded cardinality (the spec itself, or items of a list with maxItems), so
  the API server's estimated CEL cost stays far below its limits.
- Wrapper types (google.protobuf.BoolValue, UInt32Value, DoubleValue) are `nullable`.
- `x-kubernetes-preserve-unknown-fields` appears only on `status`.
"""

from __future__ import annotations

import copy
import os
import sys

import yaml

GROUP = "networking.istio.io"
VERSIONS = ["v1", "v1beta1", "v1alpha3"]  # v1 is the storage version.
STORAGE_VERSION = "v1"
CATEGORIES = ["istio-io", "networking-istio-io"]

# Go's time.ParseDuration syntax without a sign: "10s", "1.5s", "1h30m", "250ms", "0".
DURATION_PATTERN = r"^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$"

UINT32_MAX = 4294967295


# ---------------------------------------------------------------------------------------
# Scalar helpers
# ---------------------------------------------------------------------------------------

def with_description(schema: dict, description: str | None) -> dict:
    if description:
        return {"description": description, **schema}
    return schema


def string(description: str | None = None, **extra) -> dict:
    return with_description({"type": "string", **extra}, description)


def non_empty_string(description: str | None = None) -> dict:
    return string(description, minLength=1)


def boolean(description: str | None = None, nullable: bool = False) -> dict:
    schema = {"type": "boolean"}
    if nullable:
        schema["nullable"] = True
    return with_description(schema, description)


def int32(description: str | None = None, minimum: int | None = None, maximum: int | None = None) -> dict:
    schema: dict = {"type": "integer", "format": "int32"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return with_description(schema, description)


def uint32(description: str | None = None, nullable: bool = False, minimum: int = 0, maximum: int = UINT32_MAX) -> dict:
    schema: dict = {"type": "integer", "minimum": minimum, "maximum": maximum}
    if nullable:
        schema["nullable"] = True
    return with_description(schema, description)


def uint64(description: str | None = None) -> dict:
    return with_description({"type": "integer", "minimum": 0}, description)


def port_number(description: str | None = None) -> dict:
    return uint32(description or "A port number, 1-65535.", minimum=1, maximum=65535)


def double(description: str | None = None, nullable: bool = False, minimum: float | None = None,
           maximum: float | None = None) -> dict:
    schema: dict = {"type": "number", "format": "double"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    if nullable:
        schema["nullable"] = True
    return with_description(schema, description)


def duration(description: str | None = None) -> dict:
    return string(description, pattern=DURATION_PATTERN)


def enum(values: list[str], description: str | None = None) -> dict:
    return with_description({"type": "string", "enum": list(values)}, description)


def string_list(description: str | None = None, item: dict | None = None, **extra) -> dict:
    return with_description({"type": "array", "items": item or {"type": "string"}, **extra}, description)


def array(items: dict, description: str | None = None, **extra) -> dict:
    return with_description({"type": "array", "items": items, **extra}, description)


def string_map(description: str | None = None, value: dict | None = None) -> dict:
    return with_description({"type": "object", "additionalProperties": value or {"type": "string"}}, description)


def obj(properties: dict, description: str | None = None, required: list[str] | None = None, **extra) -> dict:
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    schema.update(extra)
    return with_description(schema, description)


def at_most_one_of(*fields: str) -> dict:
    """A protobuf oneof: no two of `fields` may be present together."""
    pairs = [{"required": [a, b]} for i, a in enumerate(fields) for b in fields[i + 1:]]
    return {"not": {"anyOf": pairs}} if len(pairs) > 1 else {"not": pairs[0]}


def at_least_one_of(*fields: str) -> dict:
    """At least one of `fields` must be present."""
    return {"anyOf": [{"required": [field]} for field in fields]}


def int_or_string(description: str | None = None) -> dict:
    return with_description(
        {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}, description)


def cel(rule: str, message: str) -> dict:
    return {"rule": rule, "message": message}


# ---------------------------------------------------------------------------------------
# Shared message types
# ---------------------------------------------------------------------------------------

# Istio refuses empty prefixes (but for the URI) and empty or over-long regular expressions.
MAX_REGEX_LENGTH = 1024

# A DNS-1123 label: subset names and namespaces.
DNS_LABEL = {"pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}


def string_match(description: str | None = None, empty_prefix: bool = False, non_empty_exact: bool = False) -> dict:
    exact = string("Exact string match.", **({"minLength": 1} if non_empty_exact else {}))
    prefix = string("Prefix-based match.", **({} if empty_prefix else {"minLength": 1}))
    return obj({
        "exact": exact,
        "prefix": prefix,
        "regex": string("RE2-style regular expression match.", minLength=1, maxLength=MAX_REGEX_LENGTH),
    }, description, **at_most_one_of("exact", "prefix", "regex"))


def port_selector(description: str = "The port on the host being addressed.") -> dict:
    return obj({"number": port_number("A valid port number, 1-65535.")}, description)


def destination(description: str | None = None) -> dict:
    return obj({
        "host": non_empty_string("The name of a service from the service registry (short name or FQDN)."),
        "subset": string("The name of a subset defined in a DestinationRule for the host.", **DNS_LABEL),
        "port": port_selector(),
    }, description, required=["host"])


def percent(description: str | None = None) -> dict:
    return obj({"value": double("A percentage, 0.0-100.0.", minimum=0, maximum=100)}, description)


def header_operations() -> dict:
    return obj({
        "set": string_map("Overwrite the headers given by key with the given values."),
        "add": string_map("Append the given values to the headers given by key."),
        "remove": string_list("Remove the named headers."),
    })


def headers(description: str | None = "Header manipulation rules.") -> dict:
    return obj({"request": header_operations(), "response": header_operations()}, description)


def weight() -> dict:
    # Istio's weights are relative (a destination gets weight/sum of weights); istiod refuses only
    # negative ones, so no upper bound beyond int32 here.
    return int32("The relative proportion of traffic sent to this destination; not negative.", minimum=0,
                 maximum=2147483647)


def route_destination() -> dict:
    return obj({"destination": destination("Where the connection is forwarded."), "weight": weight()},
               required=["destination"])


def label_selector_map(description: str) -> dict:
    return string_map(description)


# ---------------------------------------------------------------------------------------
# VirtualService
# ---------------------------------------------------------------------------------------

def http_match_request() -> dict:
    return obj({
        "name": string("The name assigned to a match; appended to the route's name."),
        "uri": string_match("URI match.", empty_prefix=True),
        "scheme": string_match("URI scheme match."),
        "method": string_match("HTTP method match."),
        "authority": string_match("HTTP authority (host) match."),
        "headers": string_map("Header matches; keys are lower-case header names.", string_match()),
        "port": port_number("The port on the host being addressed."),
        "sourceLabels": label_selector_map("Labels the client workload must carry."),
        "gateways": string_list("Gateways this match applies to; overrides the VirtualService's gateways."),
        "queryParams": string_map("Query parameter matches.", string_match()),
        "ignoreUriCase": boolean("Match the URI case-insensitively."),
        "withoutHeaders": string_map("Headers that must not match.", string_match()),
        "sourceNamespace": string("Namespace the client workload must run in.", **DNS_LABEL),
        "statPrefix": string("Prefix for statistics emitted for this route."),
    })


def http_redirect() -> dict:
    return obj({
        "uri": string("Replaces the path of the URL."),
        "authority": string("Replaces the authority/host of the URL."),
        "port": port_number("Replaces the port of the URL."),
        "derivePort": enum(["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"], "Derive the port of the URL."),
        "scheme": enum(["http", "https"], "Replaces the scheme of the URL."),
        "redirectCode": {**uint32("HTTP status code of the redirect (3xx); 0 or absent means 301."),
                         "anyOf": [{"maximum": 0}, {"minimum": 300, "maximum": 399}]},
    }, "Send an HTTP redirect instead of forwarding.", **at_most_one_of("port", "derivePort"),
        **at_least_one_of("uri", "authority", "scheme", "port", "derivePort"))


def http_direct_response() -> dict:
    return obj({
        "status": uint32("HTTP status of the response (istiod accepts 200-600).", minimum=200, maximum=600),
        "body": obj({
            "string": string("Response body as text."),
            "bytes": string("Response body as base64-encoded bytes.", format="byte"),
        }, "Response body.", **at_most_one_of("string", "bytes")),
    }, "Answer directly with a fixed response.", required=["status"])


def http_rewrite() -> dict:
    return obj({
        "uri": string("Replaces the path (or the matched prefix)."),
        "authority": string("Replaces the authority/host header."),
        "uriRegexRewrite": obj({
            "match": string("RE2-style regular expression.", minLength=1, maxLength=MAX_REGEX_LENGTH),
            "rewrite": non_empty_string("Replacement for the matched portions."),
        }, "Regex-based rewrite of the path.", required=["match", "rewrite"]),
    }, "Rewrites applied before forwarding.", **at_most_one_of("uri", "uriRegexRewrite"),
        **at_least_one_of("uri", "uriRegexRewrite", "authority"))


def http_retry() -> dict:
    return obj({
        "attempts": int32("Number of retries for a request; 0 disables retries.", minimum=0),
        "perTryTimeout": duration("Timeout per attempt."),
        "retryOn": string("Comma-separated retry conditions (Envoy x-envoy-retry-on values and status codes)."),
        "retryRemoteLocalities": boolean("Retry to endpoints in other localities.", nullable=True),
        "retryIgnorePreviousHosts": boolean("Skip hosts already tried.", nullable=True),
        "backoff": duration("Minimum interval between retry attempts."),
    }, "Retry policy.")


def cors_policy() -> dict:
    return obj({
        "allowOrigin": string_list("Deprecated: use allowOrigins."),
        "allowOrigins": array(string_match(non_empty_exact=True), "Origins allowed, as string matches."),
        "allowMethods": string_list("Methods allowed."),
        "allowHeaders": string_list("Request headers allowed."),
        "exposeHeaders": string_list("Response headers browsers may read."),
        "maxAge": duration("How long preflight results may be cached."),
        "allowCredentials": boolean("Allow credentials on the actual request.", nullable=True),
        "unmatchedPreflights": enum(["UNSPECIFIED", "FORWARD", "IGNORE"],
                                    "What to do with preflights whose origin does not match."),
    }, "Cross-origin resource sharing policy.")


def http_fault_injection() -> dict:
    return obj({
        "delay": obj({
            "fixedDelay": duration("Fixed delay before forwarding."),
            "exponentialDelay": duration("Not implemented by Istio; kept for compatibility."),
            "percentage": percent("Share of requests delayed."),
            "percent": int32("Deprecated: use percentage.", minimum=0, maximum=100),
        }, "Delay requests.", **at_most_one_of("fixedDelay", "exponentialDelay")),
        "abort": obj({
            "httpStatus": int32("HTTP status code to answer with (istiod accepts 200-600).", minimum=200, maximum=600),
            "grpcStatus": string("gRPC status to answer with (e.g. UNAVAILABLE)."),
            "http2Error": string("Not implemented by Istio; kept for compatibility."),
            "percentage": percent("Share of requests aborted."),
        }, "Abort requests.", **at_most_one_of("httpStatus", "grpcStatus", "http2Error")),
    }, "Fault injection on the client side.", **at_least_one_of("delay", "abort"))


def http_mirror_policy() -> dict:
    return obj({
        "destination": destination("Where mirrored traffic goes."),
        "percentage": percent("Share of traffic mirrored."),
    }, required=["destination"])


def http_route() -> dict:
    schema = obj({
        "name": string("Route name, used in logs and statistics."),
        "match": array(http_match_request(), "Conditions (ORed) for the rule to apply."),
        "route": array(obj({
            "destination": destination("Where the request is forwarded."),
            "weight": weight(),
            "headers": headers(),
        }, required=["destination"]), "Weighted destinations to forward to."),
        "redirect": http_redirect(),
        "directResponse": http_direct_response(),
        "delegate": obj({
            "name": string("Name of the delegate VirtualService."),
            "namespace": string("Namespace of the delegate VirtualService; defaults to this one."),
        }, "Delegate the routing to another VirtualService."),
        "rewrite": http_rewrite(),
        "timeout": duration("Timeout for the request; disabled by default."),
        "retries": http_retry(),
        "fault": http_fault_injection(),
        "mirror": destination("Mirror traffic to this destination as well."),
        "mirrors": array(http_mirror_policy(), "Mirror traffic to these destinations as well."),
        "mirrorPercentage": percent("Share of traffic mirrored to `mirror`."),
        "mirrorPercent": uint32("Deprecated: use mirrorPercentage.", nullable=True, maximum=100),
        "mirror_percent": uint32("Deprecated: use mirrorPercentage.", nullable=True, maximum=100),
        "corsPolicy": cors_policy(),
        "headers": headers(),
    })
    # istiod's conflict rules: a rule routes, redirects, answers directly or delegates; a delegating
    # rule neither routes nor redirects; redirects and direct responses take no fault or rewrite;
    # `mirror` and `mirrors` exclude each other.
    conflicts = [("delegate", "route"), ("delegate", "redirect"), ("redirect", "route"),
                 ("redirect", "directResponse"), ("directResponse", "route"), ("redirect", "fault"),
                 ("redirect", "rewrite"), ("directResponse", "fault"), ("directResponse", "rewrite"),
                 ("mirror", "mirrors")]
    schema["not"] = {"anyOf": [{"required": list(pair)} for pair in conflicts]}
    schema.update(at_least_one_of("route", "redirect", "directResponse", "delegate"))
    return schema


def tls_match_attributes() -> dict:
    return obj({
        "sniHosts": string_list("SNI names to match; wildcards allowed.", item=non_empty_string(), minItems=1),
        "destinationSubnets": string_list("Destination IPs or CIDRs."),
        "port": port_number("The port on the host being addressed."),
        "sourceLabels": label_selector_map("Labels the client workload must carry."),
        "gateways": string_list("Gateways this match applies to."),
        "sourceNamespace": string("Namespace the client workload must run in.", **DNS_LABEL),
    }, required=["sniHosts"])


def l4_match_attributes() -> dict:
    return obj({
        "destinationSubnets": string_list("Destination IPs or CIDRs."),
        "port": port_number("The port on the host being addressed."),
        "sourceLabels": label_selector_map("Labels the client workload must carry."),
        "gateways": string_list("Gateways this match applies to."),
        "sourceNamespace": string("Namespace the client workload must run in.", **DNS_LABEL),
        "sourceSubnet": string("Deprecated; not supported by Istio."),
    })


def virtual_service_spec() -> dict:
    hosts_present = "(has(self.hosts) && size(self.hosts) > 0)"
    return obj({
        "hosts": string_list("Destination hosts the rules apply to. Empty only for a delegate VirtualService.",
                             item=non_empty_string()),
        "gateways": string_list("Gateways (namespace/name, or `mesh` for sidecars) that apply these rules.",
                                item=non_empty_string()),
        "http": array(http_route(), "Ordered HTTP route rules."),
        "tls": array(obj({
            "match": array(tls_match_attributes(), "Conditions (ORed) for the rule to apply.", minItems=1),
            "route": array(route_destination(), "Where the connection is forwarded.", minItems=1),
        }, required=["match", "route"]), "Ordered rules for unterminated TLS and HTTPS traffic."),
        "tcp": array(obj({
            "match": array(l4_match_attributes(), "Conditions (ORed) for the rule to apply."),
            "route": array(route_destination(), "Where the connection is forwarded.", minItems=1),
        }, required=["route"]), "Ordered rules for opaque TCP traffic."),
        "exportTo": string_list("Namespaces this VirtualService is visible to (`.` or `*` or names)."),
    }, "Routing rules for a set of hosts. See https://istio.io/docs/reference/config/networking/virtual-service/",
        **{"x-kubernetes-validations": [
            cel("has(self.http) || has(self.tcp) || has(self.tls)",
                "http, tcp or tls must be provided in a virtual service"),
            cel(f"{hosts_present} || !has(self.gateways) || size(self.gateways) == 0",
                "a virtual service without hosts is a delegate and must not set gateways"),
            cel(f"{hosts_present} || !has(self.tcp) || size(self.tcp) == 0",
                "a virtual service without hosts is a delegate and must not set tcp routes"),
            cel(f"{hosts_present} || !has(self.tls) || size(self.tls) == 0",
                "a virtual service without hosts is a delegate and must not set tls routes"),
        ]})


# ---------------------------------------------------------------------------------------
# DestinationRule
# ---------------------------------------------------------------------------------------

def connection_pool() -> dict:
    return obj({
        "tcp": obj({
            "maxConnections": int32("Maximum HTTP/1.1 or TCP connections to a destination host.", minimum=0),
            "connectTimeout": duration("TCP connect timeout."),
            "tcpKeepalive": obj({
                "probes": uint32("Probes sent without answer before the connection is dropped."),
                "time": duration("Idle time before probes start."),
                "interval": duration("Interval between probes."),
            }, "TCP keepalive settings."),
            "maxConnectionDuration": duration("Maximum lifetime of a connection."),
            "idleTimeout": duration("Idle timeout for TCP connections."),
        }, "Settings common to TCP and HTTP upstream connections."),
        "http": obj({
            "http1MaxPendingRequests": int32("Maximum requests queued for a connection.", minimum=0),
            "http2MaxRequests": int32("Maximum active requests to a destination.", minimum=0),
            "maxRequestsPerConnection": int32("Maximum requests per connection; 0 is unlimited.", minimum=0),
            "maxRetries": int32("Maximum outstanding retries to a cluster.", minimum=0),
            "idleTimeout": duration("Idle timeout for upstream connections."),
            "h2UpgradePolicy": enum(["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"], "Upgrade HTTP/1.1 to HTTP/2."),
            "useClientProtocol": boolean("Use the client's protocol upstream."),
            "maxConcurrentStreams": int32("Maximum concurrent streams per HTTP/2 connection.", minimum=0),
        }, "HTTP connection pool settings.", **{"not": {
            # istiod: useClientProtocol must not be true when h2UpgradePolicy is UPGRADE.
            "properties": {"h2UpgradePolicy": {"enum": ["UPGRADE"]}, "useClientProtocol": {"enum": [True]}},
            "required": ["h2UpgradePolicy", "useClientProtocol"]}}),
    }, "Connection pool limits (circuit breaking).", **at_least_one_of("tcp", "http"))


def load_balancer() -> dict:
    consistent_hash = obj({
        "httpHeaderName": string("Hash on this request header."),
        "httpCookie": obj({
            "name": non_empty_string("Cookie name."),
            "path": string("Cookie path."),
            "ttl": duration("Cookie lifetime; a cookie is generated when absent."),
            "attributes": array(obj({
                "name": non_empty_string("Attribute name."),
                "value": string("Attribute value."),
            }, required=["name"]), "Extra cookie attributes."),
        }, "Hash on this cookie.", required=["name"]),
        "useSourceIp": boolean("Hash on the client IP."),
        "httpQueryParameterName": string("Hash on this query parameter."),
        "ringHash": obj({"minimumRingSize": uint64("Minimum virtual nodes on the ring.")}, "Ring hash."),
        "maglev": obj({"tableSize": {**uint64("Maglev table size, a prime below 5000011."), "minimum": 1,
                                     "maximum": 5000010}}, "Maglev.", required=["tableSize"]),
        "minimumRingSize": uint64("Deprecated: use ringHash.minimumRingSize."),
    }, "Consistent-hash load balancing.")
    hash_keys = at_most_one_of("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName")
    algorithms = at_most_one_of("ringHash", "maglev")
    # The deprecated top-level minimumRingSize excludes both algorithms.
    legacy_ring = {"not": {"anyOf": [{"required": ["minimumRingSize", "ringHash"]},
                                     {"required": ["minimumRingSize", "maglev"]}]}}
    consistent_hash["allOf"] = [hash_keys, algorithms, legacy_ring]

    locality = obj({
        "distribute": array(obj({
            "from": string("Originating locality, region/zone/subzone; may end in *."),
            "to": string_map("Upstream localities and their traffic weights.", uint32()),
        }), "Explicit traffic distribution across localities."),
        "failover": array(obj({
            "from": string("Originating region."),
            "to": string("Region to fail over to."),
        }), "Region failover rules."),
        "failoverPriority": string_list("Ordered labels to prioritise endpoints by."),
        "enabled": boolean("Enable locality load balancing.", nullable=True),
    }, "Locality-weighted load balancing.", **{"not": {"required": ["distribute", "failover"]}})

    schema = obj({
        "simple": enum(["UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"],
                       "A standard load balancing algorithm."),
        "consistentHash": consistent_hash,
        "localityLbSetting": locality,
        "warmupDurationSecs": duration("Deprecated: use warmup."),
        "warmup": obj({
            "duration": duration("Warmup window for new endpoints."),
            "minimumPercent": double("Minimum traffic share during warmup.", nullable=True, minimum=0, maximum=100),
            "aggression": double("How fast traffic ramps up; at least 1.", nullable=True, minimum=1),
        }, "Slow start for new endpoints.", required=["duration"]),
    }, "Load balancing policy.")
    schema.update(at_most_one_of("simple", "consistentHash"))
    return schema


def outlier_detection() -> dict:
    return obj({
        "splitExternalLocalOriginErrors": boolean("Count local-origin failures apart from upstream errors."),
        "consecutiveLocalOriginFailures": uint32("Local-origin failures before ejection.", nullable=True),
        "consecutiveGatewayErrors": uint32("502/503/504 errors before ejection.", nullable=True),
        "consecutive5xxErrors": uint32("5xx errors before ejection.", nullable=True),
        "consecutiveErrors": int32("Deprecated: use consecutive5xxErrors."),
        "interval": duration("Interval between ejection sweeps."),
        "baseEjectionTime": duration("Minimum ejection duration."),
        "maxEjectionPercent": int32("Maximum share of hosts ejected.", minimum=0, maximum=100),
        "minHealthPercent": int32("Outlier detection is disabled below this healthy share.", minimum=0, maximum=100),
    }, "Outlier detection (passive health checking).")


def client_tls_settings() -> dict:
    return obj({
        "mode": enum(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"], "TLS mode towards the upstream."),
        "clientCertificate": string("Client certificate file; required for MUTUAL without credentialName."),
        "privateKey": string("Private key file; required for MUTUAL without credentialName."),
        "caCertificates": string("CA bundle file used to verify the server."),
        "credentialName": string("Secret holding the client certificate, key and CA."),
        "subjectAltNames": string_list("Accepted subject alternative names of the server."),
        "sni": string("SNI to present."),
        "insecureSkipVerify": boolean("Skip verification of the server certificate.", nullable=True),
        "caCrl": string("Certificate revocation list file."),
    }, "TLS settings for upstream connections.")


def port_traffic_policy() -> dict:
    return obj({
        "port": port_selector("The port this policy applies to."),
        "loadBalancer": load_balancer(),
        "connectionPool": connection_pool(),
        "outlierDetection": outlier_detection(),
        "tls": client_tls_settings(),
    }, required=["port"], **at_least_one_of("loadBalancer", "connectionPool", "outlierDetection", "tls"))


def traffic_policy(description: str) -> dict:
    return obj({
        "loadBalancer": load_balancer(),
        "connectionPool": connection_pool(),
        "outlierDetection": outlier_detection(),
        "tls": client_tls_settings(),
        "portLevelSettings": array(port_traffic_policy(), "Policies for individual ports.", maxItems=4096),
        "tunnel": obj({
            "protocol": enum(["CONNECT", "POST"], "Tunnel protocol; CONNECT by default."),
            "targetHost": non_empty_string("Host the connection is tunneled to."),
            "targetPort": port_number("Port the connection is tunneled to."),
        }, "Tunnel TCP over HTTP.", required=["targetHost", "targetPort"]),
        "proxyProtocol": obj({"version": enum(["V1", "V2"], "PROXY protocol version.")},
                             "Send the PROXY protocol header upstream."),
        "retryBudget": obj({
            "percent": double("Concurrent retries as a share of active requests.", nullable=True, minimum=0,
                              maximum=100),
            "minRetryConcurrency": uint32("Retries always allowed concurrently."),
        }, "Limit on concurrent retries."),
    }, description, **at_least_one_of("loadBalancer", "connectionPool", "outlierDetection", "tls",
                                      "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget"),
        **{"not": {"required": ["tunnel", "proxyProtocol"]}})


def destination_rule_spec() -> dict:
    subset = obj({
        "name": string("Subset name (a DNS label), referenced by VirtualService destinations.", minLength=1,
                       **DNS_LABEL),
        "labels": label_selector_map("Labels selecting the endpoints of the subset."),
        "trafficPolicy": traffic_policy("Traffic policy for this subset; overrides the rule's policy."),
    }, required=["name"])
    return obj({
        "host": non_empty_string("The service the rule applies to (short name, FQDN or wildcard)."),
        "trafficPolicy": traffic_policy("Traffic policy for the host."),
        "subsets": array(subset, "Named groups of endpoints (versions) of the host.",
                         **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        "exportTo": string_list("Namespaces this DestinationRule is visible to (`.` or `*` or names)."),
        "workloadSelector": obj({
            "matchLabels": string_map("Labels of the workloads this rule applies to."),
        }, "Restrict the rule to these workloads (sidecars) in its namespace."),
    }, "Policies applied to traffic for a service after routing. See "
       "https://istio.io/docs/reference/config/networking/destination-rule/",
        required=["host"],
        **{"x-kubernetes-validations": [
            cel("has(self.host) && size(self.host) > 0", "host is required"),
        ]})


# ---------------------------------------------------------------------------------------
# Gateway
# ---------------------------------------------------------------------------------------

def server_tls_settings() -> dict:
    tls_versions = ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"]
    return obj({
        "httpsRedirect": boolean("Answer plain HTTP with a 301 to HTTPS."),
        "mode": enum(["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"],
                     "How TLS is handled on this port."),
        "serverCertificate": string("Server certificate file (when not using credentialName)."),
        "privateKey": string("Private key file (when not using credentialName)."),
        "caCertificates": string("CA bundle file used to verify clients."),
        "caCrl": string("Certificate revocation list file."),
        "credentialName": string("Secret, in the gateway's namespace, holding the certificate and key."),
        "credentialNames": string_list("Up to two secrets (e.g. RSA and ECDSA certificates).", minItems=1,
                                       maxItems=2),
        "tlsCertificates": array(obj({
            "serverCertificate": string("Server certificate file."),
            "privateKey": string("Private key file."),
            "caCertificates": string("CA bundle file."),
        }), "Up to two certificate files pairs.", minItems=1, maxItems=2),
        "caCertCredentialName": string("Secret or ConfigMap holding the CA certificates for mutual TLS."),
        "subjectAltNames": string_list("Accepted subject alternative names of clients."),
        "verifyCertificateSpki": string_list("Accepted base64 SHA-256 SPKI hashes of client certificates."),
        "verifyCertificateHash": string_list("Accepted hex SHA-256 hashes of client certificates."),
        "minProtocolVersion": enum(tls_versions, "Minimum TLS version."),
        "maxProtocolVersion": enum(tls_versions, "Maximum TLS version."),
        "cipherSuites": string_list("Allowed cipher suites."),
    }, "TLS settings of the server.", **{"x-kubernetes-validations": [
        # istiod's validateTLSOptions, rule by rule.
        cel("(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0)"
            " + (has(self.tlsCertificates) ? 1 : 0)"
            " + (has(self.serverCertificate) && has(self.privateKey) ? 1 : 0) <= 1",
            "only one of credentialName, credentialNames, serverCertificate/privateKey or tlsCertificates can be set"),
        cel("!has(self.mode) || !(self.mode in ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL']) || has(self.credentialName)"
            " || has(self.credentialNames)"
            " || (has(self.tlsCertificates) && self.tlsCertificates.all(c, has(c.serverCertificate) && has(c.privateKey)))"
            " || (has(self.serverCertificate) && has(self.privateKey))",
            "SIMPLE and MUTUAL TLS need credentialName(s), tlsCertificates or serverCertificate and privateKey"),
        cel("!has(self.mode) || !(self.mode in ['MUTUAL', 'OPTIONAL_MUTUAL']) || has(self.credentialName)"
            " || has(self.credentialNames) || has(self.caCertificates)",
            "MUTUAL TLS without credentialName(s) needs caCertificates"),
        cel("!has(self.mode) || self.mode != 'ISTIO_MUTUAL' || !(has(self.serverCertificate) || has(self.privateKey)"
            " || has(self.caCertificates) || has(self.tlsCertificates) || has(self.credentialName)"
            " || has(self.credentialNames))",
            "ISTIO_MUTUAL TLS cannot have certificates, keys or credentials"),
        cel("!has(self.caCrl) || (!has(self.credentialName) && (!has(self.mode) || self.mode != 'SIMPLE'))",
            "caCrl is not supported with credentialName or SIMPLE TLS"),
    ]})


def gateway_spec() -> dict:
    server = obj({
        "port": obj({
            "number": uint32("Port the proxy listens on, 1-65535 (0 with a unix:// bind).", maximum=65535),
            "protocol": non_empty_string("HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, TCP or TLS."),
            "name": non_empty_string("Port label, unique in the gateway."),
            "targetPort": port_number("Deprecated: the port on the workload."),
        }, "The port the proxy listens on.", required=["number", "protocol", "name"]),
        "bind": string("IP or unix socket the listener binds to."),
        "hosts": string_list("Hosts exposed by this server, `[namespace/]host`; wildcards allowed.",
                             item=non_empty_string(), minItems=1),
        "tls": server_tls_settings(),
        "defaultEndpoint": string("Loopback endpoint for sidecar ingress; not used by gateways."),
        "name": string("Server name, unique in the gateway."),
    }, required=["port", "hosts"], **{"x-kubernetes-validations": [
        # istiod's validateServerPort/validateServerBind/validateServer.
        cel("self.port.number > 0 || (has(self.bind) && self.bind.startsWith('unix://'))",
            "port number must be between 1 and 65535"),
        cel("!has(self.bind) || !self.bind.startsWith('unix://') || self.port.number == 0",
            "port number must be 0 for a unix domain socket"),
        cel("!(self.port.protocol in ['HTTPS', 'TLS', 'https', 'tls']) || has(self.tls)",
            "server must have TLS settings for HTTPS/TLS protocols"),
    ]})
    return obj({
        "servers": array(server, "Servers (listeners) of the gateway.", minItems=1, maxItems=1024),
        "selector": label_selector_map("Labels of the gateway workloads (pods) this configuration applies to."),
    }, "A load balancer at the edge of the mesh. See https://istio.io/docs/reference/config/networking/gateway/",
        required=["servers"],
        **{"x-kubernetes-validations": [
            cel("has(self.servers) && size(self.servers) > 0", "gateway must have at least one server"),
            cel("!has(self.servers) || self.servers.all(s, has(s.hosts) && size(s.hosts) > 0)",
                "each server must have at least one host"),
        ]})


# ---------------------------------------------------------------------------------------
# Status and the CRD envelope
# ---------------------------------------------------------------------------------------

def status_schema() -> dict:
    condition = obj({
        "type": string("Condition type, e.g. Accepted, Programmed, Reconciled."),
        "status": string("True, False or Unknown."),
        "reason": string("One-word CamelCase reason for the last transition."),
        "message": string("Human-readable details."),
        "lastTransitionTime": string("When the status last changed.", format="date-time"),
        "lastProbeTime": string("When the condition was last checked.", format="date-time"),
        "observedGeneration": int_or_string("The metadata.generation the condition was computed for."),
    })
    message = obj({
        "type": obj({
            "code": string("Message code, IST followed by four digits."),
            "name": string("Human-readable message type."),
        }),
        "level": enum(["UNKNOWN", "ERROR", "WARNING", "INFO"], "Severity."),
        "message": string("What was found, with the field path it concerns."),
        "documentationUrl": string("Documentation for this message type."),
    })
    schema = obj({
        "conditions": array(condition, "Current state of the resource."),
        "validationMessages": array(message, "Problems found by analysis."),
        "observedGeneration": int_or_string("The metadata.generation last processed by the controller."),
    }, "Written by the controller through the status subresource.")
    schema["x-kubernetes-preserve-unknown-fields"] = True
    return schema


def condition_column(name: str) -> dict:
    return {
        "name": name,
        "type": "string",
        "description": f"Status of the {name} condition",
        "jsonPath": f'.status.conditions[?(@.type=="{name}")].status',
    }


AGE_COLUMN = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def crd(kind: str, plural: str, short_name: str, spec_schema: dict, columns: list[dict]) -> dict:
    root = obj({
        "apiVersion": string("Versioned schema of this representation of an object."),
        "kind": string("The REST resource this object represents."),
        "metadata": {"type": "object"},
        "spec": spec_schema,
        "status": status_schema(),
    }, required=["spec"])
    versions = []
    for version in VERSIONS:
        versions.append({
            "name": version,
            "served": True,
            "storage": version == STORAGE_VERSION,
            "subresources": {"status": {}},
            "additionalPrinterColumns": copy.deepcopy(columns),
            "schema": {"openAPIV3Schema": copy.deepcopy(root)},
        })
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{GROUP}",
            "labels": {"app.kubernetes.io/part-of": "coxswain"},
        },
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": [short_name],
                "categories": list(CATEGORIES),
            },
            "versions": versions,
        },
    }


def definitions() -> list[tuple[str, dict]]:
    accepted, programmed = condition_column("Accepted"), condition_column("Programmed")
    return [
        ("virtualservices", crd("VirtualService", "virtualservices", "vs", virtual_service_spec(), [
            {"name": "Gateways", "type": "string", "description": "Gateways that apply these routes",
             "jsonPath": ".spec.gateways"},
            {"name": "Hosts", "type": "string", "description": "Destination hosts of the routes",
             "jsonPath": ".spec.hosts"},
            accepted, programmed, AGE_COLUMN,
        ])),
        ("destinationrules", crd("DestinationRule", "destinationrules", "dr", destination_rule_spec(), [
            {"name": "Host", "type": "string", "description": "The service the rule applies to",
             "jsonPath": ".spec.host"},
            accepted, programmed, AGE_COLUMN,
        ])),
        ("gateways", crd("Gateway", "gateways", "gw", gateway_spec(), [accepted, programmed, AGE_COLUMN])),
    ]


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases for shared subtrees."""

    def ignore_aliases(self, data):  # noqa: D401 - PyYAML hook
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)

HEADER = ("# Generated by crds/generator/generate_crds.py from Istio's networking API (v1; v1beta1 and\n"
          "# v1alpha3 are served with the same schema). Edit the generator, not this file.\n")


def main() -> int:
    out_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = []
    for plural, document in definitions():
        name = f"{GROUP}_{plural}.yaml"
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as handle:
            handle.write(HEADER)
            handle.write("---\n")
            yaml.dump(document, handle, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)
        files.append(name)
    # Named `Kustomization` (no extension) so that `kubectl apply -f crds/` skips it.
    with open(os.path.join(out_dir, "Kustomization"), "w", encoding="utf-8") as handle:
        handle.write("# The CustomResourceDefinitions Coxswain serves, as Istio names them. Named without an extension\n")
        handle.write("# so that `kubectl apply -f crds/` installs just the CRDs; `kubectl apply -k crds` works too.\n")
        handle.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
        for name in files:
            handle.write(f"- {name}\n")
    print("\n".join(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
