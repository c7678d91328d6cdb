#!/usr/bin/env bash
# Builds the operator image: hack/build-image.sh [IMAGE[:TAG]]
# Needs a container engine (docker or podman); none runs on the development machines.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-coxswain:latest}
engine=$(command -v docker || command -v podman || true)
if [ -z "$engine" ]; then
    echo "no docker or podman on PATH" >&2
    exit 1
fi
exec "$engine" build -t "$image" -f Dockerfile .
