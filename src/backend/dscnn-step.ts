// A self-contained DS-CNN training step (MLPerf Tiny KWS) in plain tfjs ops: the workload `bench train` times.
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from './bn-train.js';

export const DSCNN_INPUT = [49, 10, 1] as const; // MFCC frames x coefficients x 1
export const DSCNN_CLASSES = 12;
const FILTERS = 64;
const BLOCKS = 4;
const BN_EPS = 1e-3;

interface BnParams { gamma: tf.Variable; beta: tf.Variable } // (FILTERS,) each

export interface DsCnn {
  stem: tf.Variable; // (10, 4, 1, FILTERS)
  depthwise: tf.Variable[]; // BLOCKS x (3, 3, FILTERS, 1)
  pointwise: tf.Variable[]; // BLOCKS x (1, 1, FILTERS, FILTERS)
  bn: BnParams[]; // 1 + 2 * BLOCKS
  dense: tf.Variable; // (FILTERS, DSCNN_CLASSES)
  bias: tf.Variable; // (DSCNN_CLASSES,)
}

// A variable that owns its initial value (tf.variable keeps the initialiser tensor alive otherwise).
function owned(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init);
  init.dispose();
  return v;
}

function glorot(shape: number[], fanIn: number, fanOut: number, seed: number): tf.Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return owned(tf.randomUniform(shape, -limit, limit, 'float32', seed));
}

function bnParams(): BnParams {
  return { gamma: owned(tf.ones([FILTERS])), beta: owned(tf.zeros([FILTERS])) };
}

export function createDsCnn(seed = 1): DsCnn {
  return {
    stem: glorot([10, 4, 1, FILTERS], 40, 40 * FILTERS, seed),
    depthwise: Array.from({ length: BLOCKS }, (_, i) => glorot([3, 3, FILTERS, 1], 9, 9, seed + 1 + i)),
    pointwise: Array.from({ length: BLOCKS }, (_, i) => glorot([1, 1, FILTERS, FILTERS], FILTERS, FILTERS, seed + 10 + i)),
    bn: Array.from({ length: 1 + 2 * BLOCKS }, bnParams),
    dense: glorot([FILTERS, DSCNN_CLASSES], FILTERS, DSCNN_CLASSES, seed + 20),
    bias: owned(tf.zeros([DSCNN_CLASSES])),
  };
}

// 'moments': tf.moments + tf.batchNorm + tf.relu (plain tfjs ops); 'fused': batchNormTraining, one op with ReLU.
export type BnMode = 'moments' | 'fused';

// Batch norm in training mode (batch statistics), then ReLU.
function bnRelu(x: tf.Tensor4D, p: BnParams, mode: BnMode): tf.Tensor4D {
  if (mode === 'fused') return batchNormTraining(x, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, BN_EPS, true).y as tf.Tensor4D;
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.relu(tf.batchNorm(x, mean, variance, p.beta, p.gamma, BN_EPS)) as tf.Tensor4D;
}

// x: (batch, 49, 10, 1) -> logits (batch, 12)
export function dsCnnForward(m: DsCnn, x: tf.Tensor4D, mode: BnMode = 'moments'): tf.Tensor2D {
  let y = bnRelu(tf.conv2d(x, m.stem as tf.Tensor4D, 2, 'same'), m.bn[0]!, mode);
  for (let i = 0; i < BLOCKS; i++) {
    y = bnRelu(tf.depthwiseConv2d(y, m.depthwise[i] as tf.Tensor4D, 1, 'same'), m.bn[1 + 2 * i]!, mode);
    y = bnRelu(tf.conv2d(y, m.pointwise[i] as tf.Tensor4D, 1, 'same'), m.bn[2 + 2 * i]!, mode);
  }
  const [h, w] = [y.shape[1], y.shape[2]];
  const pooled = tf.reshape(tf.avgPool(y, [h, w], 1, 'valid'), [y.shape[0], FILTERS]);
  return tf.add(tf.matMul(pooled, m.dense as tf.Tensor2D), m.bias);
}

export interface DsCnnTrainer {
  model: DsCnn;
  step(x: tf.Tensor4D, labels: tf.Tensor2D): number; // one Adam step; returns the loss
  dispose(): void;
}

function variables(m: DsCnn): tf.Variable[] {
  return [m.stem, ...m.depthwise, ...m.pointwise, ...m.bn.flatMap((p) => [p.gamma, p.beta]), m.dense, m.bias];
}

export function createDsCnnTrainer(seed = 1, learningRate = 1e-3, mode: BnMode = 'moments'): DsCnnTrainer {
  const model = createDsCnn(seed);
  const optimizer = tf.train.adam(learningRate);
  return {
    model,
    step(x, labels) {
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, dsCnnForward(model, x, mode)), true);
      const value = loss!.dataSync()[0]!;
      loss!.dispose();
      return value;
    },
    dispose() {
      optimizer.dispose();
      tf.dispose(variables(model));
    },
  };
}

// A random batch of MFCC-shaped inputs and one-hot labels (timing does not depend on the values).
export function randomDsCnnBatch(batch: number, seed = 7): { x: tf.Tensor4D; labels: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal([batch, ...DSCNN_INPUT], 0, 1, 'float32', seed) as tf.Tensor4D;
    const ids = tf.randomUniform([batch], 0, DSCNN_CLASSES, 'int32', seed + 1) as tf.Tensor1D;
    return { x, labels: tf.cast(tf.oneHot(ids, DSCNN_CLASSES), 'float32') as tf.Tensor2D };
  });
}
