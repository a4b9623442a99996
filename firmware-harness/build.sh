#!/usr/bin/env bash
# Builds the host side of the micro interpreter: build/host/pqk-micro-host (runner for tests and arena sizing),
# build/host/pqk-micro-unit (C unit checks) and, where clang has libFuzzer, build/host/pqk-micro-fuzz.
# Per-model firmware images are built on demand by src/runtimes/qemu.ts. Quick when up to date.
set -euo pipefail
cd "$(dirname "$0")"
out=build/host
mkdir -p "$out"
# One build at a time: test files that run in parallel each call this script, and a second compiler writing a
# binary while the first one's test runs it would crash that run.
exec 9>"$out/.build-lock"
flock 9
srcs=(src/*.c src/kernels/*.c)
cflags=(-std=c99 -O2 -Wall -Wextra -Werror -ffp-contract=off -Isrc)

stale() { # target, then its inputs
  local t="$1"; shift
  [ -f "$t" ] || return 0
  for f in "$@"; do [ "$f" -nt "$t" ] && return 0; done
  return 1
}

deps=("${srcs[@]}" src/*.h src/kernels/*.h build.sh)
if stale "$out/pqk-micro-host" "${deps[@]}" host/host_main.c; then
  cc "${cflags[@]}" -o "$out/pqk-micro-host" "${srcs[@]}" host/host_main.c -lm
  echo "firmware-harness: built $out/pqk-micro-host"
fi
if stale "$out/pqk-micro-unit" "${deps[@]}" host/unit_main.c; then
  cc "${cflags[@]}" -o "$out/pqk-micro-unit" "${srcs[@]}" host/unit_main.c -lm
  echo "firmware-harness: built $out/pqk-micro-unit"
fi
if command -v clang >/dev/null && stale "$out/pqk-micro-fuzz" "${deps[@]}" host/fuzz_model.c; then
  if clang "${cflags[@]}" -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -o "$out/pqk-micro-fuzz" "${srcs[@]}" host/fuzz_model.c -lm 2>"$out/fuzz-build.log"; then
    echo "firmware-harness: built $out/pqk-micro-fuzz"
  else
    echo "firmware-harness: libFuzzer build skipped (see $out/fuzz-build.log)" >&2
  fi
fi
# Compile-only check of the firmware sources for a DSP board and the MVE board, so errors in the optimized paths
# show at build time rather than when a model is first run.
if command -v arm-none-eabi-gcc >/dev/null && stale "build/arm-check.stamp" "${deps[@]}" firmware/*.c firmware/*.h; then
  for flags in "-mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16" "-mcpu=cortex-m55 -mfloat-abi=hard"; do
    # shellcheck disable=SC2086
    arm-none-eabi-gcc $flags -mthumb "${cflags[@]}" -fsyntax-only "${srcs[@]}" firmware/*.c
  done
  touch build/arm-check.stamp
  echo "firmware-harness: Cortex-M sources check out (M4 DSP, M55 MVE)"
fi
