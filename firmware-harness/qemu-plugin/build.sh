#!/usr/bin/env bash
# Builds the instruction-counting QEMU plugin: build/libinsncount.so. Quick when up to date.
set -euo pipefail
cd "$(dirname "$0")"
out=build/libinsncount.so
if [ -f "$out" ] && [ "$out" -nt insncount.c ] && [ "$out" -nt qemu_plugin_api.h ] && [ "$out" -nt build.sh ]; then
  exit 0
fi
mkdir -p build
cc=${CC:-$(command -v cc || command -v clang || true)}
if [ -z "$cc" ]; then echo "qemu-plugin: no host C compiler (cc or clang)" >&2; exit 1; fi
# Built under a per-process name and renamed, so concurrent builds never leave a half-written plugin.
"$cc" -std=c99 -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -o "$out.$$" insncount.c
mv -f "$out.$$" "$out"
echo "qemu-plugin: built $out"
