// Phase 2: the teacher is Q(W*M) + W*(1-M); each loss updates only its own weights; masks, quantizer ranges and
// batch-norm statistics are untouched; a step never reads tensors back to the host and leaks nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { qatStep, runPhase1, PHASE1_DEFAULTS } from '../../src/compress/pqk/phase1.js';
import { forwardFloat } from '../../src/models/forward.js';
import { crossEntropy } from '../../src/train/stage.js';
import { phase2Gradients, phase2Step, runPhase2, softKl, PHASE2_DEFAULTS, type Phase2Config } from '../../src/compress/pqk/phase2.js';
import { teacherKernel, teacherLogits } from '../../src/compress/pqk/teacher.js';
import { evaluateQuantized } from '../../src/compress/pqk/evaluate.js';
import { createModel, namedVariables, trainableVariables, type Model } from '../../src/models/params.js';
import { dsCnn, mlp } from '../../src/models/zoo.js';
import type { ModelSpec } from '../../src/models/spec.js';
import { trainFloat, makeOptimizer } from '../../src/train/float.js';
import { batchTensors } from '../../src/train/loop.js';
import { qatLogits, type QatState } from '../../src/compress/quant/qat.js';
import { blobDataset } from '../helpers.js';

const dirs: string[] = [];
before(async () => {
  await tf.setBackend('cpu');
});
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const quiet = () => {};

// One epoch of float training on blobs, in a fresh folder (the same model for the same spec).
async function floatModel(spec: ModelSpec, shape: number[]) {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-p2-'));
  dirs.push(dir);
  const data = blobDataset({ inputShape: shape, classes: spec.numClasses, train: 120, test: 60, seed: 9 });
  const f = await trainFloat({
    dir,
    data,
    cfg: { model: spec.name, epochs: 1, batchSize: 40, lr: 0.01, optimizer: 'adam', weightDecay: 0, seed: 4 },
    init: async () => createModel(spec, 4),
    log: quiet,
  });
  return { dir, data, model: f.model };
}

async function pruned(spec: ModelSpec, shape: number[]) {
  const { dir, data, model } = await floatModel(spec, shape);
  const p = await runPhase1({
    dir,
    data,
    cfg: { ...PHASE1_DEFAULTS, batchSize: 40, epochsPerRound: 1, finalEpochs: 1, rounds: 1, sparsity: 0.5, scope: 'per-layer' },
    scheme: { weightBits: 8, perChannel: true },
    start: async () => model,
    log: quiet,
  });
  return { dir, data, model: p.model, qat: p.qat };
}

async function snapshot(m: Model): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of namedVariables(m)) out.set(k, Float32Array.from((await v.data()) as Float32Array));
  return out;
}

function step(model: Model, qat: QatState, cfg: Phase2Config, mutual: boolean, data: ReturnType<typeof blobDataset>) {
  const optS = makeOptimizer('adam', cfg.lrStudent);
  const optT = makeOptimizer('adam', cfg.lrTeacher);
  const f = phase2Step({ model, st: qat, cfg, classes: data.labels.length, mutual, optS, optT });
  const idx = new Int32Array(data.train.n).map((_, i) => i);
  return () =>
    tf.tidy(() => {
      const { x, y } = batchTensors(data.train, data.inputShape, idx, 0, 40);
      return f(x, y, cfg.lrStudent);
    });
}

test('softKl is zero for equal distributions and matches a hand value', () => {
  const a = tf.tensor2d([[1, 2, 3]]);
  assert.ok(Math.abs(softKl(a, a, 2).dataSync()[0]) < 1e-6);
  // p = softmax([0, ln 3]) = [0.25, 0.75], q = [0.5, 0.5]: KL = 0.25 ln 0.5 + 0.75 ln 1.5
  const v = softKl(tf.tensor2d([[0, Math.log(3)]]), tf.tensor2d([[0, 0]]), 1).dataSync()[0];
  assert.ok(Math.abs(v - (0.25 * Math.log(0.5) + 0.75 * Math.log(1.5))) < 1e-5);
});

test('the teacher kernel is the quantized important part plus the float unimportant part', async () => {
  const { model, qat } = await pruned(mlp([6, 4, 1], 3), [6, 4, 1]);
  const p = model.layers.get('fc1')!;
  const [w, mask, wt] = await Promise.all([p.w.data(), p.mask.data(), teacherKernel(model, 'fc1', qat).w.data()]);
  const maxImportant = Math.max(...Array.from(w).map((v, i) => (mask[i] ? Math.abs(v) : 0)));
  const s = maxImportant / 127; // per-tensor for dense layers
  for (let i = 0; i < w.length; i++) {
    const want = mask[i] ? Math.round(w[i] / s) * s : w[i];
    assert.ok(Math.abs(wt[i] - want) < 1e-5 * Math.max(1, Math.abs(want)), `element ${i}: ${wt[i]} vs ${want}`);
  }
});

for (const mutual of [false, true])
  test(`${mutual ? 'mutual' : 'warm-up'} step: student updates only important weights, teacher only unimportant ones`, async () => {
    const { model, qat, data } = await pruned(mlp([6, 4, 1], 3), [6, 4, 1]);
    for (const frozen of ['teacher', 'student'] as const) {
      const before = await snapshot(model);
      const cfg = { ...PHASE2_DEFAULTS, lrStudent: frozen === 'student' ? 0 : 0.01, lrTeacher: frozen === 'teacher' ? 0 : 0.01 };
      step(model, qat, cfg, mutual, data)().dispose();
      const afterS = await snapshot(model);
      for (const [name, p] of model.layers) {
        const mask = (await p.mask.data()) as Float32Array;
        const [w0, w1] = [before.get(`${name}/w`)!, afterS.get(`${name}/w`)!];
        let changedImportant = 0;
        let changedUnimportant = 0;
        for (let i = 0; i < w0.length; i++) if (w0[i] !== w1[i]) mask[i] ? changedImportant++ : changedUnimportant++;
        if (frozen === 'teacher') {
          assert.equal(changedUnimportant, 0, `${name}: a frozen teacher changed unimportant weights`);
          assert.ok(changedImportant > 0, `${name}: the student changed nothing`);
        } else {
          assert.equal(changedImportant, 0, `${name}: a frozen student changed important weights`);
          assert.ok(changedUnimportant > 0, `${name}: the teacher changed nothing`);
        }
        assert.deepEqual(afterS.get(`${name}/mask`), before.get(`${name}/mask`));
      }
      for (const [k, v] of before) if (k.endsWith('/rmin') || k.endsWith('/rmax')) assert.deepEqual(afterS.get(k), v, `${k} moved`);
    }
  });

test('phase 2 keeps batch-norm statistics, masks and ranges; the integer reference still agrees; no host reads, no leaks', async () => {
  const { model, qat, data, dir } = await pruned(dsCnn([49, 10, 1], 3, 8), [49, 10, 1]);
  const before = await snapshot(model);
  const cfg = { ...PHASE2_DEFAULTS, batchSize: 40 };
  const run = step(model, qat, cfg, true, data);
  run().dispose();
  run().dispose();
  // Host reads of tensors (kernels of the cpu backend read their own memory; that is not a transfer and not counted).
  const proto = tf.Tensor.prototype as unknown as Record<
    'dataSync' | 'arraySync' | 'bufferSync' | 'data' | 'array',
    (...a: unknown[]) => unknown
  >;
  const names = ['dataSync', 'arraySync', 'bufferSync', 'data', 'array'] as const;
  const saved = names.map((n) => proto[n]);
  let reads = 0;
  names.forEach((n, i) => {
    proto[n] = function (this: unknown, ...a: unknown[]) {
      reads++;
      return saved[i].apply(this, a);
    };
  });
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) run().dispose();
  names.forEach((n, i) => (proto[n] = saved[i]));
  assert.equal(reads, 0, 'a training step read tensors back to the host');
  assert.equal(tf.memory().numTensors, tensors, 'tensor count grows across steps');
  const after2 = await snapshot(model);
  for (const [k, v] of before) if (/\/(mean|variance|mask|rmin|rmax)$/.test(k)) assert.deepEqual(after2.get(k), v, `${k} changed`);
  const ev = await evaluateQuantized(model, qat, data, 'test');
  assert.equal(ev.argmaxAgreement, 1);
  assert.equal(ev.maxLogitDiffLsb, 0);
  for (const s of Object.values(ev.sparsityPerLayer)) assert.ok(Math.abs(s - 0.5) < 0.01);
  // The full stage runs and resumes as a no-op once finished.
  const r = await runPhase2({ dir, data, cfg: { ...cfg, warmupEpochs: 1, mutualEpochs: 1 }, qat, start: async () => model, log: quiet });
  assert.equal(r.state.done, true);
});

test('phase 1 distillation from the float model: the step loss is CE + weight * tau^2 * KL to the frozen teacher', async () => {
  const { data, model, qat } = await pruned(mlp([6], 3), [6]);
  const teacher = createModel(mlp([6], 3), 11);
  const idx = new Int32Array(data.train.n).map((_, i) => i);
  const { x, y } = batchTensors(data.train, data.inputShape, idx, 0, 40);
  const st: QatState = { ...qat, observe: false };
  const expected = tf.tidy(() => {
    const s = qatLogits(model, x, st);
    const t = forwardFloat(teacher, x, { training: false });
    return tf.add(crossEntropy(s, y, 3), tf.mul(0.5 * 3 * 3, softKl(t, s, 3))).dataSync()[0]!;
  });
  const before = await snapshot(teacher);
  const f = qatStep(model, makeOptimizer('adam', 0), st, 0, 3, { teacher, weight: 0.5, tau: 3 });
  const loss = f(x, y, 0);
  assert.ok(Math.abs(loss.dataSync()[0]! - expected) < 1e-5, `${loss.dataSync()[0]} vs ${expected}`);
  const after = await snapshot(teacher);
  for (const [k, v] of before) assert.deepEqual(after.get(k), v, `teacher ${k} unchanged`);
  tf.dispose([loss, x, y]);
});

// The two-tape formulation the single-tape step replaces: the student's forward once for the teacher's target and
// once under its own tape, the teacher differentiated over the weights only.
function twoTapeGradients(model: Model, st: QatState, cfg: Phase2Config, mutual: boolean, classes: number, x: tf.Tensor, y: tf.Tensor) {
  const opts = { quantizeActivations: cfg.teacherQuantizeActivations, batchNorm: cfg.teacherBatchNorm };
  const kd = cfg.lambda * cfg.tau * cfg.tau;
  const layers = [...model.layers.values()];
  const sConst = mutual ? tf.keep(qatLogits(model, x, st)) : undefined;
  let tConst: tf.Tensor | undefined;
  const t = tf.variableGrads(
    () => {
      const logits = teacherLogits(model, x, st, opts);
      tConst = tf.keep(tf.clone(logits));
      const ce = crossEntropy(logits, y, classes);
      return mutual ? (tf.add(ce, tf.mul(kd, softKl(sConst!, logits, cfg.tau))) as tf.Scalar) : ce;
    },
    layers.map((l) => l.w),
  );
  const s = tf.variableGrads(() => {
    const logits = qatLogits(model, x, st);
    const ce = crossEntropy(logits, y, classes);
    return mutual ? (tf.add(ce, tf.mul(kd, softKl(tConst!, logits, cfg.tau))) as tf.Scalar) : ce;
  }, trainableVariables(model));
  const gS: Record<string, tf.Tensor> = { ...s.grads };
  const gT: Record<string, tf.Tensor> = {};
  for (const l of layers) {
    gS[l.w.name] = tf.mul(s.grads[l.w.name]!, l.mask);
    gT[l.w.name] = tf.mul(t.grads[l.w.name]!, tf.sub(1, l.mask));
  }
  return { loss: s.value, gS, gT };
}

for (const [label, spec, shape, teacherBatchNorm] of [
  ['DS-CNN, teacher batch norm from the batch', dsCnn([49, 10, 1], 3, 8), [49, 10, 1], 'batch'],
  ['DS-CNN, teacher batch norm frozen', dsCnn([49, 10, 1], 3, 8), [49, 10, 1], 'frozen'],
  ['MLP (biases, no batch norm)', mlp([6, 4, 1], 3), [6, 4, 1], 'batch'],
] as const)
  test(`one tape gives both sides the gradients of their own losses (${label})`, async () => {
    const { model, qat, data } = await pruned(spec, shape as unknown as number[]);
    const idx = new Int32Array(data.train.n).map((_, i) => i);
    for (const mutual of [false, true])
      tf.tidy(() => {
        const { x, y } = batchTensors(data.train, data.inputShape, idx, 0, 40);
        const cfg = { ...PHASE2_DEFAULTS, teacherBatchNorm };
        const got = phase2Gradients({ model, st: qat, cfg, classes: data.labels.length, mutual }, x, y);
        const want = twoTapeGradients(model, qat, cfg, mutual, data.labels.length, x, y);
        assert.equal(got.loss.dataSync()[0], want.loss.dataSync()[0], `${mutual ? 'mutual' : 'warm-up'}: student loss`);
        for (const side of ['gS', 'gT'] as const) {
          assert.deepEqual(Object.keys(got[side]).sort(), Object.keys(want[side]).sort(), `${side}: the same variables`);
          for (const [k, g] of Object.entries(want[side])) {
            const [a, b] = [got[side][k]!.dataSync(), g.dataSync()];
            let worst = 0;
            for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1e-3, Math.abs(b[i]!)));
            assert.ok(worst <= 1e-6, `${mutual ? 'mutual' : 'warm-up'} ${side} ${k}: relative difference ${worst}`);
          }
        }
      });
  });

// One round: from the second round on, normalizeKernelScale's rms reads the pruned weights too, and the shadow's
// changes to them move the student's scale a little.
test('phase 1 with the dense shadow: the same student; the pruned weights learn, and lower the teacher loss', async () => {
  const runs = [];
  for (const shadow of [false, true]) {
    const { dir, data, model } = await floatModel(dsCnn([49, 10, 1], 3, 8), [49, 10, 1]);
    const cfg = {
      ...PHASE1_DEFAULTS,
      batchSize: 40,
      epochsPerRound: 1,
      finalEpochs: 3,
      rounds: 1,
      sparsity: 0.5,
      pattern: 'channel' as const,
      shadow,
    };
    const p = await runPhase1({ dir, data, cfg, scheme: { weightBits: 8, perChannel: true }, start: async () => model, log: quiet });
    const idx = new Int32Array(data.train.n).map((_, i) => i);
    const { x, y } = batchTensors(data.train, data.inputShape, idx, 0, data.train.n);
    const teacherLoss = tf.tidy(() => crossEntropy(teacherLogits(p.model, x, p.qat, { quantizeActivations: false }), y, 3).dataSync()[0]!);
    tf.dispose([x, y]);
    runs.push({ vars: await snapshot(p.model), teacherLoss });
  }
  const [plain, shadowed] = runs;
  let moved = 0;
  for (const [k, v] of plain!.vars) {
    const w = shadowed!.vars.get(k)!;
    if (!k.endsWith('/w')) {
      assert.deepEqual(w, v, `${k} differs with the shadow`);
      continue;
    }
    const mask = plain!.vars.get(k.replace(/\/w$/, '/mask'))!;
    for (let i = 0; i < v.length; i++) {
      if (mask[i] === 1) assert.equal(w[i], v[i], `${k}[${i}] is kept and differs with the shadow`);
      else if (w[i] !== v[i]) moved++;
    }
  }
  assert.ok(moved > 100, `${moved} pruned weights moved`);
  assert.ok(
    shadowed!.teacherLoss < plain!.teacherLoss,
    `teacher loss ${shadowed!.teacherLoss} with the shadow, ${plain!.teacherLoss} without`,
  );
});
