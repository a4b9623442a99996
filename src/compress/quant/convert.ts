// From a QAT model to the integer model (QModel): the weights, biases and scales are read back from the very tensor
// ops the QAT forward runs, so the exported integers are the ones training simulated. Channel-pruned filters are
// removed physically (smaller tensors, fewer MACs). Layouts become TFLite's.
import * as tf from '@tensorflow/tfjs-core';
import type { QModel, QOp, QTensor, Activation } from '../../int/graph.js';
import type { LayerParams, Model } from '../../models/params.js';
import { nodeInputs, type ActName, type NodeSpec, type WeightNodeSpec } from '../../models/spec.js';
import { keptChannelsByTensor } from './kept-channels.js';
import { qparamsOf } from './fake-quant.js';
import { foldedKernel, isPerTensor, quantizeKernel, type QuantScheme } from './qat.js';

export interface ConvertOptions {
  scheme: QuantScheme;
  softmax: boolean; // append SOFTMAX (int8, scale 1/256, zero point -128) after the logits
  metadata: Record<string, string>;
}

export interface Converted {
  model: QModel;
  logits: number; // tensor index of the int8 logits (before softmax)
}

const ACT: Record<ActName, Activation> = { none: 'NONE', relu: 'RELU', relu6: 'RELU6' };

interface TensorRef {
  index: number;
  scale: number;
  zeroPoint: number;
  shape: number[]; // NHWC or [1, units], channels already pruned
}

async function actParams(model: Model, name: string): Promise<{ scale: number; zeroPoint: number }> {
  const q = qparamsOf(model, name);
  const [scale, zeroPoint] = [(await q.scale.data())[0], (await q.zeroPoint.data())[0]];
  q.scale.dispose();
  q.zeroPoint.dispose();
  return { scale, zeroPoint };
}

function pick<T extends Int8Array | Int32Array | Float32Array>(
  src: T,
  shape: number[],
  axis: number,
  keep: number[] | null,
): { data: T; shape: number[] } {
  if (!keep) return { data: src, shape };
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const out = new (src.constructor as new (k: number) => T)(outer * keep.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++)
    for (const k of keep) {
      out.set(src.subarray((a * n + k) * inner, (a * n + k + 1) * inner), o);
      o += inner;
    }
  const s = [...shape];
  s[axis] = keep.length;
  return { data: out, shape: s };
}

// tfjs kernel layout -> TFLite layout, as a flat Int8Array.
function toTfliteLayout(kind: WeightNodeSpec['kind'], q: Int8Array, shape: number[]): { data: Int8Array; shape: number[] } {
  if (kind === 'depthwise') return { data: q, shape: [1, shape[0], shape[1], shape[2] * shape[3]] };
  if (kind === 'dense') {
    const [i, o] = shape;
    const out = new Int8Array(q.length);
    for (let a = 0; a < i; a++) for (let b = 0; b < o; b++) out[b * i + a] = q[a * o + b];
    return { data: out, shape: [o, i] };
  }
  const [kh, kw, ci, co] = shape; // (kh, kw, in, out) -> (out, kh, kw, in)
  const out = new Int8Array(q.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[((o * kh + y) * kw + x) * ci + c] = q[((y * kw + x) * ci + c) * co + o];
  return { data: out, shape: [co, kh, kw, ci] };
}

class Builder {
  tensors: QTensor[] = [];
  ops: QOp[] = [];
  add(t: QTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }
}

async function weightNode(
  b: Builder,
  model: Model,
  n: WeightNodeSpec,
  x: TensorRef,
  inKeep: number[] | null,
  outKeep: number[] | null,
  opts: ConvertOptions,
  out: { scale: number; zeroPoint: number },
): Promise<TensorRef> {
  const p: LayerParams = model.layers.get(n.name)!;
  const bits = opts.scheme.weightBits;
  const [wi, sw, bi] = tf.tidy(() => {
    const { w, b: bias } = foldedKernel(p);
    const k = quantizeKernel(p, w, opts.scheme);
    return [k.wi, k.sw, tf.round(tf.div(bias, tf.mul(x.scale, k.sw)))];
  });
  let q = Int8Array.from((await wi.data()) as Float32Array);
  let scales = Array.from((await sw.data()) as Float32Array);
  let bias = Int32Array.from((await bi.data()) as Float32Array);
  tf.dispose([wi, sw, bi]);
  let shape = [...p.w.shape];
  // Drop pruned channels: input channels first, then output channels.
  if (n.kind === 'depthwise') {
    ({ data: q, shape } = pick(q, shape, 2, inKeep));
    if (inKeep) {
      scales = inKeep.map((c) => scales[c]);
      bias = Int32Array.from(inKeep.map((c) => bias[c]));
    }
  } else {
    const inAxis = n.kind === 'dense' ? 0 : 2;
    ({ data: q, shape } = pick(q, shape, inAxis, inKeep));
    ({ data: q, shape } = pick(q, shape, shape.length - 1, outKeep));
    if (outKeep) {
      scales = outKeep.map((c) => scales[c]);
      bias = Int32Array.from(outKeep.map((c) => bias[c]));
    }
  }
  const tl = toTfliteLayout(n.kind, q, shape);
  const perTensor = isPerTensor(n.kind, opts.scheme);
  const wScale = perTensor ? [scales[0]] : scales;
  const wIdx = b.add({
    name: `${n.name}/weights`,
    shape: tl.shape,
    dtype: bits === 4 ? 'int4' : 'int8',
    scale: wScale,
    zeroPoint: wScale.map(() => 0),
    quantizedDim: n.kind === 'depthwise' ? 3 : 0,
    data: tl.data,
  });
  const bScale = scales.map((s) => x.scale * s);
  const bIdx = b.add({
    name: `${n.name}/bias`,
    shape: [bias.length],
    dtype: 'int32',
    scale: perTensor ? [bScale[0]] : bScale,
    zeroPoint: perTensor ? [0] : bScale.map(() => 0),
    quantizedDim: 0,
    data: bias,
  });
  const outC = n.kind === 'depthwise' ? tl.shape[3] : tl.shape[0];
  const outShape = n.kind === 'dense' ? [1, outC] : [1, ...model.shapes.get(n.name)!.slice(0, 2), outC];
  const o = b.add({ name: n.name, shape: outShape, dtype: 'int8', scale: [out.scale], zeroPoint: [out.zeroPoint] });
  const act = ACT[n.activation];
  const conv = {
    padding: n.kind === 'dense' ? 'VALID' : n.padding === 'same' ? 'SAME' : 'VALID',
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    activation: act,
  } as const;
  if (n.kind === 'conv')
    b.ops.push({
      op: 'CONV_2D',
      inputs: [x.index, wIdx, bIdx],
      outputs: [o],
      options: { ...conv, strideH: n.stride[0], strideW: n.stride[1] },
    });
  else if (n.kind === 'depthwise')
    b.ops.push({
      op: 'DEPTHWISE_CONV_2D',
      inputs: [x.index, wIdx, bIdx],
      outputs: [o],
      options: { ...conv, strideH: n.stride[0], strideW: n.stride[1], depthMultiplier: n.multiplier },
    });
  else b.ops.push({ op: 'FULLY_CONNECTED', inputs: [x.index, wIdx, bIdx], outputs: [o], options: { activation: act, keepNumDims: false } });
  return { index: o, ...out, shape: outShape };
}

async function structural(b: Builder, model: Model, n: NodeSpec, xs: TensorRef[], keep: number[] | null): Promise<TensorRef> {
  const x = xs[0];
  if (n.kind === 'flatten') {
    const size = x.shape.slice(1).reduce((a, c) => a * c, 1);
    const o = b.add({ name: n.name, shape: [1, size], dtype: 'int8', scale: [x.scale], zeroPoint: [x.zeroPoint] });
    b.ops.push({ op: 'RESHAPE', inputs: [x.index], outputs: [o], options: { newShape: [1, size] } });
    return { ...x, index: o, shape: [1, size] };
  }
  if (n.kind === 'expand') {
    const shape = [1, 1, 1, x.shape[1]!];
    const o = b.add({ name: n.name, shape, dtype: 'int8', scale: [x.scale], zeroPoint: [x.zeroPoint] });
    b.ops.push({ op: 'RESHAPE', inputs: [x.index], outputs: [o], options: { newShape: shape } });
    return { ...x, index: o, shape };
  }
  if (n.kind === 'pad') {
    const [t, l, bo, r] = n.pads;
    const shape = [1, x.shape[1]! + t + bo, x.shape[2]! + l + r, x.shape[3]!];
    const paddings = b.add({
      name: `${n.name}/paddings`,
      shape: [4, 2],
      dtype: 'int32',
      scale: [],
      zeroPoint: [],
      data: Int32Array.of(0, 0, t, bo, l, r, 0, 0),
    });
    const o = b.add({ name: n.name, shape, dtype: 'int8', scale: [x.scale], zeroPoint: [x.zeroPoint] });
    b.ops.push({ op: 'PAD', inputs: [x.index, paddings], outputs: [o], options: {} });
    return { ...x, index: o, shape };
  }
  if (n.kind === 'avgpool' || n.kind === 'maxpool') {
    const hw = model.shapes.get(n.name)!;
    const shape = [1, hw[0], hw[1], keep ? keep.length : hw[2]];
    const o = b.add({ name: n.name, shape, dtype: 'int8', scale: [x.scale], zeroPoint: [x.zeroPoint] });
    const options = {
      padding: n.padding === 'same' ? 'SAME' : 'VALID',
      strideH: n.stride[0],
      strideW: n.stride[1],
      filterH: n.size[0],
      filterW: n.size[1],
      activation: 'NONE',
    } as const;
    b.ops.push({ op: n.kind === 'avgpool' ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D', inputs: [x.index], outputs: [o], options });
    return { ...x, index: o, shape };
  }
  if (n.kind === 'concat') {
    // The inputs share one quantization (sharedQuantization), which the op keeps.
    const shape = [...x.shape.slice(0, -1), xs.reduce((a, t) => a + t.shape[t.shape.length - 1]!, 0)];
    const o = b.add({ name: n.name, shape, dtype: 'int8', scale: [x.scale], zeroPoint: [x.zeroPoint] });
    b.ops.push({
      op: 'CONCATENATION',
      inputs: xs.map((t) => t.index),
      outputs: [o],
      options: { axis: shape.length - 1, activation: 'NONE' },
    });
    return { ...x, index: o, shape };
  }
  if (n.kind === 'requantize') {
    const q = await actParams(model, n.name);
    const o = b.add({ name: n.name, shape: x.shape, dtype: 'int8', scale: [q.scale], zeroPoint: [q.zeroPoint] });
    b.ops.push({ op: 'QUANTIZE', inputs: [x.index], outputs: [o], options: {} });
    return { index: o, ...q, shape: x.shape };
  }
  if (n.kind === 'activation') {
    const out = n.fn === 'sigmoid' ? { scale: 1 / 256, zeroPoint: -128 } : await actParams(model, n.name);
    const o = b.add({ name: n.name, shape: x.shape, dtype: 'int8', scale: [out.scale], zeroPoint: [out.zeroPoint] });
    b.ops.push({ op: n.fn === 'sigmoid' ? 'LOGISTIC' : 'HARD_SWISH', inputs: [x.index], outputs: [o], options: {} });
    return { index: o, ...out, shape: x.shape };
  }
  if (n.kind === 'mul') {
    const out = await actParams(model, n.name);
    const shape = x.shape.map((d, i) => Math.max(d, xs[1]!.shape[i]!));
    const o = b.add({ name: n.name, shape, dtype: 'int8', scale: [out.scale], zeroPoint: [out.zeroPoint] });
    b.ops.push({ op: 'MUL', inputs: [x.index, xs[1]!.index], outputs: [o], options: { activation: ACT[n.activation] } });
    return { index: o, ...out, shape };
  }
  if (n.kind === 'add') {
    const out = await actParams(model, n.name);
    const o = b.add({ name: n.name, shape: x.shape, dtype: 'int8', scale: [out.scale], zeroPoint: [out.zeroPoint] });
    b.ops.push({ op: 'ADD', inputs: [x.index, xs[1].index], outputs: [o], options: { activation: ACT[n.activation] } });
    return { index: o, ...out, shape: x.shape };
  }
  throw new Error(`cannot convert node '${n.name}' (${n.kind})`);
}

export async function toQModel(model: Model, opts: ConvertOptions): Promise<Converted> {
  const b = new Builder();
  const keep = await keptChannelsByTensor(model);
  const inP = await actParams(model, 'input');
  const inShape = [1, ...model.spec.inputShape];
  const refs = new Map<string, TensorRef>([
    [
      'input',
      {
        index: b.add({ name: 'input', shape: inShape, dtype: 'int8', scale: [inP.scale], zeroPoint: [inP.zeroPoint] }),
        ...inP,
        shape: inShape,
      },
    ],
  ]);
  for (const n of model.spec.nodes) {
    const xs = nodeInputs(n).map((i) => refs.get(i)!);
    const r =
      n.kind === 'conv' || n.kind === 'depthwise' || n.kind === 'dense'
        ? await weightNode(b, model, n, xs[0], keep.get(n.input) ?? null, keep.get(n.name) ?? null, opts, await actParams(model, n.name))
        : await structural(b, model, n, xs, keep.get(n.name) ?? null);
    refs.set(n.name, r);
  }
  const logits = refs.get(model.spec.output)!;
  let output = logits.index;
  if (opts.softmax) {
    output = b.add({ name: 'probabilities', shape: logits.shape, dtype: 'int8', scale: [1 / 256], zeroPoint: [-128] });
    b.ops.push({ op: 'SOFTMAX', inputs: [logits.index], outputs: [output], options: { beta: 1 } });
  }
  return {
    model: { tensors: b.tensors, ops: b.ops, inputs: [refs.get('input')!.index], outputs: [output], metadata: opts.metadata },
    logits: logits.index,
  };
}
