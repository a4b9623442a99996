#!/usr/bin/env node
// `npm run lint`, and the first step of `npm test`: the type check over src/, test/, scripts/ and firmware-harness/
// (tsconfig.test.json), ESLint (eslint.config.js), Prettier's formatting (.prettierrc.json) and
// clang-format's for the C (.clang-format). Exits non-zero naming the check that failed.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
const checks = [
  ['type check (tsc -p tsconfig.test.json)', bin('typescript', 'bin/tsc'), ['-p', 'tsconfig.test.json']],
  ['ESLint', bin('eslint', 'bin/eslint.js'), ['.', '--max-warnings=0']],
  [
    'Prettier (npx prettier --write "**/*.{ts,mjs,js}" formats)',
    bin('prettier', 'bin/prettier.cjs'),
    ['--check', '--log-level=warn', '**/*.{ts,mjs,js}'],
  ],
];
// The C of firmware-harness/ and native/ against .clang-format (clang-format 14, which setup installs).
const cFiles = spawnSync('git', ['ls-files', 'firmware-harness/*.c', 'firmware-harness/*.h', 'native/*.c', 'native/*.h'], {
  encoding: 'utf8',
})
  .stdout.split('\n')
  .filter((f) => f !== '');
checks.push(['clang-format (clang-format -i FILE formats)', 'clang-format', ['--dry-run', '-Werror', ...cFiles], true]);
const failed = [];
for (const [name, bin, args, native] of checks) {
  const t0 = Date.now();
  const r = native ? spawnSync(bin, args, { stdio: 'inherit' }) : spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  if (r.error) console.error(`lint: ${bin}: ${r.error.message} (bash scripts/setup.sh installs it)`);
  if (r.status !== 0) failed.push(name);
  console.error(`lint: ${name}: ${r.status === 0 ? 'clean' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
if (failed.length > 0) {
  console.error(`lint: ${failed.join(', ')} failed`);
  process.exit(1);
}
