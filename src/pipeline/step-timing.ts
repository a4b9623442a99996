// Times the training steps pqk runs, on the model pqk trains (the zoo's, or a run's float checkpoint), on the active
// tfjs backend: the float step of stage 'float', the QAT step of phase 1 (ranges observed, the slower half of a
// round) and the mutual step of phase 2 (student and teacher). Warm-up steps first, then the median of N steps, wall
// and process CPU time.
import * as tf from '@tensorflow/tfjs-core';
import { phase2Step, PHASE2_DEFAULTS } from '../compress/pqk/phase2.js';
import { PHASE1_DEFAULTS, qatStep } from '../compress/pqk/phase1.js';
import type { QatState } from '../compress/quant/qat.js';
import { createModel, disposeModel, type Model } from '../models/params.js';
import { modelSpec } from '../models/zoo.js';
import { checkpointsDir } from './config.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { FLOAT_DEFAULTS, floatStep, makeOptimizer } from '../train/float.js';
import type { StepFn } from '../train/loop.js';

export const STEP_KINDS = ['float', 'qat', 'phase2'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface StepTiming {
  backend: string;
  model: string;
  step: StepKind;
  batch: number;
  steps: number; // timed steps, after the warm-up ones
  msPerStep: number; // median
  minMs: number;
  cpuMsPerStep: number; // median process CPU time (all threads): less sensitive than wall time to a busy machine
  loss: number; // last training loss (finite when the step computed something real)
}

export interface TimingOptions {
  model: string;
  from?: string; // a run folder: time its float checkpoint (an imported model) instead of the zoo model
  step: StepKind;
  batch: number;
  steps: number;
  warmup: number;
  seed?: number;
}

// The input shape and classes each zoo model is trained on by default (KWS MFCCs; 28x28 images).
export function benchShape(model: string): { inputShape: number[]; classes: number } {
  return model.startsWith('ds-cnn') ? { inputShape: [49, 10, 1], classes: 12 } : { inputShape: [28, 28, 1], classes: 10 };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// The model the steps run: the run's float checkpoint, or the zoo model at its benchmark shape.
async function benchModel(
  o: Pick<TimingOptions, 'model' | 'from' | 'seed'>,
): Promise<{ model: Model; inputShape: number[]; classes: number }> {
  if (o.from) {
    const { model } = await loadCheckpoint(checkpointsDir(o.from), 'float');
    return { model, inputShape: model.spec.inputShape, classes: model.spec.numClasses };
  }
  const { inputShape, classes } = benchShape(o.model);
  return { model: createModel(modelSpec(o.model, inputShape, classes), o.seed ?? 1), inputShape, classes };
}

function makeStep(kind: StepKind, model: Model, inputShape: number[], classes: number, lr: number): { step: StepFn; dispose: () => void } {
  const opt = makeOptimizer('adam', lr);
  if (kind === 'float') return { step: floatStep(model, opt, classes, FLOAT_DEFAULTS.weightDecay), dispose: () => opt.dispose() };
  const st: QatState = { scheme: { weightBits: 8, perChannel: true }, emaDecay: 0.95, freezeAfterSteps: Infinity, steps: 0, observe: true };
  if (kind === 'qat')
    return { step: qatStep(model, opt, st, Infinity, classes, undefined, PHASE1_DEFAULTS.weightDecay), dispose: () => opt.dispose() };
  // Phase 2 after phase 1: ranges observed once, then frozen; masks as they are (the step's cost does not depend on them).
  const observeOnce = makeOptimizer('adam', 0);
  tf.tidy(() => qatStep(model, observeOnce, st, 1, classes)(tf.zeros([2, ...inputShape]), tf.zeros([2], 'int32'), 0));
  observeOnce.dispose();
  st.observe = false;
  const optT = makeOptimizer('adam', lr);
  const step = phase2Step({ model, st, cfg: PHASE2_DEFAULTS, classes, mutual: true, optS: opt, optT });
  return { step, dispose: () => (opt.dispose(), optT.dispose()) };
}

// One optimizer step per timed step, on a fixed random batch. Each step ends when its loss has been read back
// (asynchronously: a GPU backend has no synchronous read in Node), so the time is the step's, queue included.
export async function timeTrainingSteps(o: TimingOptions): Promise<StepTiming> {
  const seed = o.seed ?? 1;
  const { model, inputShape, classes } = await benchModel(o);
  const x = tf.randomNormal([o.batch, ...inputShape], 0, 1, 'float32', seed + 6);
  const y = tf.randomUniform([o.batch], 0, classes, 'int32', seed + 7);
  const { step, dispose } = makeStep(o.step, model, inputShape, classes, 1e-3);
  const times: number[] = [];
  const cpu: number[] = [];
  let loss = NaN;
  for (let i = 0; i < o.warmup + o.steps; i++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    const l = tf.tidy(() => step(x, y, 1e-3, i));
    loss = ((await l.data()) as Float32Array)[0]!;
    l.dispose();
    const c = process.cpuUsage(c0);
    if (i >= o.warmup) (times.push(performance.now() - t0), cpu.push((c.user + c.system) / 1000));
  }
  dispose();
  disposeModel(model);
  tf.dispose([x, y]);
  return {
    backend: tf.getBackend(),
    model: o.model,
    step: o.step,
    batch: o.batch,
    steps: o.steps,
    msPerStep: median(times),
    minMs: Math.min(...times),
    cpuMsPerStep: median(cpu),
    loss,
  };
}

export interface KernelShare {
  kernel: string;
  ms: number;
  calls: number;
}

// Per-kernel time of one step (after a warm-up step), largest first: where the step's time goes.
export async function profileTrainingStep(o: Omit<TimingOptions, 'steps' | 'warmup'>): Promise<{ kernels: KernelShare[]; stepMs: number }> {
  const { model, inputShape, classes } = await benchModel(o);
  const x = tf.randomNormal([o.batch, ...inputShape], 0, 1, 'float32', 7);
  const y = tf.randomUniform([o.batch], 0, classes, 'int32', 8);
  const { step, dispose } = makeStep(o.step, model, inputShape, classes, 1e-3);
  const warm = tf.tidy(() => step(x, y, 1e-3, 0));
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    const l = tf.tidy(() => step(x, y, 1e-3, 1));
    await l.data();
    l.dispose();
  });
  const stepMs = performance.now() - t0;
  const byName = new Map<string, KernelShare>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
    e.ms += k.kernelTimeMs as number;
    e.calls++;
    byName.set(k.name, e);
  }
  dispose();
  disposeModel(model);
  tf.dispose([x, y]);
  return { kernels: [...byName.values()].sort((a, b) => b.ms - a.ms), stepMs };
}
