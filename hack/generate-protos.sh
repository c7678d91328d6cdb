#!/usr/bin/env bash
# Regenerates the Swift code and the descriptor set for Coxswain's Envoy v3 API subset.
#
#   hack/generate-protos.sh
#
# Inputs:  Sources/EnvoyAPI/protos/**/*.proto (hand-written, Envoy's names and numbers).
# Outputs: Sources/EnvoyAPI/Generated/*.pb.swift, *.grpc.swift (committed; CI never runs protoc)
#          Tests/EnvoyAPITests/Support/envoy-subset.pb (FileDescriptorSet for check_protos.py)
#
# Uses Debian's protoc (3.21.12, with the well-known types in /usr/include) and builds the two
# plugins from the package versions SwiftPM resolved (swift-protobuf 1.39.0, grpc-swift-protobuf
# 2.4.1): generated code checks the runtime's version, so the generator must match it.
# The output is deterministic: running it twice gives identical files.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROTOS=Sources/EnvoyAPI/protos
OUT=Sources/EnvoyAPI/Generated
DESCRIPTORS=Tests/EnvoyAPITests/Support/envoy-subset.pb

if ! command -v protoc >/dev/null 2>&1; then
    echo "protoc missing: installing Debian's protobuf-compiler" >&2
    apt-get update && apt-get install -y protobuf-compiler
fi
WKT_INCLUDE=/usr/include
if [[ ! -f "$WKT_INCLUDE/google/protobuf/any.proto" ]]; then
    echo "error: well-known type protos not found under $WKT_INCLUDE (package protobuf-compiler / libprotobuf-dev)" >&2
    exit 1
fi

# The plugins are executable products of our dependencies; build them in the package's own .build.
swift build --product protoc-gen-swift >&2
swift build --product protoc-gen-grpc-swift-2 >&2
BIN="$(swift build --show-bin-path)"

for tool in protoc-gen-swift protoc-gen-grpc-swift-2; do
    echo "$tool $("$BIN/$tool" --version)" >&2
done
echo "$(protoc --version)" >&2

mapfile -t FILES < <(cd "$PROTOS" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
mapfile -t SERVICE_FILES < <(cd "$PROTOS" && grep -l '^service ' "${FILES[@]}" | LC_ALL=C sort)

rm -rf "$OUT"
mkdir -p "$OUT" "$(dirname "$DESCRIPTORS")"

# PathToUnderscores: two Envoy files share a base name (http/fault/v3/fault.proto and
# common/fault/v3/fault.proto) and a Swift module cannot hold two files of the same name.
protoc -I "$PROTOS" -I "$WKT_INCLUDE" \
    --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" \
    --swift_out="$OUT" \
    --swift_opt=Visibility=Public,FileNaming=PathToUnderscores \
    "${FILES[@]}"

protoc -I "$PROTOS" -I "$WKT_INCLUDE" \
    --plugin=protoc-gen-grpc-swift-2="$BIN/protoc-gen-grpc-swift-2" \
    --grpc-swift-2_out="$OUT" \
    --grpc-swift-2_opt=Visibility=Public,Server=true,Client=true,FileNaming=PathToUnderscores \
    "${SERVICE_FILES[@]}"

protoc -I "$PROTOS" -I "$WKT_INCLUDE" \
    --include_imports \
    --descriptor_set_out="$DESCRIPTORS" \
    "${FILES[@]}"

echo "generated $(ls "$OUT" | wc -l) Swift files in $OUT and $DESCRIPTORS from ${#FILES[@]} protos" >&2
