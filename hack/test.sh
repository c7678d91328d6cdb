#!/usr/bin/env bash
# The one test command: installs what the suite drives (Python's xDS client and
# Envoy's descriptors from PyPI; kubectl must be on PATH) and runs `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import grpc, google.protobuf, celpy, yaml, envoy.config.listener.v3.listener_pb2' 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check -r hack/requirements-test.txt
fi
if ! command -v kubectl >/dev/null; then
    echo "kubectl is not on PATH: the suite runs the real kubectl against the test API server" >&2
    exit 1
fi

exec swift test "$@"
