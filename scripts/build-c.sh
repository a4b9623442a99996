#!/usr/bin/env bash
# Builds the C parts that live beside the TypeScript: each part's own build script, when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."
for part in native/build.sh firmware-harness/qemu-plugin/build.sh firmware-harness/build.sh src/runtimes/arm64/build.sh; do
  if [ -f "$part" ]; then bash "$part"; fi
done
