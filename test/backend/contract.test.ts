// The backend contract: the same phase-1 QAT steps and phase-2 mutual steps, from the same checkpoint and on the same
// batches, on every backend that starts here (cpu, native, webgpu; tfjs-node and tfjs-node-gpu where installed), for a
// tiny DS-CNN and a tiny ResNet. On each backend:
//   - no step reads a tensor back to the host (a GPU backend keeps the whole step on the device);
//   - the fake-quant logits equal the integer reference's on every test sample (0 LSB): the exact requantization
//     kernels (backend/exact-rescale.ts, WGSL on webgpu) are the integer reference's arithmetic;
//   - the float weights stay within FLOAT_TOLERANCE of the cpu backend's (sums in another order round differently).
//     The steps use momentum SGD: Adam divides each gradient by its own running magnitude, so a weight whose gradient
//     is rounding noise (exactly 0 on one backend, 1e-12 on another: a dead ReLU channel) moves by a whole learning
//     rate on one backend and not the other, which says nothing about the backends' arithmetic;
//   - the integer model is what the cpu backend converts from that backend's own float weights, byte for byte: any
//     integer that differs from the cpu run's model comes from the float drift above (a weight near a rounding
//     boundary), never from the backend's arithmetic in the conversion. The count of such integers is printed.
// webgpu runs on Mesa's software Vulkan driver here (setup installs it); it is required, not skipped.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select.js';
import { evaluateQuantized } from '../../src/compress/pqk/evaluate.js';
import { PHASE1_DEFAULTS, qatStep, runPhase1 } from '../../src/compress/pqk/phase1.js';
import { PHASE2_DEFAULTS, phase2Step } from '../../src/compress/pqk/phase2.js';
import { toQModel } from '../../src/compress/quant/convert.js';
import type { QatState } from '../../src/compress/quant/qat.js';
import type { QModel } from '../../src/int/graph.js';
import { createModel, disposeModel, namedVariables, type Model } from '../../src/models/params.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { dsCnn, resnet } from '../../src/models/zoo.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { makeOptimizer, trainFloat } from '../../src/train/float.js';
import { batchTensors } from '../../src/train/loop.js';
import { blobDataset } from '../helpers.js';

const FLOAT_TOLERANCE = 1e-5; // largest |w_backend - w_cpu| of any weight, bias or batch-norm parameter
const REQUIRED = ['cpu', 'native', 'webgpu'];
const OPTIONAL = ['tfjs-node', 'tfjs-node-gpu'];
const STEPS = 3; // of phase 1, then of phase 2
const BATCH = 16;
const LR = 0.05;

interface Case {
  name: string;
  spec: ModelSpec;
  shape: number[];
}
const CASES: Case[] = [
  { name: 'ds-cnn', spec: dsCnn([49, 10, 1], 4, 8), shape: [49, 10, 1] },
  { name: 'resnet', spec: resnet([8, 8, 1], 3), shape: [8, 8, 1] },
];

interface Outcome {
  floats: Map<string, Float32Array>;
  model: QModel;
  reads: number;
  maxLogitDiffLsb: number;
  argmaxAgreement: number;
  dir: string; // the float state after the steps, as a checkpoint
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const quiet = (): void => {};
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'pqk-contract-'));
  dirs.push(d);
  return d;
};

// Counts host reads of tensors while fn runs: the Tensor methods, and on a backend that keeps tensors elsewhere than
// in host memory (webgpu, tfjs-node) its own read and readSync too, which catch a kernel that silently falls back to
// the CPU. (Kernels of the CPU backends read their own memory; that is not a transfer and not counted.)
function countReads(fn: () => void): number {
  const targets: [Record<string, (...a: unknown[]) => unknown>, string[]][] = [
    [
      tf.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>,
      ['dataSync', 'arraySync', 'bufferSync', 'data', 'array'],
    ],
  ];
  if (!['cpu', 'native'].includes(tf.getBackend()))
    targets.push([tf.backend() as unknown as Record<string, (...a: unknown[]) => unknown>, ['read', 'readSync']]);
  let reads = 0;
  const restore: (() => void)[] = [];
  for (const [obj, names] of targets)
    for (const n of names) {
      const own = Object.prototype.hasOwnProperty.call(obj, n);
      const saved = obj[n]!;
      obj[n] = function (this: unknown, ...a: unknown[]) {
        reads++;
        return saved.apply(this, a);
      };
      restore.push(() => (own ? (obj[n] = saved) : delete obj[n]));
    }
  try {
    fn();
  } finally {
    restore.forEach((r) => r());
  }
  return reads;
}

async function floats(m: Model): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of namedVariables(m)) out.set(k, Float32Array.from((await v.data()) as Float32Array));
  return out;
}

function intDifferences(a: QModel, b: QModel): number {
  assert.equal(a.tensors.length, b.tensors.length);
  let n = 0;
  a.tensors.forEach((t, i) => {
    const u = b.tensors[i]!;
    assert.equal(t.name, u.name);
    assert.deepEqual(t.shape, u.shape, `${t.name}: shape`);
    if (t.data) for (let k = 0; k < t.data.length; k++) if (t.data[k] !== u.data![k]) n++;
    for (let k = 0; k < t.scale.length; k++) if (t.scale[k] !== u.scale[k] || t.zeroPoint[k] !== u.zeroPoint[k]) n++;
  });
  return n;
}

const scheme = { weightBits: 8 as const, perChannel: true };

// The shared start: a float epoch and one prune + QAT round (50% unstructured), on the native backend.
async function start(c: Case): Promise<{ dir: string; qat: QatState; data: ReturnType<typeof blobDataset> }> {
  await initBackend('native');
  const dir = tmp();
  const data = blobDataset({ inputShape: c.shape, classes: c.spec.numClasses, train: 64, test: 40, seed: 3 });
  const f = await trainFloat({
    dir,
    data,
    cfg: { model: c.spec.name, epochs: 1, batchSize: BATCH, lr: 0.01, optimizer: 'adam', weightDecay: 0, seed: 2 },
    init: async () => createModel(c.spec, 2),
    log: quiet,
  });
  const p = await runPhase1({
    dir,
    data,
    cfg: { ...PHASE1_DEFAULTS, batchSize: BATCH, rounds: 1, finalEpochs: 1, sparsity: 0.5, scope: 'per-layer' },
    scheme,
    start: async () => f.model,
    log: quiet,
  });
  disposeModel(p.model);
  return { dir, qat: { ...p.qat, exact: undefined }, data };
}

async function runOn(backend: string, c: Case, s: Awaited<ReturnType<typeof start>>): Promise<Outcome> {
  await initBackend(backend);
  const { model } = await loadCheckpoint(s.dir, 'phase1');
  const qat: QatState = { ...s.qat, steps: 0, freezeAfterSteps: STEPS - 1 }; // ranges move, then freeze
  const classes = s.data.labels.length;
  const idx = Int32Array.from({ length: s.data.train.n }, (_, i) => i);
  const p1 = qatStep(model, makeOptimizer('sgd', LR), qat, qat.freezeAfterSteps, classes);
  const cfg = { ...PHASE2_DEFAULTS, batchSize: BATCH, lrStudent: LR / 2, lrTeacher: LR };
  const p2 = phase2Step({
    model,
    st: qat,
    cfg,
    classes,
    mutual: true,
    optS: makeOptimizer('sgd', cfg.lrStudent),
    optT: makeOptimizer('sgd', cfg.lrTeacher),
  });
  const batches = Array.from({ length: STEPS }, (_, k) => batchTensors(s.data.train, s.data.inputShape, idx, k * BATCH, (k + 1) * BATCH));
  const reads = countReads(() => {
    for (const { x, y } of batches) tf.tidy(() => p1(x, y, LR));
    for (const { x, y } of batches) tf.tidy(() => p2(x, y, cfg.lrStudent));
  });
  batches.forEach(({ x, y }) => tf.dispose([x, y]));
  const ev = await evaluateQuantized(model, qat, s.data, 'test');
  const out = tmp();
  await saveCheckpoint(out, 'contract', model, {});
  const result: Outcome = {
    floats: await floats(model),
    model: (await toQModel(model, { scheme, softmax: true, metadata: {} })).model,
    reads,
    maxLogitDiffLsb: ev.maxLogitDiffLsb,
    argmaxAgreement: ev.argmaxAgreement,
    dir: out,
  };
  disposeModel(model);
  return result;
}

for (const c of CASES)
  describe(`backend contract: ${c.name}, ${STEPS} phase-1 QAT steps and ${STEPS} phase-2 mutual steps`, () => {
    let s: Awaited<ReturnType<typeof start>>;
    let cpu: Outcome;
    before(async () => {
      s = await start(c);
      cpu = await runOn('cpu', c, s);
    });

    for (const backend of [...REQUIRED, ...OPTIONAL])
      it(`${backend}: no host reads, fake quant = integer reference, floats near cpu's, integers from its own floats`, async (t) => {
        if (OPTIONAL.includes(backend)) {
          const ok = await initBackend(backend).then(
            () => true,
            () => false,
          );
          if (!ok) return t.skip(`${backend} is not installed here`);
        }
        const r = backend === 'cpu' ? cpu : await runOn(backend, c, s);
        assert.equal(r.reads, 0, `${backend}: a training step read tensors back to the host`);
        assert.equal(r.maxLogitDiffLsb, 0, `${backend}: fake-quant logits differ from the integer reference`);
        assert.equal(r.argmaxAgreement, 1);
        let maxDiff = 0;
        for (const [k, v] of cpu.floats) {
          const w = r.floats.get(k)!;
          for (let i = 0; i < v.length; i++) maxDiff = Math.max(maxDiff, Math.abs(v[i]! - w[i]!));
        }
        assert.ok(maxDiff <= FLOAT_TOLERANCE, `${backend}: floats differ from cpu's by ${maxDiff}`);
        // The cpu backend converts this backend's floats into exactly this backend's integer model.
        await initBackend('cpu');
        const { model } = await loadCheckpoint(r.dir, 'contract');
        const again = (await toQModel(model, { scheme, softmax: true, metadata: {} })).model;
        disposeModel(model);
        assert.equal(intDifferences(r.model, again), 0, `${backend}: its conversion differs from the cpu backend's`);
        const drift = intDifferences(r.model, cpu.model);
        t.diagnostic(`${backend}: max float difference from cpu ${maxDiff.toExponential(2)}; ${drift} integers differ from cpu's model`);
      });
  });
