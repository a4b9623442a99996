#!/usr/bin/env bash
# The last step of setup: every program and build output the pipeline and the test suite use must be present, or
# setup fails here, naming what is missing and the Debian package or build step that brings it, instead of a test
# failing later. Exit 1 when anything is missing.
set -uo pipefail
cd "${BASH_SOURCE[0]%/*}/.."
problems=()

# program  Debian package
tools=(
  "qemu-system-arm qemu-system-arm"
  "qemu-aarch64 qemu-user"
  "arm-none-eabi-gcc gcc-arm-none-eabi"
  "arm-none-eabi-nm binutils-arm-none-eabi"
  "arm-none-eabi-size binutils-arm-none-eabi"
  "aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu"
  "aarch64-linux-gnu-nm binutils-aarch64-linux-gnu"
  "espeak-ng espeak-ng"
  "sox sox"
  "flite flite"
  "festival festival"
  "flatc flatbuffers-compiler"
  "clang clang"
  "clang-format clang-format"
  "cc gcc"
  "make make"
  "arm-none-eabi-ar binutils-arm-none-eabi"
)
for t in "${tools[@]}"; do
  set -- $t
  command -v "$1" >/dev/null 2>&1 || problems+=("program '$1' not found (Debian package $2)")
done

# Festival's English voices, which the synthetic keyword set speaks with (festival itself is above).
for p in festvox-kdlpc16k festvox-kallpc16k festvox-us-slt-hts; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || problems+=("Festival's voice package $p not installed (Debian package $p)")
done

# The software Vulkan driver the webgpu backend's tests run on (scripts/install-vulkan.sh).
mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -z "$mesa" ] || ! dpkg --compare-versions "$mesa" ge 24; then
  problems+=("mesa-vulkan-drivers ${mesa:-not installed}: Mesa >= 24 needed (bash scripts/install-vulkan.sh: bookworm-backports)")
fi
[ -e node_modules/webgpu/index.js ] || problems+=("node_modules/webgpu missing (made by: npm ci)")

# build output  what makes it
outputs=(
  "dist/src/cli/main.js|npm run build (tsc)"
  "native/build/pqk_native.node|bash native/build.sh (needs libopenblas-dev)"
  "firmware-harness/qemu-plugin/build/libinsncount.so|bash firmware-harness/qemu-plugin/build.sh"
  "firmware-harness/build/host/pqk-micro-host|bash firmware-harness/build.sh"
  "firmware-harness/build/host/pqk-micro-unit|bash firmware-harness/build.sh"
  "firmware-harness/build/host/pqk-micro-fuzz|bash firmware-harness/build.sh (libFuzzer needs libclang-rt-14-dev; see firmware-harness/build/host/fuzz-build.log)"
  "build/arm64/harness|bash src/runtimes/arm64/build.sh"
  "node_modules/tfjs-tflite-node/cc_deps/linux_$(dpkg --print-architecture)/libtensorflowlite_c.so|npm ci"
)
for o in "${outputs[@]}"; do
  f="${o%%|*}"
  [ -e "$f" ] || problems+=("$f missing (made by: ${o#*|})")
done

if [ ${#problems[@]} -gt 0 ]; then
  echo "setup: incomplete; pqk and its tests need:" >&2
  for p in "${problems[@]}"; do echo "  - $p" >&2; done
  exit 1
fi
echo "setup: every tool and build output is present"
