#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine with Node 20: system packages, npm packages, build, then a check
# that everything the pipeline and the tests use is there (so a missing tool fails here, not in a test).
# Each step is skipped when what it makes is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

# What pqk and its tests use. PyTorch (python3-torch) is no part of it: only `npm run bench:train` installs it.
APT_PACKAGES=(
  qemu-system-arm qemu-user gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi gcc-aarch64-linux-gnu
  binutils-aarch64-linux-gnu libc6-dev-arm64-cross libstdc++6-arm64-cross espeak-ng sox flite flatbuffers-compiler
  festival festvox-kdlpc16k festvox-kallpc16k festvox-us-slt-hts
  libopenblas-dev clang libclang-rt-14-dev make clang-format
)
bash scripts/apt-install.sh "${APT_PACKAGES[@]}"
bash scripts/install-vulkan.sh

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

echo "setup: build"
PQK_NATIVE_REQUIRED=1 npm run --silent build
bash scripts/check-tools.sh
