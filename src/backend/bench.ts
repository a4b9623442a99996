// Times DS-CNN training (or forward) steps on the active tfjs backend: warm-up first, then the median of N steps.
import * as tf from '@tensorflow/tfjs-core';
import { createDsCnnTrainer, dsCnnForward, randomDsCnnBatch, type BnMode } from './dscnn-step.js';

export interface StepTiming {
  backend: string;
  mode: 'train' | 'forward';
  bn: BnMode;
  batch: number;
  steps: number; // timed steps, after the warm-up ones
  msPerStep: number; // median
  minMs: number;
  cpuMsPerStep: number; // median process CPU time (all threads): less sensitive than wall time to a busy machine
  loss?: number; // last training loss (finite when the step computed something real)
}

export interface TimingOptions {
  batch: number;
  steps: number;
  warmup: number;
  bn?: BnMode; // default 'moments'
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

type Loop = { msPerStep: number; minMs: number; cpuMsPerStep: number; last?: number };

function timeLoop(opts: TimingOptions, body: () => number | undefined): Loop {
  let last: number | undefined;
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < opts.warmup + opts.steps; i++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    last = body();
    const c = process.cpuUsage(c0);
    if (i >= opts.warmup) times.push(performance.now() - t0), cpu.push((c.user + c.system) / 1000);
  }
  return { msPerStep: median(times), minMs: Math.min(...times), cpuMsPerStep: median(cpu), last };
}

// One Adam step of DS-CNN per timed step (batch norm in training mode, softmax cross-entropy).
export function timeDsCnnTraining(opts: TimingOptions): StepTiming {
  const bn = opts.bn ?? 'moments';
  const trainer = createDsCnnTrainer(1, 1e-3, bn);
  const { x, labels } = randomDsCnnBatch(opts.batch);
  const r = timeLoop(opts, () => trainer.step(x, labels));
  trainer.dispose();
  tf.dispose([x, labels]);
  const { msPerStep, minMs, cpuMsPerStep } = r;
  return { backend: tf.getBackend(), mode: 'train', bn, batch: opts.batch, steps: opts.steps, msPerStep, minMs, cpuMsPerStep, loss: r.last };
}

// Forward pass only, for backends that lack the gradient kernels.
export function timeDsCnnForward(opts: TimingOptions): StepTiming {
  const bn = opts.bn ?? 'moments';
  const trainer = createDsCnnTrainer(1, 1e-3, bn);
  const { x, labels } = randomDsCnnBatch(opts.batch);
  const r = timeLoop(opts, () => {
    const y = tf.tidy(() => dsCnnForward(trainer.model, x, bn));
    y.dataSync();
    y.dispose();
    return undefined;
  });
  trainer.dispose();
  tf.dispose([x, labels]);
  const { msPerStep, minMs, cpuMsPerStep } = r;
  return { backend: tf.getBackend(), mode: 'forward', bn, batch: opts.batch, steps: opts.steps, msPerStep, minMs, cpuMsPerStep };
}

export interface KernelShare { kernel: string; ms: number; calls: number }

// Per-kernel time of one training step (after a warm-up step), largest first: where the step's time goes.
export async function profileDsCnnStep(batch: number, bn: BnMode = 'moments'): Promise<{ kernels: KernelShare[]; stepMs: number }> {
  const trainer = createDsCnnTrainer(1, 1e-3, bn);
  const { x, labels } = randomDsCnnBatch(batch);
  trainer.step(x, labels);
  const t0 = performance.now();
  const info = await tf.profile(() => {
    trainer.step(x, labels);
  });
  const stepMs = performance.now() - t0;
  const byName = new Map<string, KernelShare>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
    e.ms += k.kernelTimeMs as number;
    e.calls++;
    byName.set(k.name, e);
  }
  trainer.dispose();
  tf.dispose([x, labels]);
  return { kernels: [...byName.values()].sort((a, b) => b.ms - a.ms), stepMs };
}
