// The float forward pass: masks applied, batch norm with batch statistics in training (moving averages updated)
// and moving statistics otherwise.
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../backend/bn-train.js';
import { stopGradient } from './grad.js';
import { BN_EPSILON, type LayerParams, type Model } from './params.js';
import { nodeInputs, type ActName, type ModelSpec, type NodeSpec, type PoolSpec } from './spec.js';

export interface FloatForwardOptions {
  training: boolean;
  bnMomentum?: number; // moving = momentum * moving + (1 - momentum) * batch
}

export function activate(x: tf.Tensor, act: ActName): tf.Tensor {
  if (act === 'relu') return tf.relu(x);
  if (act === 'relu6') return tf.clipByValue(x, 0, 6);
  return x;
}

// x * relu6(x + 3) / 6.
export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.div(tf.mul(x, tf.clipByValue(tf.add(x, 3), 0, 6)), 6);
}

export function pool(n: PoolSpec, x: tf.Tensor4D): tf.Tensor4D {
  const f = n.kind === 'avgpool' ? tf.avgPool : tf.maxPool;
  return f(x, n.size, n.stride, n.padding);
}

// Pads height and width of an NHWC tensor ([top, left, bottom, right]) with `value`.
export function padHw(x: tf.Tensor, pads: [number, number, number, number], value: number): tf.Tensor {
  const [t, l, b, r] = pads;
  return tf.pad(
    x as tf.Tensor4D,
    [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ],
    value,
  );
}

// Convolution of any weight node with the given (already masked / quantized) kernel.
export function applyKernel(p: LayerParams, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
  const n = p.spec;
  if (n.kind === 'conv') return tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, n.stride, n.padding);
  if (n.kind === 'depthwise') return tf.depthwiseConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, n.stride, n.padding);
  return tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
}

// Batch norm, with the following activation fused when it is a ReLU (one kernel forward and backward on 'native').
function batchNorm(p: LayerParams, y: tf.Tensor, act: ActName, opts: FloatForwardOptions): tf.Tensor {
  const bn = p.bn!;
  if (!opts.training) return activate(tf.batchNorm(y, bn.mean, bn.variance, bn.beta, bn.gamma, BN_EPSILON), act);
  const r = batchNormTraining(y, bn.gamma as tf.Tensor1D, bn.beta as tf.Tensor1D, BN_EPSILON, act === 'relu');
  const m = opts.bnMomentum ?? 0.9;
  tf.tidy(() => {
    bn.mean.assign(tf.add(tf.mul(bn.mean, m), tf.mul(stopGradient(r.mean), 1 - m)));
    bn.variance.assign(tf.add(tf.mul(bn.variance, m), tf.mul(stopGradient(r.variance), 1 - m)));
  });
  return act === 'relu' ? r.y : activate(r.y, act);
}

// Runs the nodes of a spec in order; `weightNode` computes each conv/depthwise/dense node (float, QAT, teacher).
export function runGraph(
  spec: ModelSpec,
  input: tf.Tensor,
  weightNode: (n: NodeSpec & { kind: 'conv' | 'depthwise' | 'dense' }, x: tf.Tensor) => tf.Tensor,
  other: (n: NodeSpec, xs: tf.Tensor[]) => tf.Tensor,
): tf.Tensor {
  const values = new Map<string, tf.Tensor>([['input', input]]);
  for (const n of spec.nodes) {
    const xs = nodeInputs(n).map((i) => values.get(i)!);
    const y = n.kind === 'conv' || n.kind === 'depthwise' || n.kind === 'dense' ? weightNode(n, xs[0]) : other(n, xs);
    values.set(n.name, y);
  }
  return values.get(spec.output)!;
}

export function floatOther(n: NodeSpec, xs: tf.Tensor[]): tf.Tensor {
  switch (n.kind) {
    case 'avgpool':
    case 'maxpool':
      return pool(n, xs[0] as tf.Tensor4D);
    case 'flatten':
      return tf.reshape(xs[0], [xs[0].shape[0], -1]);
    case 'expand':
      return tf.reshape(xs[0], [xs[0].shape[0], 1, 1, -1]);
    case 'pad':
      return padHw(xs[0], n.pads, 0);
    case 'add':
      return activate(tf.add(xs[0], xs[1]), n.activation);
    case 'concat':
      return tf.concat(xs, -1);
    case 'mul':
      return activate(tf.mul(xs[0], xs[1]), n.activation);
    case 'activation':
      return n.fn === 'sigmoid' ? tf.sigmoid(xs[0]) : hardSwish(xs[0]);
    case 'requantize':
      return xs[0];
    default:
      throw new Error(`node '${n.name}' is not a structural node`);
  }
}

// Logits of the float model (masks applied).
export function forwardFloat(model: Model, x: tf.Tensor, opts: FloatForwardOptions): tf.Tensor {
  return runGraph(
    model.spec,
    x,
    (n, xin) => {
      const p = model.layers.get(n.name)!;
      const y = applyKernel(p, xin, tf.mul(p.w, p.mask));
      return p.bn ? batchNorm(p, y, n.activation, opts) : activate(tf.add(y, p.b!), n.activation);
    },
    floatOther,
  );
}
