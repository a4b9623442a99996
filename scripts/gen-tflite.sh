#!/usr/bin/env bash
# Regenerates src/tflite/generated/ from src/tflite/schema/tflite.fbs with flatc --ts.
# `--check` regenerates into a temporary folder and fails if the committed code differs (drift check).
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEMA=src/tflite/schema/tflite.fbs
# GEN_TFLITE_DEST overrides the folder, so that the drift check itself can be tested.
DEST="${GEN_TFLITE_DEST:-src/tflite/generated}"
command -v flatc >/dev/null || { echo "gen-tflite: flatc not found (apt-get install flatbuffers-compiler)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
flatc --ts -o "$TMP/out" "$SCHEMA"
# NodeNext resolution needs explicit .js extensions on relative imports; flatc writes none.
find "$TMP/out" -name '*.ts' -print0 | xargs -0 sed -i -E "s#(from '\.{1,2}/[^']+)';#\1.js';#"
# flatc names the index after the schema; a stable name keeps imports short.
mv "$TMP/out/tflite_generated.ts" "$TMP/out/index.ts"
sed -i -E "s#from '\./tflite/#from './tflite/#" "$TMP/out/index.ts"

if [[ "${1:-}" == "--check" ]]; then
  if ! diff -r "$TMP/out" "$DEST" >"$TMP/diff.txt"; then
    echo "gen-tflite: $DEST differs from what flatc $(flatc --version | awk '{print $3}') generates from $SCHEMA; run scripts/gen-tflite.sh" >&2
    head -40 "$TMP/diff.txt" >&2
    exit 1
  fi
  echo "gen-tflite: $DEST is up to date"
  exit 0
fi
rm -rf "$DEST"
mkdir -p "$DEST"
cp -r "$TMP/out/." "$DEST/"
echo "gen-tflite: wrote $(find "$DEST" -name '*.ts' | wc -l) files to $DEST"
