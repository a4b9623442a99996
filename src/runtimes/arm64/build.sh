#!/usr/bin/env bash
# Cross-builds the arm64 TFLite harness into build/arm64/ (harness + markers.json with its marker addresses).
# Quick when up to date.
set -euo pipefail
cd "$(dirname "$0")/../../.."
src=src/runtimes/arm64/harness.c
deps=node_modules/tfjs-tflite-node/cc_deps
out=build/arm64
if [ -f "$out/harness" ] && [ -f "$out/markers.json" ] && [ "$out/markers.json" -nt "$src" ] && [ "$out/markers.json" -nt src/runtimes/arm64/build.sh ]; then
  exit 0
fi
if [ ! -f "$deps/linux_arm64/libtensorflowlite_c.so" ]; then
  echo "arm64 harness: $deps/linux_arm64/libtensorflowlite_c.so missing (run npm ci)" >&2
  exit 1
fi
mkdir -p "$out"
# Not position independent: marker addresses are then the same on every run, so the plugin can be told them.
# Built under per-process names and renamed, so concurrent builds never leave half-written files.
aarch64-linux-gnu-gcc -std=c99 -O2 -Wall -Wextra -Werror -fno-pie -no-pie -fno-ipa-icf \
  -I "$deps/include" -o "$out/harness.$$" "$src" -L "$deps/linux_arm64" -ltensorflowlite_c
addr() { aarch64-linux-gnu-nm "$out/harness.$$" | awk -v s="$1" '$3 == s { print "0x" $1 }'; }
begin=$(addr pqk_marker_invoke_begin)
end=$(addr pqk_marker_invoke_end)
if [ -z "$begin" ] || [ -z "$end" ]; then echo "arm64 harness: marker symbols not found" >&2; exit 1; fi
printf '{ "invokeBegin": "%s", "invokeEnd": "%s" }\n' "$begin" "$end" > "$out/markers.json.$$"
mv -f "$out/harness.$$" "$out/harness"
mv -f "$out/markers.json.$$" "$out/markers.json"
echo "arm64 harness: built $out/harness"
