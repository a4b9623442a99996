// The trainable state of a model: per weight node a kernel, its pruning mask, a bias or batch norm; per quantized
// tensor an observed activation range. All tfjs variables, so training never leaves the backend.
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, normal } from '../util/rng.js';
import { inferShapes, isWeightNode, outChannels, quantizedTensors, weightShape, type ModelSpec, type WeightNodeSpec } from './spec.js';

export interface BatchNorm {
  gamma: tf.Variable; // (C)
  beta: tf.Variable; // (C)
  mean: tf.Variable; // (C) moving mean, not trainable
  variance: tf.Variable; // (C) moving variance, not trainable
}

export interface LayerParams {
  spec: WeightNodeSpec;
  w: tf.Variable; // conv (kh, kw, in, out) | depthwise (kh, kw, in, mult) | dense (in, out)
  mask: tf.Variable; // same shape as w; 1 = important, 0 = pruned (not trainable)
  b?: tf.Variable; // (out) when there is no batch norm
  bn?: BatchNorm;
}

// Observed range of one quantized activation tensor (exponential moving average of batch min/max).
export interface ActRange {
  min: tf.Variable; // scalar
  max: tf.Variable; // scalar
}

export interface Model {
  spec: ModelSpec;
  shapes: Map<string, number[]>; // per node output, and 'input'
  layers: Map<string, LayerParams>; // by weight node name
  ranges: Map<string, ActRange>; // by quantized tensor name: 'input' and every node that requantizes
}

export const BN_EPSILON = 1e-3;

export function hasBias(n: WeightNodeSpec): boolean {
  return n.kind === 'dense' || !n.bn;
}

// He-normal init for ReLU nets, from pqk's seeded generator so a seed fixes the weights on every backend.
function initKernel(shape: number[], fanIn: number, seed: number): tf.Tensor {
  const rng = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i++) data[i] = normal(rng) * std;
  return tf.tensor(data, shape);
}

// A variable that owns its initial value (tf.variable keeps the initialiser tensor alive otherwise: a leak per model).
function owned(init: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(init, trainable);
  init.dispose();
  return v;
}

export function createModel(spec: ModelSpec, seed: number): Model {
  const shapes = inferShapes(spec);
  const layers = new Map<string, LayerParams>();
  let k = 0;
  for (const n of spec.nodes) {
    if (!isWeightNode(n)) continue;
    const ws = weightShape(n, shapes.get(n.input)!);
    const outC = outChannels(n, shapes.get(n.input)!);
    const fanIn = ws.reduce((a, d) => a * d, 1) / outC; // the weights one output reads
    const p: LayerParams = {
      spec: n,
      w: owned(initKernel(ws, fanIn, seed * 1000 + k++), true),
      mask: owned(tf.ones(ws), false),
    };
    if (hasBias(n)) p.b = owned(tf.zeros([outC]), true);
    else
      p.bn = {
        gamma: owned(tf.ones([outC]), true),
        beta: owned(tf.zeros([outC]), true),
        mean: owned(tf.zeros([outC]), false),
        variance: owned(tf.ones([outC]), false),
      };
    layers.set(n.name, p);
  }
  const ranges = new Map<string, ActRange>();
  for (const t of quantizedTensors(spec)) ranges.set(t, { min: owned(tf.scalar(0), false), max: owned(tf.scalar(0), false) });
  return { spec, shapes, layers, ranges };
}

export function trainableVariables(model: Model): tf.Variable[] {
  const vars: tf.Variable[] = [];
  for (const p of model.layers.values()) {
    vars.push(p.w);
    if (p.b) vars.push(p.b);
    if (p.bn) vars.push(p.bn.gamma, p.bn.beta);
  }
  return vars;
}

// Every variable of the model by a stable name, for checkpoints.
export function namedVariables(model: Model): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [name, p] of model.layers) {
    out.set(`${name}/w`, p.w);
    out.set(`${name}/mask`, p.mask);
    if (p.b) out.set(`${name}/b`, p.b);
    if (p.bn) for (const [k, v] of Object.entries(p.bn)) out.set(`${name}/${k}`, v as tf.Variable);
  }
  for (const [name, r] of model.ranges) {
    out.set(`${name}/rmin`, r.min);
    out.set(`${name}/rmax`, r.max);
  }
  return out;
}

export function paramCount(model: Model): number {
  let n = 0;
  for (const v of trainableVariables(model)) n += v.size;
  return n;
}

export function disposeModel(model: Model): void {
  for (const v of namedVariables(model).values()) v.dispose();
}
