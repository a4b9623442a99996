// The epoch loop every stage shares: seeded shuffling, batches, a learning-rate schedule, evaluation, a checkpoint
// per epoch. What one step computes is the caller's (float, QAT, PQK); nothing here reads tensors back per step.
import * as tf from '@tensorflow/tfjs-core';
import type { Split } from '../data/types.js';
import { mulberry32, permutation } from '../util/rng.js';

export interface LoopConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  schedule: 'cosine' | 'constant';
  seed: number;
}

export interface Progress {
  stage: string;
  epoch: number; // 1-based
  epochs: number;
  step: number; // within the epoch
  steps: number;
  samplesPerSec: number;
  etaSec: number;
  loss?: number; // mean over the epoch so far (read every few steps, asynchronously)
}

export interface EpochEnd {
  epoch: number;
  loss: number;
  valAccuracy?: number;
  seconds: number;
}

export type StepFn = (x: tf.Tensor, y: tf.Tensor, lr: number, globalStep: number) => tf.Scalar;

export function learningRate(cfg: LoopConfig, epoch: number, step: number, steps: number): number {
  if (cfg.schedule === 'constant') return cfg.lr;
  const t = (epoch + step / steps) / cfg.epochs;
  return cfg.lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
}

export function batchTensors(
  split: Split,
  inputShape: number[],
  idx: Int32Array,
  from: number,
  to: number,
): { x: tf.Tensor; y: tf.Tensor } {
  const per = inputShape.reduce((a, b) => a * b, 1);
  const n = to - from;
  const xb = new Float32Array(n * per);
  const yb = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = idx[from + i];
    xb.set(split.x.subarray(s * per, (s + 1) * per), i * per);
    yb[i] = split.y[s];
  }
  return { x: tf.tensor(xb, [n, ...inputShape]), y: tf.tensor1d(yb, 'int32') };
}

export interface RunLoopArgs {
  stage: string;
  cfg: LoopConfig;
  train: Split;
  inputShape: number[];
  startEpoch: number; // 0-based epoch to start from (resume)
  step: StepFn;
  onProgress?: (p: Progress) => void;
  onEpochEnd: (e: EpochEnd) => Promise<void>; // evaluate + checkpoint
}

export async function runLoop(a: RunLoopArgs): Promise<void> {
  const { train } = a;
  if (train.n === 0) throw new Error('the training split is empty');
  const cfg = { ...a.cfg, batchSize: Math.min(a.cfg.batchSize, train.n) }; // a tiny set trains in one smaller batch
  const steps = Math.floor(train.n / cfg.batchSize);
  for (let epoch = a.startEpoch; epoch < cfg.epochs; epoch++) {
    const order = permutation(train.n, mulberry32(cfg.seed * 7919 + epoch));
    const t0 = Date.now();
    let lossSum = tf.scalar(0);
    let shownLoss: number | undefined;
    for (let s = 0; s < steps; s++) {
      const lr = learningRate(cfg, epoch, s, steps);
      const loss = tf.tidy(() => {
        const { x, y } = batchTensors(train, a.inputShape, order, s * cfg.batchSize, (s + 1) * cfg.batchSize);
        return a.step(x, y, lr, epoch * steps + s);
      });
      const next = tf.add(lossSum, loss) as tf.Scalar;
      lossSum.dispose();
      loss.dispose();
      lossSum = next;
      if (a.onProgress && (s % 10 === 9 || s === steps - 1)) {
        shownLoss = ((await lossSum.data())[0] as number) / (s + 1);
        const el = (Date.now() - t0) / 1000;
        const rate = ((s + 1) * cfg.batchSize) / Math.max(el, 1e-3);
        const left = (cfg.epochs - epoch - 1) * steps + (steps - s - 1);
        a.onProgress({
          stage: a.stage,
          epoch: epoch + 1,
          epochs: cfg.epochs,
          step: s + 1,
          steps,
          samplesPerSec: rate,
          etaSec: (left * cfg.batchSize) / rate,
          loss: shownLoss,
        });
      }
    }
    const loss = ((await lossSum.data())[0] as number) / steps;
    lossSum.dispose();
    await a.onEpochEnd({ epoch: epoch + 1, loss, seconds: (Date.now() - t0) / 1000 });
  }
}

// Argmax predictions of a forward function over a split, in batches.
export async function predict(
  split: Split,
  inputShape: number[],
  forward: (x: tf.Tensor) => tf.Tensor,
  batchSize = 256,
): Promise<Int32Array> {
  const out = new Int32Array(split.n);
  const idx = new Int32Array(split.n).map((_, i) => i);
  for (let from = 0; from < split.n; from += batchSize) {
    const to = Math.min(split.n, from + batchSize);
    const pred = tf.tidy(() => tf.argMax(forward(batchTensors(split, inputShape, idx, from, to).x), -1));
    out.set((await pred.data()) as Int32Array, from);
    pred.dispose();
  }
  return out;
}

export function accuracy(pred: Int32Array, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === y[i]) ok++;
  return pred.length ? ok / pred.length : 0;
}

export function confusionMatrix(pred: Int32Array, y: Int32Array, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < pred.length; i++) m[y[i]][pred[i]]++;
  return m;
}
