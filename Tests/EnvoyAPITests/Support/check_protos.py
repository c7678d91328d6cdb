#!/usr/bin/env python3
"""Checks Coxswain's hand-written Envoy protos against Envoy's real API.

Our .proto files (Sources/EnvoyAPI/protos) are a subset of Envoy's v3 API written by hand. A subset
is only wire- and JSON-compatible if every element we declare is exactly Envoy's. This script loads
the FileDescriptorSet that hack/generate-protos.sh writes (envoy-subset.pb beside this file) and
compares it with the descriptors compiled into PyPI's `xds-protos` (Envoy's generated Python):

  * every file: same package; every message, enum and service must live in the file of the same
    path in Envoy (so the generated Swift names and type URLs agree);
  * every message field: same number, type, type name (messages/enums), label, oneof membership,
    proto3-optional flag and JSON name; no field that Envoy does not have;
  * every enum: same value numbers, and all of Envoy's values present (so round trips keep them);
  * every service method: same input/output types and streaming flags.

Usage:
    python3 check_protos.py [DESCRIPTOR_SET]   # exit 0 when all agree, 1 on any mismatch
    python3 check_protos.py --self-test        # mutates the set in known ways; exit 0 if every
                                               # mutation is caught (proves the check can fail)

Needs: pip install xds-protos protobuf. Exits 2 with a clear message if they are missing.
"""
import copy
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SET = os.path.join(HERE, "envoy-subset.pb")

try:
    from google.protobuf import descriptor_pb2
except ImportError:  # pragma: no cover - environment problem, reported clearly
    sys.stderr.write("check_protos: the Python 'protobuf' package is missing: pip install xds-protos protobuf\n")
    sys.exit(2)

F = descriptor_pb2.FieldDescriptorProto


def reference_file(path):
    """Envoy's FileDescriptorProto for a proto path, from xds-protos' generated module."""
    module_name = path[: -len(".proto")].replace("/", ".").replace("-", "_") + "_pb2"
    module = importlib.import_module(module_name)
    return descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)


def describe_field(field, oneofs):
    label = {F.LABEL_OPTIONAL: "optional", F.LABEL_REPEATED: "repeated", F.LABEL_REQUIRED: "required"}[field.label]
    type_name = F.Type.Name(field.type)
    if field.type_name:
        type_name += " " + field.type_name
    oneof = oneofs[field.oneof_index].name if field.HasField("oneof_index") else None
    return {
        "number": field.number,
        "type": type_name,
        "label": label,
        "oneof": oneof,
        "proto3_optional": field.proto3_optional,
    }


def json_name(message_full_name, field_name):
    """The JSON name Envoy's runtime uses for a field (serialized descriptors omit json_name)."""
    from google.protobuf import descriptor_pool

    try:
        message = descriptor_pool.Default().FindMessageTypeByName(message_full_name)
    except KeyError:
        return None
    field = message.fields_by_name.get(field_name)
    return field.json_name if field is not None else None


def compare_message(scope, ours, theirs, errors):
    name = f"{scope}.{ours.name}"
    their_fields = {f.name: f for f in theirs.field}
    for field in ours.field:
        where = f"{name}.{field.name}"
        if field.name not in their_fields:
            errors.append(f"{where}: Envoy has no such field")
            continue
        mine = describe_field(field, ours.oneof_decl)
        real = describe_field(their_fields[field.name], theirs.oneof_decl)
        for key in mine:
            if mine[key] != real[key]:
                errors.append(f"{where}: {key} is {mine[key]!r}, Envoy has {real[key]!r}")
        real_json = json_name(name[1:], field.name)
        if field.json_name and real_json is not None and field.json_name != real_json:
            errors.append(f"{where}: JSON name is {field.json_name!r}, Envoy has {real_json!r}")
    their_nested = {m.name: m for m in theirs.nested_type}
    for nested in ours.nested_type:
        if nested.name not in their_nested:
            errors.append(f"{name}.{nested.name}: Envoy has no such nested message")
        else:
            compare_message(name, nested, their_nested[nested.name], errors)
    their_enums = {e.name: e for e in theirs.enum_type}
    for enum in ours.enum_type:
        if enum.name not in their_enums:
            errors.append(f"{name}.{enum.name}: Envoy has no such nested enum")
        else:
            compare_enum(name, enum, their_enums[enum.name], errors)


def compare_enum(scope, ours, theirs, errors):
    name = f"{scope}.{ours.name}"
    their_values = {v.name: v.number for v in theirs.value}
    our_values = {v.name: v.number for v in ours.value}
    for value, number in our_values.items():
        if value not in their_values:
            errors.append(f"{name}.{value}: Envoy has no such enum value")
        elif their_values[value] != number:
            errors.append(f"{name}.{value}: number is {number}, Envoy has {their_values[value]}")
    for value, number in their_values.items():
        if value not in our_values:
            errors.append(f"{name}: missing Envoy's value {value} = {number}")


def compare_service(scope, ours, theirs, errors):
    name = f"{scope}.{ours.name}"
    their_methods = {m.name: m for m in theirs.method}
    for method in ours.method:
        where = f"{name}.{method.name}"
        if method.name not in their_methods:
            errors.append(f"{where}: Envoy has no such method")
            continue
        real = their_methods[method.name]
        for key in ("input_type", "output_type", "client_streaming", "server_streaming"):
            if getattr(method, key) != getattr(real, key):
                errors.append(f"{where}: {key} is {getattr(method, key)!r}, Envoy has {getattr(real, key)!r}")


def check(descriptor_set):
    """Returns (errors, counts) for a FileDescriptorSet message."""
    errors = []
    counts = {"files": 0, "messages": 0, "fields": 0, "enums": 0, "services": 0}
    for ours in descriptor_set.file:
        if ours.name.startswith("google/protobuf/"):
            continue  # well-known types come from SwiftProtobuf, not from us
        counts["files"] += 1
        try:
            theirs = reference_file(ours.name)
        except ImportError as error:
            errors.append(f"{ours.name}: no such file in Envoy's API ({error})")
            continue
        scope = "." + ours.package
        if ours.package != theirs.package:
            errors.append(f"{ours.name}: package is {ours.package!r}, Envoy has {theirs.package!r}")
        their_messages = {m.name: m for m in theirs.message_type}
        for message in ours.message_type:
            if message.name not in their_messages:
                errors.append(f"{scope}.{message.name}: not declared in Envoy's {ours.name}")
            else:
                compare_message(scope, message, their_messages[message.name], errors)
        their_enums = {e.name: e for e in theirs.enum_type}
        for enum in ours.enum_type:
            if enum.name not in their_enums:
                errors.append(f"{scope}.{enum.name}: not declared in Envoy's {ours.name}")
            else:
                compare_enum(scope, enum, their_enums[enum.name], errors)
        their_services = {s.name: s for s in theirs.service}
        for service in ours.service:
            if service.name not in their_services:
                errors.append(f"{scope}.{service.name}: not declared in Envoy's {ours.name}")
            else:
                compare_service(scope, service, their_services[service.name], errors)
        count_file(ours, counts)
    return errors, counts


def count_file(file, counts):
    def walk(message):
        if message.options.map_entry:
            return
        counts["messages"] += 1
        counts["fields"] += len(message.field)
        counts["enums"] += len(message.enum_type)
        for nested in message.nested_type:
            walk(nested)

    for message in file.message_type:
        walk(message)
    counts["enums"] += len(file.enum_type)
    counts["services"] += len(file.service)


def load(path):
    with open(path, "rb") as handle:
        return descriptor_pb2.FileDescriptorSet.FromString(handle.read())


def find_message(descriptor_set, full_name):
    package, _, rest = full_name.rpartition(".")
    parts = full_name.split(".")
    for file in descriptor_set.file:
        prefix = file.package.split(".")
        if parts[: len(prefix)] != prefix:
            continue
        scope = file.message_type
        found = None
        for part in parts[len(prefix):]:
            found = next((m for m in scope if m.name == part), None)
            if found is None:
                break
            scope = found.nested_type
        if found is not None:
            return found
    raise KeyError(full_name)


def self_test(path):
    """Applies known-bad edits to a copy of the set; each one must be reported."""
    base = load(path)

    def field(message_set, message, name):
        return next(f for f in find_message(message_set, message).field if f.name == name)

    def renumber(s):
        field(s, "envoy.config.cluster.v3.Cluster", "connect_timeout").number = 5

    def retype(s):
        field(s, "envoy.config.core.v3.SocketAddress", "port_value").type = F.TYPE_INT32

    def retarget(s):
        field(s, "envoy.config.route.v3.RouteAction", "timeout").type_name = ".google.protobuf.Timestamp"

    def unrepeat(s):
        field(s, "envoy.config.route.v3.VirtualHost", "domains").label = F.LABEL_OPTIONAL

    def leave_oneof(s):
        field(s, "envoy.config.route.v3.RouteMatch", "prefix").ClearField("oneof_index")

    def rename(s):
        field(s, "envoy.config.listener.v3.Listener", "filter_chains").name = "filterchains"

    def enum_number(s):
        enum = next(e for e in find_message(s, "envoy.config.cluster.v3.Cluster").enum_type if e.name == "LbPolicy")
        next(v for v in enum.value if v.name == "MAGLEV").number = 4

    def streaming(s):
        ads = next(f for f in s.file if f.name == "envoy/service/discovery/v3/ads.proto")
        ads.service[0].method[0].client_streaming = False

    def json(s):
        field(s, "envoy.config.cluster.v3.OutlierDetection", "consecutive_5xx").json_name = "consecutive5Xx"

    def wrong_file(s):
        listener = next(f for f in s.file if f.name == "envoy/config/listener/v3/listener.proto")
        listener.name = "envoy/config/listener/v3/listener_components.proto"

    mutations = [renumber, retype, retarget, unrepeat, leave_oneof, rename, enum_number, streaming, json, wrong_file]
    baseline, _ = check(base)
    if baseline:
        print("self-test: the unmodified set already has mismatches:")
        for error in baseline:
            print("  " + error)
        return 1
    missed = []
    for mutate in mutations:
        mutated = copy.deepcopy(base)
        mutate(mutated)
        errors, _ = check(mutated)
        print(f"self-test {mutate.__name__}: {len(errors)} mismatch(es) reported" + (f": {errors[0]}" if errors else ""))
        if not errors:
            missed.append(mutate.__name__)
    if missed:
        print("self-test FAILED, not detected: " + ", ".join(missed))
        return 1
    print(f"self-test passed: {len(mutations)} of {len(mutations)} mutations detected")
    return 0


def main(argv):
    try:
        import envoy  # noqa: F401  (xds-protos)
    except ImportError:
        sys.stderr.write(
            "check_protos: PyPI package 'xds-protos' is missing, so Envoy's real descriptors cannot be "
            "loaded: pip install xds-protos protobuf\n"
        )
        return 2
    if argv[1:2] == ["--self-test"]:
        return self_test(argv[2] if len(argv) > 2 else DEFAULT_SET)
    path = argv[1] if len(argv) > 1 else DEFAULT_SET
    errors, counts = check(load(path))
    for error in errors:
        print("MISMATCH " + error)
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    if errors:
        print(f"check_protos: {len(errors)} mismatch(es) with Envoy's API in {summary}")
        return 1
    print(f"check_protos: all agree with Envoy's API (xds-protos): {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
