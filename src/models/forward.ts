// The float forward pass: masks applied, batch norm with batch statistics in training (moving averages updated)
// and moving statistics otherwise.
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../backend/bn-train.js';
import { stopGradient } from './grad.js';
import { BN_EPSILON, type LayerParams, type Model } from './params.js';
import { activate } from './blocks/descriptor.js';
import { blockOf, weightsOf } from './blocks/table.js';
import { isWeightNode, nodeInputs, type ActName, type ModelSpec, type NodeSpec, type WeightNodeSpec } from './spec.js';

export interface FloatForwardOptions {
  training: boolean;
  bnMomentum?: number; // moving = momentum * moving + (1 - momentum) * batch
}

// Convolution of any weight node with the given (already masked / quantized) kernel.
export function applyKernel(p: LayerParams, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
  return weightsOf(p.spec).apply(p.spec, x, kernel);
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
  weightNode: (n: WeightNodeSpec, x: tf.Tensor) => tf.Tensor,
  other: (n: NodeSpec, xs: tf.Tensor[]) => tf.Tensor,
): tf.Tensor {
  const values = new Map<string, tf.Tensor>([['input', input]]);
  for (const n of spec.nodes) {
    const xs = nodeInputs(n).map((i) => values.get(i)!);
    values.set(n.name, isWeightNode(n) ? weightNode(n, xs[0]!) : other(n, xs));
  }
  return values.get(spec.output)!;
}

// The float forward of a block without weights (its descriptor's).
export function floatOther(n: NodeSpec, xs: tf.Tensor[]): tf.Tensor {
  const f = blockOf(n).float;
  if (!f) throw new Error(`node '${n.name}' (${n.kind}) is not a structural node`);
  return f(n, xs);
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
