// A run folder's settings: what run.json says wins, the target fills what it does not say (its sparsity pattern and
// level), the defaults fill the rest, and the run's seed reaches every stage.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readRunConfig } from '../../src/pipeline/config.js';
import { loadTarget } from '../../src/targets/load.js';

const dir = mkdtempSync(join(tmpdir(), 'pqk-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a folder made by 'pqk train' takes the target's pattern and level, and its seed in every stage", () => {
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 7, float: { epochs: 3 } }),
  );
  const m4 = readRunConfig(dir, loadTarget('cortex-m4'));
  assert.deepEqual([m4.phase1.pattern, m4.phase1.sparsity], ['channel', 0.5]);
  const m55 = readRunConfig(dir, loadTarget('cortex-m55'));
  assert.equal(m55.phase1.pattern, '2:4');
  assert.deepEqual([m4.float.seed, m4.phase1.seed, m4.phase2.seed], [7, 7, 7]);
  assert.equal(m4.float.epochs, 3);
  // What the folder says wins over the target.
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ model: 'ds-cnn', data: 'data/x', seed: 7, phase1: { pattern: 'unstructured', sparsity: 0.8, seed: 3 } }),
  );
  const own = readRunConfig(dir, loadTarget('cortex-m4'));
  assert.deepEqual([own.phase1.pattern, own.phase1.sparsity, own.phase1.seed, own.phase2.seed], ['unstructured', 0.8, 3, 7]);
});
