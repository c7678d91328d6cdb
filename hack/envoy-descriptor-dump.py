#!/usr/bin/env python3
"""Print Envoy messages/enums as they are in Envoy's real API (from PyPI's xds-protos).

A reference aid for hand-writing Sources/EnvoyAPI/protos: shows every field with number, label,
type, oneof and deprecation so we can pick the ones we use.

    python3 hack/envoy-descriptor-dump.py envoy.config.route.v3.RouteAction [...]
"""
import importlib
import pkgutil
import sys

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import FieldDescriptor


def load_all():
    import envoy
    for mod in pkgutil.walk_packages(envoy.__path__, "envoy."):
        if mod.name.endswith("_pb2"):
            try:
                importlib.import_module(mod.name)
            except Exception as e:  # some modules need optional deps
                print(f"# skip {mod.name}: {e}", file=sys.stderr)


TYPES = {v: k[5:].lower() for k, v in vars(FieldDescriptor).items() if k.startswith("TYPE_")}


def ftype(f):
    if f.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_ENUM):
        if f.message_type and f.message_type.GetOptions().map_entry:
            k, v = f.message_type.fields
            return f"map<{ftype(k)}, {ftype(v)}>"
        return "." + (f.message_type or f.enum_type).full_name
    return TYPES[f.type]


def dump_enum(e, ind):
    print(f"{ind}enum {e.name} {{  // {e.file.name}")
    for v in e.values:
        dep = " [deprecated]" if v.GetOptions().deprecated else ""
        print(f"{ind}  {v.name} = {v.number};{dep}")
    print(f"{ind}}}")


def dump(m, ind=""):
    print(f"{ind}message {m.name} {{  // {m.full_name} in {m.file.name}")
    for f in sorted(m.fields, key=lambda f: f.number):
        lab = "repeated " if f.is_repeated and not ftype(f).startswith("map<") else ""
        oo = f.containing_oneof.name if f.containing_oneof else ""
        if oo and f.containing_oneof.fields and len(f.containing_oneof.fields) == 1 and f.name == "_" + oo:
            oo += "(synthetic)"
        dep = " DEPRECATED" if f.GetOptions().deprecated else ""
        print(f"{ind}  {lab}{ftype(f)} {f.name} = {f.number};{'  oneof ' + oo if oo else ''}{dep}")
    for e in m.enum_types:
        dump_enum(e, ind + "  ")
    for n in m.nested_types:
        if not n.GetOptions().map_entry:
            print(f"{ind}  // nested {n.full_name}")
    print(f"{ind}}}")


if __name__ == "__main__":
    load_all()
    pool = descriptor_pool.Default()
    for name in sys.argv[1:]:
        try:
            dump(pool.FindMessageTypeByName(name))
        except KeyError:
            dump_enum(pool.FindEnumTypeByName(name), "")
