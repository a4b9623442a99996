#!/usr/bin/env node
// `npm run lint`, and the first step of `npm test`: the type check over src/, test/, scripts/ and firmware-harness/
// (tsconfig.test.json) and ESLint (eslint.config.js). Exits non-zero naming the check that failed.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
const checks = [
  ['type check (tsc -p tsconfig.test.json)', bin('typescript', 'bin/tsc'), ['-p', 'tsconfig.test.json']],
  ['ESLint', bin('eslint', 'bin/eslint.js'), ['.', '--max-warnings=0']],
];
const failed = [];
for (const [name, bin, args] of checks) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(name);
  console.error(`lint: ${name}: ${r.status === 0 ? 'clean' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
if (failed.length > 0) {
  console.error(`lint: ${failed.join(', ')} failed`);
  process.exit(1);
}
