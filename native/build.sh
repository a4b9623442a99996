#!/usr/bin/env bash
# Builds native/build/pqk_native.node (the `native` tfjs backend's kernels) against Node's N-API headers and OpenBLAS.
# Idempotent: nothing to do when the addon is newer than every source. A failure only warns (exit 0) so the other C
# parts still build and pqk runs on wasm/cpu; PQK_NATIVE_REQUIRED=1 makes it fatal.
# PQK_NATIVE_MARCH overrides -march=native (set it when the image is built on another CPU). The CPU the addon was
# built for is kept in build/march: on another CPU (a build folder restored from a cache) it is built again instead of
# dying of an illegal instruction.
set -euo pipefail
cd "$(dirname "$0")"
out=build/pqk_native.node
srcs=(src/*.c src/*.h)

skip() {
  echo "native/build.sh: $1; the native backend stays unavailable (pqk falls back to wasm/cpu)" >&2
  exit "$([ "${PQK_NATIVE_REQUIRED:-0}" = 1 ] && echo 1 || echo 0)"
}
march="${PQK_NATIVE_MARCH:-native}"
resolved="$("${CC:-gcc}" -march="$march" -Q --help=target 2>/dev/null | awk '$1 == "-march=" && !seen { print $2; seen = 1 }')"
resolved="${resolved:-$march}"
if [ -f "$out" ] && [ "$(cat build/march 2>/dev/null)" = "$resolved" ] && [ -z "$(find "${srcs[@]}" build.sh -newer "$out" 2>/dev/null)" ]; then exit 0; fi

node_inc="$(node -p "require('path').join(process.config.variables.node_prefix || '/usr', 'include', 'node')")"
[ -f "$node_inc/node_api.h" ] || node_inc=/usr/include/node
if [ ! -f "$node_inc/node_api.h" ]; then
  skip "node_api.h not found (looked in $node_inc)"
fi
blas_inc=""
for d in /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/aarch64-linux-gnu/openblas-pthread /usr/include/openblas; do
  if [ -f "$d/cblas.h" ]; then blas_inc="$d"; break; fi
done
if [ -z "$blas_inc" ]; then
  skip "cblas.h not found; install libopenblas-dev"
fi

mkdir -p build
cc="${CC:-gcc}"
# -ffp-contract=off everywhere: no fused multiply-add the compiler chooses per CPU, so -march changes the speed of a
# kernel, never its values (a seed trains to the same weights on any x86-64 CPU; src/backend/addon.ts, blasCoreType)
flags=(-std=gnu99 -O3 -march="$march" -ffp-contract=off -fPIC -fopenmp -Wall -Wextra -Wno-unused-parameter
  -DNODE_GYP_MODULE_NAME=pqk_native -I"$node_inc" -I"$blas_inc")
# fixed_point.c must round each float32 product and sum as tfjs does: no fused multiply-add; no FP traps lets floorf
# vectorise without changing any value
strict=src/fixed_point.c
others=()
for f in src/*.c; do [ "$f" = "$strict" ] || others+=("$f"); done
"$cc" "${flags[@]}" -ffp-contract=off -fno-trapping-math -c "$strict" -o build/fixed_point.o &&
  "$cc" "${flags[@]}" -shared "${others[@]}" build/fixed_point.o -o "$out.tmp" -lopenblas -lm ||
  skip "$cc failed to compile native/src"
mv "$out.tmp" "$out"
echo "$resolved" > build/march
echo "native/build.sh: built native/$out for $resolved"
