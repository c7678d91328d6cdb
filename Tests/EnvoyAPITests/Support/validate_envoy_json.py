#!/usr/bin/env python3
"""Validates Envoy configuration JSON against Envoy's real protobuf schema (PyPI's xds-protos).

Each resource is parsed with google.protobuf.json_format.Parse(..., ignore_unknown_fields=False)
into the xds-protos message its "@type" names. Parsing is strict: an unknown or misspelt field,
a wrong JSON type, an unknown enum name or a bad Duration fails. Every nested Any ("typed_config",
"typed_per_filter_config" values, "api_listener", ...) is resolved by its own "@type" from the same
descriptor pool, so typed configs are checked as deeply as the resources around them.

Input (a file path, or "-" for stdin), any of:
  * a single resource object with "@type";
  * a list of such resources;
  * an object {"listeners": [...], "routes": [...], "clusters": [...], "endpoints": [...],
    "secrets": [...]}: a resource without "@type" takes its section's type;
  * a DiscoveryResponse-like object {"resources": [...]} (each with "@type").

Command line:
    python3 validate_envoy_json.py FILE [FILE...]
prints one line per resource and exits 0 if all parse, 1 if any fails, 2 if xds-protos is missing.

Reuse from other tests (the translator's golden tests):
    sys.path.insert(0, "<repo>/Tests/EnvoyAPITests/Support")
    import validate_envoy_json
    problems = validate_envoy_json.validate_document(json.load(f))   # [] when valid
    validate_envoy_json.parse_resource({"@type": "...", ...})         # raises ValidationError
or from Swift: run `python3 <this file> <json file>` and expect exit status 0.
"""
import importlib
import json
import pkgutil
import sys

TYPE_PREFIX = "type.googleapis.com/"

# Section names of the {"listeners": [...], ...} form and the Envoy type each holds.
SECTION_TYPES = {
    "listeners": "envoy.config.listener.v3.Listener",
    "routes": "envoy.config.route.v3.RouteConfiguration",
    "clusters": "envoy.config.cluster.v3.Cluster",
    "endpoints": "envoy.config.endpoint.v3.ClusterLoadAssignment",
    "secrets": "envoy.extensions.transport_sockets.tls.v3.Secret",
}


class ValidationError(Exception):
    """A resource that Envoy's schema rejects; the message says which and why."""


class MissingDependency(Exception):
    """xds-protos or protobuf is not installed."""


_loaded = False


def load_envoy_descriptors():
    """Imports every xds-protos module once so the default pool knows every Envoy type."""
    global _loaded
    if _loaded:
        return
    try:
        import envoy  # xds-protos
        from google.protobuf import json_format  # noqa: F401
    except ImportError as error:
        raise MissingDependency(f"{error}: pip install xds-protos protobuf") from error
    for package in ("envoy", "xds", "udpa", "google.rpc"):
        try:
            root = importlib.import_module(package)
        except ImportError:
            continue
        for module in pkgutil.walk_packages(root.__path__, package + "."):
            if module.name.endswith("_pb2"):
                try:
                    importlib.import_module(module.name)
                except Exception:  # a few modules need optional packages; their types stay unknown
                    pass
    _loaded = True


def message_class(full_name):
    """The xds-protos message class for a full protobuf name, e.g. envoy.config.listener.v3.Listener."""
    load_envoy_descriptors()
    from google.protobuf import descriptor_pool, message_factory

    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    except KeyError as error:
        raise ValidationError(f"unknown message type {full_name!r}") from error
    return message_factory.GetMessageClass(descriptor)


def parse_resource(resource, default_type=None):
    """Parses one resource strictly; returns the xds-protos message or raises ValidationError."""
    load_envoy_descriptors()
    from google.protobuf import descriptor_pool, json_format

    if not isinstance(resource, dict):
        raise ValidationError(f"a resource must be a JSON object, got {type(resource).__name__}")
    body = dict(resource)
    type_url = body.pop("@type", None)
    if type_url is None:
        if default_type is None:
            raise ValidationError('resource has no "@type"')
        full_name = default_type
    else:
        if not type_url.startswith(TYPE_PREFIX):
            raise ValidationError(f"@type {type_url!r} does not start with {TYPE_PREFIX!r}")
        full_name = type_url[len(TYPE_PREFIX):]
    message = message_class(full_name)()
    try:
        json_format.Parse(
            json.dumps(body),
            message,
            ignore_unknown_fields=False,
            descriptor_pool=descriptor_pool.Default(),
        )
    except json_format.ParseError as error:
        raise ValidationError(f"{full_name}: {error}") from error
    return message


def _resources(document):
    """Yields (label, resource, default_type) for every resource in a document of any accepted form."""
    if isinstance(document, list):
        for index, resource in enumerate(document):
            yield f"[{index}]", resource, None
    elif isinstance(document, dict) and "@type" in document:
        yield "resource", document, None
    elif isinstance(document, dict):
        known = set(SECTION_TYPES) | {"resources"}
        unknown = sorted(set(document) - known)
        if unknown:
            raise ValidationError(f"unknown top-level keys {unknown}; expected some of {sorted(known)}")
        for section in sorted(document):
            for index, resource in enumerate(document[section] or []):
                yield f"{section}[{index}]", resource, SECTION_TYPES.get(section)
    else:
        raise ValidationError("expected a resource, a list of resources or an object of sections")


def validate_document(document):
    """Returns a list of problems ("label: reason"), empty when every resource parses."""
    problems = []
    try:
        for label, resource, default_type in _resources(document):
            try:
                parse_resource(resource, default_type)
            except ValidationError as error:
                problems.append(f"{label}: {error}")
    except ValidationError as error:
        problems.append(str(error))
    return problems


def _describe(document):
    try:
        return [(label, resource, default or "") for label, resource, default in _resources(document)]
    except ValidationError:
        return []


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        load_envoy_descriptors()
    except MissingDependency as error:
        sys.stderr.write(f"validate_envoy_json: cannot load Envoy's schema: {error}\n")
        return 2
    failed = False
    for path in argv[1:]:
        with (sys.stdin if path == "-" else open(path, encoding="utf-8")) as handle:
            document = json.load(handle)
        problems = validate_document(document)
        for label, resource, default_type in _describe(document):
            if not isinstance(resource, dict):
                continue
            name = resource.get("name") or resource.get("cluster_name") or resource.get("clusterName") or ""
            print(f"{path}: {label} {resource.get('@type', default_type)} {name}".rstrip())
        for problem in problems:
            print(f"INVALID {path}: {problem}")
        failed = failed or bool(problems)
    print("validate_envoy_json: " + ("FAILED" if failed else "all resources parse with Envoy's schema"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
