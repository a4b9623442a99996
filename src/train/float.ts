// Stage 'float': train the full network from scratch (batch norm with batch statistics, no masks yet).
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/types.js';
import { forwardFloat } from '../models/forward.js';
import { createModel, trainableVariables, type Model } from '../models/params.js';
import { modelSpec } from '../models/zoo.js';
import type { Progress, StepFn } from './loop.js';
import { crossEntropy, runStage, type StageState } from './stage.js';

export interface FloatConfig {
  model: string;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: 'adam' | 'sgd';
  seed: number;
}

export const FLOAT_DEFAULTS: FloatConfig = { model: 'ds-cnn', epochs: 30, batchSize: 100, lr: 0.003, optimizer: 'adam', seed: 1 };

export function makeOptimizer(kind: 'adam' | 'sgd', lr: number): tf.Optimizer {
  return kind === 'adam' ? tf.train.adam(lr) : tf.train.momentum(lr, 0.9);
}

export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
}

// One Adam (or SGD) step of the float model: batch statistics, cross-entropy; the loss of the batch.
export function floatStep(model: Model, opt: tf.Optimizer, classes: number): StepFn {
  const vars = trainableVariables(model);
  return (x, y, lr) => {
    setLearningRate(opt, lr);
    const { value, grads } = tf.variableGrads(() => crossEntropy(forwardFloat(model, x, { training: true }), y, classes), vars);
    opt.applyGradients(grads);
    return value;
  };
}

export function floatLogits(model: Model): (x: tf.Tensor) => tf.Tensor {
  return (x) => forwardFloat(model, x, { training: false });
}

export async function trainFloat(args: {
  dir: string;
  data: Dataset;
  cfg: FloatConfig;
  init?: () => Promise<Model>;
  onProgress?: (p: Progress) => void;
  log: (line: string) => void;
}): Promise<{ model: Model; state: StageState }> {
  const { cfg, data } = args;
  return runStage({
    dir: args.dir,
    stage: 'float',
    data,
    cfg: { epochs: cfg.epochs, batchSize: cfg.batchSize, lr: cfg.lr, schedule: 'cosine', seed: cfg.seed },
    init: args.init ?? (async () => createModel(modelSpec(cfg.model, data.inputShape, data.labels.length), cfg.seed)),
    makeOptimizer: (lr) => makeOptimizer(cfg.optimizer, lr),
    makeStep: (model, opt) => ({ step: floatStep(model, opt, data.labels.length), extra: () => ({}) }),
    evalLogits: floatLogits,
    onProgress: args.onProgress,
    log: args.log,
  });
}
