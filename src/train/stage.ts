// One resumable training stage: start from a model (or from this stage's last epoch checkpoint), run the epoch loop,
// evaluate and checkpoint each epoch, and mark the stage finished with a final checkpoint. A finished stage is
// loaded, never repeated.
import * as tf from '@tensorflow/tfjs-core';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/types.js';
import { disposeModel, type Model } from '../models/params.js';
import { checkpointExists, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { accuracy, predict, runLoop, type LoopConfig, type Progress, type StepFn } from './loop.js';

export interface StageState {
  epoch: number; // epochs finished
  done: boolean;
  valAccuracy?: number;
  history: { epoch: number; loss: number; valAccuracy: number; seconds: number }[];
  extra?: Record<string, unknown>; // stage-specific (quantizer counters, masks' levels, ...)
}

export interface StageArgs {
  dir: string; // checkpoints folder of the run
  stage: string;
  data: Dataset;
  cfg: LoopConfig;
  init: () => Promise<Model>; // the starting model when there is nothing to resume
  makeOptimizer: (lr: number) => tf.Optimizer;
  // `optimizers`: any optimizer the step uses besides `opt` (the teacher's in phase 2); checkpointed with it.
  makeStep: (
    model: Model,
    opt: tf.Optimizer,
    restoredExtra?: Record<string, unknown>,
  ) => { step: StepFn; extra: () => Record<string, unknown>; optimizers?: tf.Optimizer[] };
  evalLogits: (model: Model) => (x: tf.Tensor) => tf.Tensor;
  onProgress?: (p: Progress) => void;
  log: (line: string) => void;
}

export async function runStage(a: StageArgs): Promise<{ model: Model; state: StageState }> {
  if (checkpointExists(a.dir, a.stage)) {
    const done = await loadCheckpoint<StageState>(a.dir, a.stage);
    a.log(`${a.stage}: finished earlier (val accuracy ${formatAccuracy(done.state.valAccuracy)}), loaded`);
    return done;
  }
  const progressName = `${a.stage}-progress`;
  const opt = a.makeOptimizer(a.cfg.lr);
  let model: Model;
  let state: StageState;
  if (checkpointExists(a.dir, progressName)) {
    const resumed = await loadCheckpoint<StageState>(a.dir, progressName);
    model = resumed.model;
    state = resumed.state;
    a.log(`${a.stage}: resuming after epoch ${state.epoch}/${a.cfg.epochs}`);
  } else {
    model = await a.init();
    state = { epoch: 0, done: false, history: [] };
  }
  const { step, extra, optimizers: others = [] } = a.makeStep(model, opt, state.extra);
  const optimizers = [opt, ...others];
  if (state.epoch > 0) await restoreOptimizers(a.dir, progressName, optimizers);
  await runLoop({
    stage: a.stage,
    cfg: a.cfg,
    train: a.data.train,
    inputShape: a.data.inputShape,
    startEpoch: state.epoch,
    step,
    onProgress: a.onProgress,
    onEpochEnd: async (e) => {
      const valAccuracy = await evaluate(a.data, a.evalLogits(model), 'val');
      state.epoch = e.epoch;
      state.valAccuracy = valAccuracy;
      state.history.push({ epoch: e.epoch, loss: e.loss, valAccuracy, seconds: e.seconds });
      state.extra = extra();
      a.log(
        `${a.stage}: epoch ${e.epoch}/${a.cfg.epochs} loss ${e.loss.toFixed(4)} val ${formatAccuracy(valAccuracy)} (${e.seconds.toFixed(1)} s)`,
      );
      await saveCheckpoint(a.dir, progressName, model, state, optimizers);
    },
  });
  opt.dispose();
  state.done = true;
  state.extra = extra();
  await saveCheckpoint(a.dir, a.stage, model, state);
  for (const f of [`${progressName}.json`, `${progressName}.bin`]) rmSync(join(a.dir, f), { force: true });
  return { model, state };
}

async function restoreOptimizers(dir: string, name: string, optimizers: tf.Optimizer[]): Promise<void> {
  const { model } = await loadCheckpoint(dir, name, optimizers);
  disposeModel(model); // only the optimizer's state was wanted
}

export async function evaluate(data: Dataset, logits: (x: tf.Tensor) => tf.Tensor, split: 'val' | 'test'): Promise<number> {
  const s = data[split];
  if (s.n === 0) return NaN;
  return accuracy(await predict(s, data.inputShape, logits), s.y);
}

// An accuracy (0..1) as a percentage with two decimals; 'n/a' when none was measured.
export function formatAccuracy(a: number | undefined): string {
  return a === undefined || Number.isNaN(a) ? 'n/a' : `${(a * 100).toFixed(2)}%`;
}

// The stage's last validation accuracy, null when it measured none (no epochs, or no validation split).
export function validationAccuracy(state: StageState): number | null {
  const v = state.valAccuracy;
  return v === undefined || Number.isNaN(v) ? null : v;
}

export function crossEntropy(logits: tf.Tensor, y: tf.Tensor, classes: number): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, classes), logits) as tf.Scalar;
}
