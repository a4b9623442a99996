// Phase 1 scales batch-normed kernels that weight decay left small back up to their initialization's rms before QAT:
// the model must compute exactly what it did, and a kernel already at that scale must not move.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { normalizeKernelScale } from '../../src/compress/pqk/phase1.js';
import { forwardFloat } from '../../src/models/forward.js';
import { createModel, disposeModel, namedVariables, type Model } from '../../src/models/params.js';
import { modelSpec } from '../../src/models/zoo.js';
import { mulberry32, normal } from '../../src/util/rng.js';

before(async () => {
  await tf.setBackend('cpu');
});

// Kernels shrunk by `scale` (as weight decay leaves them) and moving statistics of every size, some below eps.
function shrunk(name: string, inputShape: number[], scale: number, seed: number): Model {
  const model = createModel(modelSpec(name, inputShape, 5), seed);
  const rng = mulberry32(seed);
  for (const p of model.layers.values()) {
    p.w.assign(tf.mul(p.w, scale));
    if (!p.bn) continue;
    const c = p.bn.variance.shape[0]!;
    p.bn.variance.assign(tf.tensor1d(Array.from({ length: c }, (_, i) => (i % 3 === 0 ? 1e-9 : 10 ** (4 * rng() - 5)))));
    p.bn.mean.assign(tf.tensor1d(Array.from({ length: c }, () => normal(rng) * scale)));
    p.bn.gamma.assign(tf.tensor1d(Array.from({ length: c }, () => 0.5 + rng())));
  }
  return model;
}

for (const [name, inputShape] of [
  ['ds-cnn', [20, 8, 1]],
  ['resnet', [12, 12, 1]],
] as const) {
  test(`${name}: normalizeKernelScale keeps the inference logits and brings every kernel to its initialization's rms`, async () => {
    const model = shrunk(name, [...inputShape], 0.01, 3);
    const x = tf.randomNormal([6, ...inputShape], 0, 1, 'float32', 4);
    const before = (await forwardFloat(model, x, { training: false }).data()) as Float32Array;
    const kernelRms = async () => {
      let ss = 0;
      let n = 0;
      for (const p of model.layers.values()) {
        if (!p.bn) continue;
        for (const v of (await p.w.data()) as Float32Array) ss += v * v;
        n += p.w.size;
      }
      return Math.sqrt(ss / n);
    };
    const rmsBefore = await kernelRms();
    normalizeKernelScale(model);
    const after = (await forwardFloat(model, x, { training: false }).data()) as Float32Array;
    let scale = 0;
    for (const v of before) scale = Math.max(scale, Math.abs(v));
    assert.ok(scale > 1e-3, `logits of size ${scale}`);
    for (let i = 0; i < before.length; i++)
      assert.ok(Math.abs(after[i] - before[i]) <= 1e-5 * scale, `logit ${i}: ${after[i]} against ${before[i]}`);
    for (const p of model.layers.values()) {
      if (!p.bn) continue;
      const w = (await p.w.data()) as Float32Array;
      const rms = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
      const he = Math.sqrt((2 * p.bn.variance.shape[0]!) / p.w.size);
      assert.ok(Math.abs(rms / he - 1) < 1e-4, `${p.spec.name}: kernel rms ${rms} against ${he}`);
      for (const v of (await p.bn.variance.data()) as Float32Array) assert.ok(v >= 0, `${p.spec.name}: variance ${v}`);
    }
    assert.ok((await kernelRms()) > 5 * rmsBefore, `kernels rescaled: rms ${rmsBefore} -> ${await kernelRms()}`);
    tf.dispose(x);
    disposeModel(model);
  });
}

test('kernels above their initialization rms (a float model trained without decay) are left as they are, bit for bit', async () => {
  const model = createModel(modelSpec('ds-cnn', [20, 8, 1], 5), 7);
  for (const p of model.layers.values()) p.w.assign(tf.mul(p.w, 1.2));
  const snapshot = async () =>
    Promise.all([...namedVariables(model).values()].map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
  const before = await snapshot();
  normalizeKernelScale(model);
  const after = await snapshot();
  before.forEach((v, i) => assert.deepEqual(after[i], v, `variable ${i}`));
  disposeModel(model);
});
