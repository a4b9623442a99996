// Float training: learns, checkpoints every epoch, and a killed run resumes to exactly the same weights.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decayKernels, floatLogits, floatStep, makeOptimizer, trainFloat, type FloatConfig } from '../../src/train/float.js';
import { evaluate } from '../../src/train/stage.js';
import { PHASE1_DEFAULTS, runPhase1 } from '../../src/compress/pqk/phase1.js';
import { checkpointExists, loadCheckpoint } from '../../src/train/checkpoint.js';
import { createModel, disposeModel, namedVariables } from '../../src/models/params.js';
import { modelSpec } from '../../src/models/zoo.js';
import { blobDataset } from '../helpers.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pqk-train-'));
  dirs.push(d);
  return d;
}
before(async () => {
  await tf.setBackend('cpu');
});
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const data = blobDataset({ inputShape: [6, 4, 1], classes: 3, train: 300, test: 150 });
const cfg: FloatConfig = { model: 'mlp', epochs: 3, batchSize: 50, lr: 0.01, optimizer: 'adam', weightDecay: 1, seed: 3 };
const quiet = () => {};

async function weights(dir: string): Promise<Float32Array[]> {
  const { model } = await loadCheckpoint(dir, 'float');
  return Promise.all([...namedVariables(model).values()].map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
}

test('float training learns the blobs and writes a finished checkpoint', async () => {
  const dir = tmp();
  const r = await trainFloat({ dir, data, cfg, log: quiet });
  assert.equal(r.state.epoch, 3);
  assert.equal(r.state.history.length, 3);
  assert.ok(r.state.history[2].loss < r.state.history[0].loss, 'loss goes down');
  assert.ok((await evaluate(data, floatLogits(r.model), 'test')) > 0.9);
  assert.ok(checkpointExists(dir, 'float'));
  assert.ok(!checkpointExists(dir, 'float-progress'), 'progress checkpoint removed once finished');
});

test('a stage leaves no tensor behind but its model: checkpoints of the optimizer state (each epoch) leak nothing', async () => {
  const before = tf.memory().numTensors;
  const r = await trainFloat({ dir: tmp(), data, cfg, log: quiet });
  disposeModel(r.model);
  assert.equal(tf.memory().numTensors, before);
});

test('a run killed mid-epoch resumes from its last epoch and ends with the same weights', async () => {
  const straight = tmp();
  await trainFloat({ dir: straight, data, cfg, log: quiet });
  const killed = tmp();
  await assert.rejects(
    trainFloat({
      dir: killed,
      data,
      cfg,
      log: quiet,
      onProgress: (p) => {
        if (p.epoch === 3) throw new Error('killed');
      },
    }),
    /killed/,
  );
  assert.ok(checkpointExists(killed, 'float-progress'));
  assert.ok(!checkpointExists(killed, 'float'));
  const lines: string[] = [];
  const r = await trainFloat({ dir: killed, data, cfg, log: (l) => lines.push(l) });
  assert.ok(
    lines.some((l) => /resuming after epoch 2\/3/.test(l)),
    lines.join('\n'),
  );
  assert.equal(r.state.history.length, 3);
  const [a, b] = [await weights(straight), await weights(killed)];
  assert.equal(a.length, b.length);
  a.forEach((w, i) => assert.deepEqual(w, b[i], `variable ${i} differs`));
});

test('a finished stage is loaded, not trained again', async () => {
  const dir = tmp();
  await trainFloat({ dir, data, cfg, log: quiet });
  const lines: string[] = [];
  let steps = 0;
  await trainFloat({ dir, data, cfg, log: (l) => lines.push(l), onProgress: () => steps++ });
  assert.equal(steps, 0);
  assert.ok(lines.some((l) => /finished earlier/.test(l)));
});

test('weight decay multiplies every batch-normed kernel by 1 - lr * weightDecay after the step, and leaves the dense head, biases and batch norm alone', async () => {
  const kws = blobDataset({ inputShape: [12, 6, 1], classes: 3, train: 40, test: 10 });
  const spec = modelSpec('ds-cnn', kws.inputShape, 3);
  const x = tf.tensor(kws.train.x.subarray(0, 20 * 72), [20, 12, 6, 1]);
  const y = tf.tensor1d(kws.train.y.subarray(0, 20), 'int32');
  const after = async (wd: number) => {
    const model = createModel(spec, 5);
    const opt = makeOptimizer('adam', 0.01);
    tf.dispose(floatStep(model, opt, 3, wd)(x, y, 0.01, 0));
    const vals = new Map<string, Float32Array>();
    for (const [name, v] of namedVariables(model)) vals.set(name, Float32Array.from((await v.data()) as Float32Array));
    disposeModel(model);
    opt.dispose();
    return vals;
  };
  const [plain, decayed] = [await after(0), await after(7)];
  const keep = Math.fround(1 - 0.01 * 7);
  let kernels = 0;
  let others = 0;
  for (const [name, a] of plain) {
    const b = decayed.get(name)!;
    const kernel = name.endsWith('/w') && name !== 'fc/w';
    for (let i = 0; i < a.length; i++) {
      const want = kernel ? Math.fround(a[i] * keep) : a[i];
      assert.equal(b[i], want, `${name}[${i}]: ${b[i]} against ${want}`);
    }
    if (kernel) kernels++;
    else others++;
  }
  assert.ok(kernels >= 5 && others >= 10, `${kernels} kernels, ${others} other variables`);
  tf.dispose([x, y]);
});

test('a weight decay that would flip the kernels is refused, naming the setting', async () => {
  await assert.rejects(
    trainFloat({ dir: tmp(), data, cfg: { ...cfg, lr: 0.01, weightDecay: 100 }, log: quiet }),
    /float\.weightDecay 100 with lr 0\.01/,
  );
});

test('phase 1 decays only the kept weights: the pruned ones keep their values for the teacher', async () => {
  const model = createModel(modelSpec('ds-cnn', [12, 6, 1], 3), 9);
  const before = new Map<string, { w: Float32Array; mask: Float32Array }>();
  for (const [name, p] of model.layers) {
    const mask = Float32Array.from({ length: p.w.size }, (_, i) => (i % 3 === 0 ? 0 : 1));
    p.mask.assign(tf.tensor(mask, p.w.shape));
    before.set(name, { w: Float32Array.from((await p.w.data()) as Float32Array), mask });
  }
  decayKernels(model, 0.01, 5, 'kept');
  const keep = Math.fround(1 - Math.fround(0.01 * 5));
  for (const [name, p] of model.layers) {
    const { w, mask } = before.get(name)!;
    const after = (await p.w.data()) as Float32Array;
    for (let i = 0; i < w.length; i++) {
      const want = mask[i] ? Math.fround(w[i] * keep) : w[i];
      assert.ok(Math.abs(after[i] - want) <= 1e-7 * Math.abs(w[i]), `${name}[${i}]: ${after[i]} against ${want}`);
    }
  }
  disposeModel(model);
});

test("phase 1 refuses such a weight decay too, naming phase1's setting, before it trains", async () => {
  await assert.rejects(
    runPhase1({
      dir: tmp(),
      data,
      cfg: { ...PHASE1_DEFAULTS, lr: 0.006, weightDecay: 500 },
      scheme: { weightBits: 8, perChannel: true },
      start: async () => {
        throw new Error('should not start');
      },
      log: quiet,
    }),
    /phase1\.weightDecay 500 with lr 0\.006: lr x weightDecay must lie in \[0, 1\)/,
  );
});
