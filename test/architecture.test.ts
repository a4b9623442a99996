// Imports point down: every relative import in src/ (type-only ones included) goes to a module of the same or a
// lower layer of the table in docs/architecture.md, and every module of src/ has a layer there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

interface Layer {
  rank: number;
  path: string; // 'src/ops/' (a folder) or 'src/errors.ts' (a file)
}

// The table's rows: | rank | `path`, `path` | job |
function layers(markdown: string): Layer[] {
  const out: Layer[] = [];
  for (const line of markdown.split('\n')) {
    const row = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (!row) continue;
    for (const m of row[2]!.matchAll(/`([^`]+)`/g)) out.push({ rank: Number(row[1]), path: m[1]! });
  }
  return out;
}

function layerOf(file: string, table: Layer[]): Layer | undefined {
  return table
    .filter((l) => (l.path.endsWith('/') ? file.startsWith(l.path) : file === l.path))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

// Relative module specifiers of a TypeScript source: static imports and re-exports (type-only too), dynamic imports.
function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*'(\.{1,2}\/[^']+)'/g)) out.push(m[1]!);
  for (const m of source.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) out.push(m[1]!);
  for (const m of source.matchAll(/declare module '(\.{1,2}\/[^']+)'/g)) out.push(m[1]!);
  return out;
}

// 'src/a/b.ts' importing '../c/d.js' -> 'src/c/d.ts'
function resolveImport(from: string, spec: string): string {
  return normalize(join(dirname(from), spec)).replace(/\.js$/, '.ts');
}

export function violations(files: Map<string, string>, table: Layer[]): string[] {
  const out: string[] = [];
  for (const [file, source] of files) {
    const own = layerOf(file, table);
    if (!own) {
      out.push(`${file}: in no layer of docs/architecture.md`);
      continue;
    }
    for (const spec of importsOf(source)) {
      const target = resolveImport(file, spec);
      const theirs = layerOf(target, table);
      if (theirs && theirs.rank > own.rank)
        out.push(`${file} (layer ${own.rank}, ${own.path}) imports ${target} (layer ${theirs.rank}, ${theirs.path})`);
    }
  }
  return out;
}

function sources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) for (const [k, v] of sources(p)) out.set(k, v);
    else if (name.endsWith('.ts')) out.set(relative('.', p), readFileSync(p, 'utf8'));
  }
  return out;
}

const TABLE = layers(readFileSync('docs/architecture.md', 'utf8'));

test('the layer table of docs/architecture.md is read', () => {
  assert.ok(TABLE.length >= 20, `${TABLE.length} paths`);
  assert.deepEqual(layerOf('src/tflite/generated/index.ts', TABLE), { rank: 2, path: 'src/tflite/generated/' });
  assert.deepEqual(layerOf('src/tflite/writer.ts', TABLE), { rank: 4, path: 'src/tflite/' });
  assert.equal(layerOf('src/nowhere.ts', TABLE), undefined);
});

test('every module of src/ has a layer, and every import points to its own layer or a lower one', () => {
  const files = sources('src');
  assert.ok(files.size > 150, `${files.size} files`);
  assert.deepEqual(violations(files, TABLE), []);
});

test('the check finds an upward import, a type-only one, a re-export, a dynamic import and a module without a layer', () => {
  const files = new Map([
    ['src/int/conv.ts', "import { x } from '../ops/table.js';\nimport type { Y } from '../report/types.js';"],
    ['src/util/fs.ts', "export { z } from '../cli/main.js';\nconst m = await import('../pipeline/run.js');"],
    ['src/ops/pad.ts', "import { a } from '../int/common.js';\ndeclare module '../int/graph.js' {}"],
    ['src/extra/new.ts', "import { a } from '../errors.js';"],
  ]);
  assert.deepEqual(violations(files, TABLE), [
    'src/int/conv.ts (layer 2, src/int/) imports src/ops/table.ts (layer 3, src/ops/)',
    'src/int/conv.ts (layer 2, src/int/) imports src/report/types.ts (layer 7, src/report/)',
    'src/util/fs.ts (layer 1, src/util/) imports src/cli/main.ts (layer 9, src/cli/)',
    'src/util/fs.ts (layer 1, src/util/) imports src/pipeline/run.ts (layer 8, src/pipeline/)',
    'src/extra/new.ts: in no layer of docs/architecture.md',
  ]);
});
