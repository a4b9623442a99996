// The size check before compression: a lower bound of the int payload, worked by hand for the zoo DS-CNN, and the
// refusal (exit 3, before any training or data preparation) of a model that cannot fit the target's budget.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { modelSpec } from '../../src/models/zoo.js';
import { minimumModelBytes } from '../../src/pipeline/size-check.js';
import { assertUserError, cli } from '../cli/harness.js';

const root = mkdtempSync(join(tmpdir(), 'pqk-size-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the payload bound of the DS-CNN: weights at the bit width, int32 biases, channel pruning only shrinks it', () => {
  const spec = modelSpec('ds-cnn', [49, 10, 1], 12);
  // weights: conv 10x4x1x64 = 2,560, four depthwise 3x3x64 = 2,304, four pointwise 64x64 = 16,384, dense 64x12 = 768
  // (22,016); biases: 64 + 4 x 64 + 4 x 64 + 12 = 588 channels of 4 bytes (2,352).
  assert.deepEqual(minimumModelBytes(spec, 8, 'unstructured', 0.8), { params: 22604, bytes: 22016 + 2352 });
  assert.deepEqual(minimumModelBytes(spec, 4, '2:4', 0.5), { params: 22604, bytes: 11008 + 2352 });
  // A microcontroller may flash 2:4 weights packed: 3/4 of their bytes (the bound takes it for every tensor).
  assert.deepEqual(minimumModelBytes(spec, 4, '2:4', 0.5, true), { params: 22604, bytes: 8256 + 2352 });
  assert.deepEqual(minimumModelBytes(spec, 8, 'unstructured', 0.8, true), { params: 22604, bytes: 22016 + 2352 });
  // 50% channel: at least a quarter of the weights and half the biases.
  assert.deepEqual(minimumModelBytes(spec, 8, 'channel', 0.5), { params: 22604, bytes: 5504 + 1176 });
  // The bound is below what pqk's 50%-channel int8 DS-CNN of the main job really takes (19,664 B file).
  assert.ok(minimumModelBytes(spec, 8, 'channel', 0.5).bytes < 19664);
});

test('a model that cannot fit the part is refused before training (exit 3); one over the size budget only is warned of', async () => {
  const runDir = join(root, 'imported');
  const imp = await cli([
    'import',
    'test/fixtures/mlperf-tiny-kws/kws_ref_model_float32.tflite',
    '--out',
    runDir,
    '--data',
    join(root, 'no-such-data'),
    '--json',
  ]);
  assert.equal(imp.code, 0, imp.stderr);
  const targetWith = (name: string, flash: number, budget: number): string => {
    const t = JSON.parse(readFileSync('targets/cortex-m4.json', 'utf8'));
    delete t.$schema;
    t.name = name;
    t.memory.flashBytes = flash;
    t.budgets.modelFlashBytes = budget;
    const file = join(root, `${name}.json`);
    writeFileSync(file, JSON.stringify(t));
    return file;
  };
  const tiny = targetWith('tiny-flash', 4096, 4096);
  const message =
    /the model cannot fit tiny-flash: its 22,604 parameters take at least 6,680 B as int8 after 50% channel pruning, and \/memory\/flashBytes is 4,096 B/;
  assertUserError(await cli(['compress', '--run', runDir, '--target', tiny, '--phase', 'all']), 3, message, 'compress', assert);
  assertUserError(await cli(['run', '--from', runDir, '--target', tiny, '--out', join(root, 'run')]), 3, message, 'run', assert);
  // 90% channel brings the bound under the flash: compress gets past the check and stops at the next one, the data.
  const r = await cli(['compress', '--run', runDir, '--target', tiny, '--phase', '1', '--sparsity', '0.9']);
  assert.doesNotMatch(r.stderr, /cannot fit|warning/);
  assert.match(r.stderr, /no-such-data/);
  // Over the budget, not the flash: a warning, and the run goes on (to its report, which fails the budget).
  const tight = await cli(['compress', '--run', runDir, '--target', targetWith('tight-budget', 1 << 20, 6000), '--phase', '1']);
  assert.match(
    tight.stdout,
    /warning: the model will not meet tight-budget's \/budgets\/modelFlashBytes: its 22,604 parameters take at least 6,680 B as int8 after 50% channel pruning, over the 6,000 B budget/,
  );
  assert.match(tight.stderr, /no-such-data/);
});

test('data that does not fit the stored model is refused naming both shapes, before any training', async () => {
  const runDir = join(root, 'imported-mnist');
  const imp = await cli(['import', 'test/fixtures/mlperf-tiny-kws/kws_ref_model_float32.tflite', '--out', runDir, '--data', 'mnist']);
  assert.equal(imp.code, 0, imp.stderr);
  const message =
    /pqk \w+: mnist: does not fit the model in \S+: the model takes 49x10x1 inputs, the data has 28x28x1; the model has 12 classes, the data 10/;
  assertUserError(await cli(['compress', '--run', runDir, '--target', 'cortex-m4', '--phase', '1']), 1, message, 'compress', assert);
  assertUserError(
    await cli(['run', '--from', runDir, '--target', 'cortex-m4', '--out', join(root, 'run-mnist')]),
    1,
    message,
    'run',
    assert,
  );
});
