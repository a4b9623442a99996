// The tests, scripts and benchmarks are type-checked like the sources (tsconfig.test.json): tsx runs them unchecked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('src, test, scripts and firmware-harness type-check with no error', () => {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test.json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc -p tsconfig.test.json:\n${r.stdout}${r.stderr}`);
});
