#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (TypeScript through tsx).
// `npm test -- PATTERN` keeps only files whose path contains PATTERN (and leaves out the lint step).
// `--quick` (npm run test:quick) leaves out what runs emulators (QEMU system and user mode) and end-to-end training:
// the fast tier for editing, well under 2 minutes; the full suite is the one CI runs.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const SLOW = [
  'test/firmware/',
  'test/int/arm64.test.ts',
  'test/runtimes/arm64.test.ts',
  'test/runtimes/insncount.test.ts',
  'test/cli/run.test.ts',
  'test/cli/check.test.ts',
];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => a !== '--quick');
const files = walk('test')
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .filter((f) => !quick || !SLOW.some((s) => f.startsWith(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// The whole suite (and --quick) starts with the lint step: types over src/ and test/, then ESLint.
if (filters.length === 0) {
  const lint = spawnSync(process.execPath, ['scripts/lint.mjs'], { stdio: 'inherit' });
  if (lint.status !== 0) process.exit(lint.status ?? 1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
