// Seeded random multi-op int8 models for the firmware tests: a small graph builder that picks scales so that
// activations stay spread over int8 instead of saturating, a DS-CNN-shaped keyword-spotting net, and a model that
// touches every op the micro interpreter runs.
import type { Activation, DType, Padding, QModel, QOp, QTensor } from '../../src/int/graph.js';
import { mulberry32, type Rng } from '../../src/util/rng.js';

type Shape4 = [number, number, number, number];

function outSize(padding: Padding, n: number, k: number, s: number): number {
  return padding === 'SAME' ? Math.ceil(n / s) : Math.floor((n - k + s) / s);
}

export class GraphBuilder {
  readonly tensors: QTensor[] = [];
  readonly ops: QOp[] = [];
  private readonly r: Rng;

  constructor(seed: number) {
    this.r = mulberry32(seed);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }

  private add(t: QTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  activation(shape: number[], scale: number, zeroPoint: number): number {
    const name = `t${this.tensors.length}`;
    return this.add({ name, shape, dtype: 'int8', scale: [Math.fround(scale)], zeroPoint: [zeroPoint] });
  }

  private weights(shape: number[], count: number, channels: number, dim: number, dtype: DType, perChannel = true): [number, number[]] {
    const max = dtype === 'int4' ? 7 : 127;
    const data = Int8Array.from({ length: count }, () => this.int(dtype === 'int4' ? -8 : -127, max));
    const scales = Array.from({ length: perChannel ? channels : 1 }, () => Math.fround(0.002 + this.r() * 0.01));
    const t: QTensor = { name: `w${this.tensors.length}`, shape, dtype, scale: scales, zeroPoint: scales.map(() => 0), data };
    if (perChannel) t.quantizedDim = dim;
    return [this.add(t), scales];
  }

  private bias(channels: number, inScale: number, wScales: number[]): number {
    const scale = wScales.map((s) => Math.fround(Math.fround(inScale) * s));
    const data = Int32Array.from({ length: channels }, () => this.int(-3000, 3000));
    const t: QTensor = { name: `b${this.tensors.length}`, shape: [channels], dtype: 'int32', scale, zeroPoint: scale.map(() => 0), data };
    if (wScales.length > 1) t.quantizedDim = 0;
    return this.add(t);
  }

  // An output scale that maps a typical accumulator (sqrt(taps) * weight spread * input spread) to ~40 LSB.
  private outQuant(inT: number, taps: number, wScales: number[], dtype: DType): [number, number] {
    const wStd = dtype === 'int4' ? 4.6 : 73;
    const wScale = wScales.reduce((a, b) => a + b, 0) / wScales.length;
    const acc = Math.sqrt(taps) * wStd * (this.spread.get(inT) ?? 50) * this.tensors[inT].scale[0] * wScale;
    return [acc / 40, this.int(-30, 30)];
  }

  // Typical spread (LSB) of a tensor's values: ~40 for a fresh layer output, less after ReLU clips half of it.
  private readonly spread = new Map<number, number>();

  private spreadAfter(t: number, activation: Activation): number {
    this.spread.set(t, activation === 'NONE' ? 40 : 20);
    return t;
  }

  conv(
    x: number,
    outC: number,
    k: [number, number],
    stride: [number, number],
    padding: Padding,
    activation: Activation,
    dtype: DType = 'int8',
  ): number {
    const [n, h, w, c] = this.tensors[x].shape as Shape4;
    const [wT, scales] = this.weights([outC, k[0], k[1], c], outC * k[0] * k[1] * c, outC, 0, dtype);
    const bT = this.bias(outC, this.tensors[x].scale[0], scales);
    const out = this.activation(
      [n, outSize(padding, h, k[0], stride[0]), outSize(padding, w, k[1], stride[1]), outC],
      ...this.outQuant(x, k[0] * k[1] * c, scales, dtype),
    );
    const options = { padding, strideH: stride[0], strideW: stride[1], dilationH: 1, dilationW: 1, activation };
    this.ops.push({ op: 'CONV_2D', inputs: [x, wT, bT], outputs: [out], options });
    return this.spreadAfter(out, activation);
  }

  depthwise(
    x: number,
    k: [number, number],
    stride: [number, number],
    padding: Padding,
    activation: Activation,
    dtype: DType = 'int8',
    mult = 1,
  ): number {
    const [n, h, w, c] = this.tensors[x].shape as Shape4;
    const oc = c * mult;
    const [wT, scales] = this.weights([1, k[0], k[1], oc], k[0] * k[1] * oc, oc, 3, dtype);
    const bT = this.bias(oc, this.tensors[x].scale[0], scales);
    const out = this.activation(
      [n, outSize(padding, h, k[0], stride[0]), outSize(padding, w, k[1], stride[1]), oc],
      ...this.outQuant(x, k[0] * k[1], scales, dtype),
    );
    const options = { padding, strideH: stride[0], strideW: stride[1], dilationH: 1, dilationW: 1, activation, depthMultiplier: mult };
    this.ops.push({ op: 'DEPTHWISE_CONV_2D', inputs: [x, wT, bT], outputs: [out], options });
    return this.spreadAfter(out, activation);
  }

  // Per-tensor weight scale: TFLite 2.9's FULLY_CONNECTED reads only one.
  // `logitScale` fixes the output scale (logits feeding SOFTMAX want a real spread of a few units).
  fc(x: number, units: number, activation: Activation, dtype: DType = 'int8', logitScale?: number): number {
    const depth = this.tensors[x].shape.at(-1)!;
    const [wT, scales] = this.weights([units, depth], units * depth, units, 0, dtype, false);
    const bT = this.bias(units, this.tensors[x].scale[0], scales);
    const [scale, zp] = this.outQuant(x, depth, scales, dtype);
    const out = this.activation([1, units], logitScale ?? scale, zp);
    this.spread.set(out, 40);
    this.ops.push({ op: 'FULLY_CONNECTED', inputs: [x, wT, bT], outputs: [out], options: { activation, keepNumDims: false } });
    return out;
  }

  pool(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', x: number, f: [number, number], s: [number, number], padding: Padding): number {
    const t = this.tensors[x];
    const [n, h, w, c] = t.shape as Shape4;
    const out = this.activation([n, outSize(padding, h, f[0], s[0]), outSize(padding, w, f[1], s[1]), c], t.scale[0], t.zeroPoint[0]);
    this.ops.push({
      op: kind,
      inputs: [x],
      outputs: [out],
      options: { padding, strideH: s[0], strideW: s[1], filterH: f[0], filterW: f[1], activation: 'NONE' },
    });
    const inSpread = this.spread.get(x) ?? 50;
    // Averaging keeps the ReLU offset, which dominates what the next layer sees.
    this.spread.set(out, kind === 'MAX_POOL_2D' ? inSpread : inSpread * 0.7);
    return out;
  }

  mean(x: number, axes: number[], keepDims: boolean, sameQuant: boolean): number {
    const t = this.tensors[x];
    const shape = keepDims ? t.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : t.shape.filter((_, i) => !axes.includes(i));
    const axesT = this.add({
      name: `axes${this.tensors.length}`,
      shape: [axes.length],
      dtype: 'int32',
      scale: [],
      zeroPoint: [],
      data: Int32Array.from(axes),
    });
    const out = sameQuant
      ? this.activation(shape, t.scale[0], t.zeroPoint[0])
      : this.activation(shape, t.scale[0] * 0.6, this.int(-10, 10));
    this.ops.push({ op: 'MEAN', inputs: [x, axesT], outputs: [out], options: { keepDims } });
    return out;
  }

  addTensors(a: number, b: number, activation: Activation): number {
    const ta = this.tensors[a];
    const out = this.activation(ta.shape, Math.max(ta.scale[0], this.tensors[b].scale[0]) * 1.5, this.int(-10, 10));
    this.ops.push({ op: 'ADD', inputs: [a, b], outputs: [out], options: { activation } });
    return out;
  }

  // LOGISTIC and HARD_SWISH: LOGISTIC onto its fixed 1/256 and -128, HARD_SWISH onto a scale a little under its input's.
  unary(op: 'LOGISTIC' | 'HARD_SWISH', x: number): number {
    const t = this.tensors[x];
    const out =
      op === 'LOGISTIC' ? this.activation(t.shape, 1 / 256, -128) : this.activation(t.shape, t.scale[0] * 0.8, this.int(-100, -60));
    this.spread.set(out, this.spread.get(x) ?? 50);
    this.ops.push({ op, inputs: [x], outputs: [out], options: {} } as QOp);
    return out;
  }

  // MUL of a map by a tensor of its shape or a [1, 1, 1, C] gate (broadcast).
  mul(a: number, b: number, activation: Activation): number {
    const [ta, tb] = [this.tensors[a], this.tensors[b]];
    const out = this.activation(ta.shape, ta.scale[0] * tb.scale[0] * 90, this.int(-10, 10));
    this.spread.set(out, this.spread.get(a) ?? 50);
    this.ops.push({ op: 'MUL', inputs: [a, b], outputs: [out], options: { activation } });
    return out;
  }

  reshape(x: number, shape: number[]): number {
    const t = this.tensors[x];
    const out = this.activation(shape, t.scale[0], t.zeroPoint[0]);
    this.spread.set(out, this.spread.get(x) ?? 50);
    const shapeT = this.add({
      name: `shape${this.tensors.length}`,
      shape: [shape.length],
      dtype: 'int32',
      scale: [],
      zeroPoint: [],
      data: Int32Array.from(shape),
    });
    this.ops.push({ op: 'RESHAPE', inputs: [x, shapeT], outputs: [out], options: { newShape: shape } });
    return out;
  }

  // EXPAND_DIMS at `axis` (an int32 constant input) and SQUEEZE of `dims`: RESHAPEs whose shape the op derives.
  expandDims(x: number, axis: number): number {
    const t = this.tensors[x];
    const a = axis < 0 ? axis + t.shape.length + 1 : axis;
    const out = this.activation([...t.shape.slice(0, a), 1, ...t.shape.slice(a)], t.scale[0], t.zeroPoint[0]);
    this.spread.set(out, this.spread.get(x) ?? 50);
    const axisT = this.add({
      name: `axis${this.tensors.length}`,
      shape: [1],
      dtype: 'int32',
      scale: [],
      zeroPoint: [],
      data: Int32Array.of(axis),
    });
    this.ops.push({ op: 'EXPAND_DIMS', inputs: [x, axisT], outputs: [out], options: {} });
    return out;
  }

  squeeze(x: number, dims: number[]): number {
    const t = this.tensors[x];
    const out = this.activation(
      t.shape.filter((_, i) => !dims.includes(i)),
      t.scale[0],
      t.zeroPoint[0],
    );
    this.spread.set(out, this.spread.get(x) ?? 50);
    this.ops.push({ op: 'SQUEEZE', inputs: [x], outputs: [out], options: { squeezeDims: dims } });
    return out;
  }

  // CONCATENATION along `axis` of tensors that share one quantization (int8 CONCATENATION does not rescale).
  concat(xs: number[], axis: number): number {
    const t = this.tensors[xs[0]];
    const ax = axis < 0 ? axis + t.shape.length : axis;
    const shape = t.shape.map((n, d) => (d === ax ? xs.reduce((a, x) => a + this.tensors[x].shape[d], 0) : n));
    const out = this.activation(shape, t.scale[0], t.zeroPoint[0]);
    this.spread.set(out, this.spread.get(xs[0]) ?? 50);
    this.ops.push({ op: 'CONCATENATION', inputs: xs, outputs: [out], options: { axis, activation: 'NONE' } });
    return out;
  }

  // PAD by [before0, after0, before1, after1, ...]: same quantization, the border at the zero point.
  pad(x: number, paddings: number[]): number {
    const t = this.tensors[x];
    const out = this.activation(
      t.shape.map((n, d) => n + paddings[2 * d] + paddings[2 * d + 1]),
      t.scale[0],
      t.zeroPoint[0],
    );
    this.spread.set(out, this.spread.get(x) ?? 50);
    const p = this.add({
      name: `paddings${this.tensors.length}`,
      shape: [t.shape.length, 2],
      dtype: 'int32',
      scale: [],
      zeroPoint: [],
      data: Int32Array.from(paddings),
    });
    this.ops.push({ op: 'PAD', inputs: [x, p], outputs: [out], options: {} });
    return out;
  }

  requantize(x: number, scale: number, zeroPoint: number): number {
    const out = this.activation(this.tensors[x].shape, scale, zeroPoint);
    this.ops.push({ op: 'QUANTIZE', inputs: [x], outputs: [out], options: {} });
    return out;
  }

  // beta scales a typical logit spread to ~1 unit, so the probabilities are neither flat nor one-hot.
  softmax(x: number): number {
    const out = this.activation(this.tensors[x].shape, 1 / 256, -128);
    const beta = Math.fround(1 / ((this.spread.get(x) ?? 40) * this.tensors[x].scale[0]));
    this.ops.push({ op: 'SOFTMAX', inputs: [x], outputs: [out], options: { beta } });
    return out;
  }

  build(input: number, output: number): QModel {
    return { tensors: this.tensors, ops: this.ops, inputs: [input], outputs: [output], metadata: {} };
  }
}

// DS-CNN (Zhang et al., "Hello Edge") shape on 49x10 MFCC: conv 10x4/2 then `blocks` x (depthwise 3x3 + pointwise
// 1x1), average pool, fully connected to 12 classes, softmax.
export function dscnnModel(seed: number, opts: { channels?: number; blocks?: number; weights?: DType } = {}): QModel {
  const g = new GraphBuilder(seed);
  const c = opts.channels ?? 64;
  const dtype = opts.weights ?? 'int8';
  const x = g.activation([1, 49, 10, 1], 0.05, g.int(-20, 20));
  let h = g.conv(x, c, [10, 4], [2, 2], 'SAME', 'RELU', dtype);
  for (let i = 0; i < (opts.blocks ?? 4); i++) {
    h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'RELU', dtype);
    h = g.conv(h, c, [1, 1], [1, 1], 'SAME', 'RELU', dtype);
  }
  const [, ph, pw] = g.tensors[h].shape;
  h = g.pool('AVERAGE_POOL_2D', h, [ph, pw], [ph, pw], 'VALID');
  h = g.reshape(h, [1, c]);
  h = g.fc(h, 12, 'NONE', dtype);
  return g.build(x, g.softmax(h));
}

// One of every op and path: int4 and int8 weights (all int8 with `int8Only`, which TFLite 2.9 can run), strides,
// both paddings, an explicit PAD, a CONCATENATION, a residual ADD, all MEAN paths, QUANTIZE, RELU6, depth multiplier 2, max and
// average pooling, HARD_SWISH, LOGISTIC, a broadcast MUL, EXPAND_DIMS and SQUEEZE.
export function coverageModel(seed: number, int8Only = false): QModel {
  const g = new GraphBuilder(seed);
  const int4: DType = int8Only ? 'int8' : 'int4';
  const x = g.activation([1, 12, 9, 3], 0.04, g.int(-30, 30));
  let h = g.conv(x, 8, [3, 3], [2, 1], 'VALID', 'RELU6', int4);
  // The branch pads explicitly, then convolves VALID: what SAME computes, as converters write it.
  const branch = g.depthwise(g.pad(h, [0, 0, 1, 1, 1, 1, 0, 0]), [3, 3], [1, 1], 'VALID', 'NONE', 'int8', 1);
  h = g.addTensors(h, branch, 'RELU');
  h = g.depthwise(h, [3, 2], [2, 2], 'SAME', 'RELU', int4, 2);
  h = g.pool('MAX_POOL_2D', h, [2, 2], [1, 1], 'SAME');
  h = g.conv(h, 10, [1, 1], [1, 1], 'SAME', 'NONE');
  // Hard swish, then a squeeze-and-excitation gate: the channel means through LOGISTIC multiply the map (MUL broadcast).
  h = g.unary('HARD_SWISH', h);
  h = g.mul(h, g.unary('LOGISTIC', g.mean(h, [1, 2], true, false)), 'NONE');
  // A side branch joins three copies along the width (axis given from the end): TFLite runs it though nothing reads it.
  g.concat([h, h, h], -2);
  // A side branch through the other two MEAN paths: TFLite runs it although no output reads it.
  g.mean(g.mean(h, [1, 2], true, false), [3], false, true);
  // Another through EXPAND_DIMS and SQUEEZE: the channel means to [1, 1, C] and back.
  g.squeeze(g.expandDims(g.mean(h, [1, 2], false, true), -2), [1]);
  const m = g.mean(h, [1], false, false);
  const [, mw, mc] = g.tensors[m].shape;
  h = g.requantize(g.reshape(m, [1, mw * mc]), 0.03, 5);
  h = g.fc(h, 7, 'NONE', int4, 0.1);
  return g.build(x, g.softmax(h));
}

/**
 * The model with 2:4 sparsity as pqk's pruning makes it: along the input channels of every CONV_2D and
 * FULLY_CONNECTED whose input channels come in fours, the two smallest weights of each four zeroed (a conv with one
 * input channel, as a DS-CNN's first, and the depthwise convs stay dense).
 */
export function twoOfFour(model: QModel): QModel {
  const m = structuredClone(model);
  for (const op of m.ops.filter((o) => o.op === 'CONV_2D' || o.op === 'FULLY_CONNECTED')) {
    const w = m.tensors[op.inputs[1]];
    if (w.shape[w.shape.length - 1] % 4 !== 0) continue;
    const d = w.data as Int8Array;
    for (let i = 0; i + 4 <= d.length; i += 4) {
      const order = [0, 1, 2, 3].sort((a, b) => Math.abs(d[i + a]) - Math.abs(d[i + b]));
      d[i + order[0]] = 0;
      d[i + order[1]] = 0;
    }
  }
  return m;
}
