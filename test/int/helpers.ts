// Builders for small QModels used by the integer-reference tests: one op, random but seeded data.

import type { Activation, DType, Padding, QModel, QOp, QTensor } from '../../src/int/graph.js';
import { mulberry32 } from '../../src/util/rng.js';

// Seeded so that failures reproduce.
export const rng = mulberry32;

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function randInt8(r: () => number, n: number, lo = -128, hi = 127): Int8Array {
  return Int8Array.from({ length: n }, () => randInt(r, lo, hi));
}

export function act(name: string, shape: number[], scale: number, zeroPoint: number): QTensor {
  return { name, shape, dtype: 'int8', scale: [Math.fround(scale)], zeroPoint: [zeroPoint] };
}

export function weights(name: string, shape: number[], data: Int8Array, scales: number[], dim: number, dtype: DType = 'int8'): QTensor {
  return { name, shape, dtype, scale: scales.map(Math.fround), zeroPoint: scales.map(() => 0), quantizedDim: dim, data };
}

export function bias(name: string, data: Int32Array, inScale: number, wScales: number[]): QTensor {
  const scale = wScales.map((s) => Math.fround(Math.fround(inScale) * Math.fround(s)));
  return { name, shape: [data.length], dtype: 'int32', scale, zeroPoint: scale.map(() => 0), quantizedDim: 0, data };
}

export function model(tensors: QTensor[], op: QOp): QModel {
  return { tensors, ops: [op], inputs: [0], outputs: [op.outputs[0]], metadata: {} };
}

export interface ConvSpec {
  kind: 'CONV_2D' | 'DEPTHWISE_CONV_2D';
  inShape: [number, number, number, number];
  outC: number; // CONV_2D output channels, or depth multiplier x input channels for depthwise
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH?: number;
  dilationW?: number;
  padding: Padding;
  activation: Activation;
  inScale: number;
  inZeroPoint: number;
  outScale: number;
  outZeroPoint: number;
  wScales: number[];
  w: Int8Array;
  b: Int32Array;
  wType?: DType;
}

function outSize(padding: Padding, n: number, k: number, s: number, d: number): number {
  const eff = (k - 1) * d + 1;
  return padding === 'SAME' ? Math.ceil(n / s) : Math.floor((n - eff + s) / s);
}

export function convModel(c: ConvSpec): QModel {
  const [n, h, w, ci] = c.inShape;
  const dh = c.dilationH ?? 1;
  const dw = c.dilationW ?? 1;
  const out = [n, outSize(c.padding, h, c.kH, c.strideH, dh), outSize(c.padding, w, c.kW, c.strideW, dw), c.outC];
  const dwise = c.kind === 'DEPTHWISE_CONV_2D';
  const fShape = dwise ? [1, c.kH, c.kW, c.outC] : [c.outC, c.kH, c.kW, ci];
  const tensors = [
    act('in', [n, h, w, ci], c.inScale, c.inZeroPoint),
    weights('w', fShape, c.w, c.wScales, dwise ? 3 : 0, c.wType ?? 'int8'),
    bias('b', c.b, c.inScale, c.wScales),
    act('out', out, c.outScale, c.outZeroPoint),
  ];
  const base = { padding: c.padding, strideH: c.strideH, strideW: c.strideW, dilationH: dh, dilationW: dw, activation: c.activation };
  const op: QOp = dwise
    ? { op: 'DEPTHWISE_CONV_2D', inputs: [0, 1, 2], outputs: [3], options: { ...base, depthMultiplier: c.outC / ci } }
    : { op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], options: base };
  return model(tensors, op);
}

// A random conv / depthwise spec whose output scale keeps most results inside int8.
export function randomConvSpec(
  r: () => number,
  kind: ConvSpec['kind'],
  inShape: [number, number, number, number],
  outC: number,
  k: number,
  wType: DType = 'int8',
): ConvSpec {
  const wMax = wType === 'int4' ? 7 : 127;
  const ci = inShape[3];
  const taps = kind === 'CONV_2D' ? k * k * ci : k * k;
  const fCount = kind === 'CONV_2D' ? outC * taps : k * k * outC;
  const inScale = 0.01 + r() * 0.05;
  const wScales = Array.from({ length: outC }, () => 0.001 + r() * 0.02);
  const typicalAcc = Math.sqrt(taps) * 60 * wMax * 0.5;
  return {
    kind,
    inShape,
    outC,
    kH: k,
    kW: k,
    strideH: randInt(r, 1, 2),
    strideW: randInt(r, 1, 2),
    padding: r() < 0.5 ? 'SAME' : 'VALID',
    activation: (['NONE', 'RELU', 'RELU6'] as const)[randInt(r, 0, 2)],
    inScale,
    inZeroPoint: randInt(r, -128, 127),
    outScale: (typicalAcc * inScale * wScales[0]) / 60,
    outZeroPoint: randInt(r, -20, 20),
    wScales,
    w: randInt8(r, fCount, -wMax - (wType === 'int4' ? 1 : 0), wMax),
    b: Int32Array.from({ length: outC }, () => randInt(r, -5000, 5000)),
    wType,
  };
}

export function fcModel(
  batch: number,
  inD: number,
  outD: number,
  inQ: [number, number],
  outQ: [number, number],
  w: Int8Array,
  wScales: number[],
  b: Int32Array,
  activation: Activation = 'NONE',
): QModel {
  return model(
    [
      act('in', [batch, inD], ...inQ),
      weights('w', [outD, inD], w, wScales, 0),
      bias('b', b, inQ[0], wScales),
      act('out', [batch, outD], ...outQ),
    ],
    { op: 'FULLY_CONNECTED', inputs: [0, 1, 2], outputs: [3], options: { activation, keepNumDims: false } },
  );
}

export function poolModel(
  kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D',
  inShape: number[],
  outShape: number[],
  q: [number, number],
  f: [number, number],
  s: [number, number],
  padding: Padding,
  activation: Activation = 'NONE',
): QModel {
  return model([act('in', inShape, ...q), act('out', outShape, ...q)], {
    op: kind,
    inputs: [0],
    outputs: [1],
    options: { padding, filterH: f[0], filterW: f[1], strideH: s[0], strideW: s[1], activation },
  });
}

export function meanModel(inShape: number[], axes: number[], keepDims: boolean, inQ: [number, number], outQ: [number, number]): QModel {
  const outShape = keepDims ? inShape.map((d, i) => (axes.includes(i) ? 1 : d)) : inShape.filter((_, i) => !axes.includes(i));
  const axisT: QTensor = { name: 'axes', shape: [axes.length], dtype: 'int32', scale: [], zeroPoint: [], data: Int32Array.from(axes) };
  return model([act('in', inShape, ...inQ), axisT, act('out', outShape, ...outQ)], {
    op: 'MEAN',
    inputs: [0, 1],
    outputs: [2],
    options: { keepDims },
  });
}

// ADD or MUL of the model input by a constant second operand (the interpreter takes one model input).
function binaryModel(
  op: 'ADD' | 'MUL',
  shape1: number[],
  shape2: number[],
  outShape: number[],
  q: [[number, number], [number, number], [number, number]],
  b: Int8Array,
  activation: Activation,
): QModel {
  const bT: QTensor = { ...act('b', shape2, ...q[1]), data: b };
  return model([act('a', shape1, ...q[0]), bT, act('out', outShape, ...q[2])], {
    op,
    inputs: [0, 1],
    outputs: [2],
    options: { activation },
  });
}

export function addModel(
  shape1: number[],
  shape2: number[],
  outShape: number[],
  q1: [number, number],
  q2: [number, number],
  qo: [number, number],
  b: Int8Array,
  activation: Activation = 'NONE',
): QModel {
  return binaryModel('ADD', shape1, shape2, outShape, [q1, q2, qo], b, activation);
}

export function softmaxModel(shape: number[], inQ: [number, number], beta = 1): QModel {
  return model([act('in', shape, ...inQ), act('out', shape, 1 / 256, -128)], {
    op: 'SOFTMAX',
    inputs: [0],
    outputs: [1],
    options: { beta },
  });
}

// CONCATENATION of int8 inputs (the first is the model input, the rest constants) sharing one quantization.
export function concatModel(shapes: number[][], axis: number, q: [number, number], consts: Int8Array[]): QModel {
  const rank = shapes[0]!.length;
  const ax = axis < 0 ? axis + rank : axis;
  const outShape = shapes[0]!.map((n, d) => (d === ax ? shapes.reduce((a, s) => a + s[d]!, 0) : n));
  const inputs = shapes.map((s, i): QTensor => (i === 0 ? act('in', s, ...q) : { ...act(`c${i}`, s, ...q), data: consts[i - 1]! }));
  return model([...inputs, act('out', outShape, ...q)], {
    op: 'CONCATENATION',
    inputs: shapes.map((_, i) => i),
    outputs: [shapes.length],
    options: { axis, activation: 'NONE' },
  });
}

// PAD with constant paddings [before0, after0, before1, after1, ...]; input and output share the quantization.
export function padModel(inShape: number[], paddings: number[], q: [number, number]): QModel {
  const outShape = inShape.map((n, d) => n + paddings[2 * d]! + paddings[2 * d + 1]!);
  const p: QTensor = {
    name: 'paddings',
    shape: [inShape.length, 2],
    dtype: 'int32',
    scale: [],
    zeroPoint: [],
    data: Int32Array.from(paddings),
  };
  return model([act('in', inShape, ...q), p, act('out', outShape, ...q)], { op: 'PAD', inputs: [0, 1], outputs: [2], options: {} });
}

export function quantizeModel(n: number, outQ: [number, number]): QModel {
  const input: QTensor = { name: 'in', shape: [1, n], dtype: 'float32', scale: [], zeroPoint: [] };
  return model([input, act('out', [1, n], ...outQ)], { op: 'QUANTIZE', inputs: [0], outputs: [1], options: {} });
}

// MUL of the model input by a constant (broadcast when its shape differs).
export function mulModel(
  shape1: number[],
  shape2: number[],
  q1: [number, number],
  q2: [number, number],
  qo: [number, number],
  b: Int8Array,
  activation: Activation = 'NONE',
): QModel {
  return binaryModel('MUL', shape1, shape2, shape1, [q1, q2, qo], b, activation);
}

// A one-input elementwise activation (LOGISTIC's output at its fixed 1/256, -128).
export function unaryModel(op: 'LOGISTIC' | 'HARD_SWISH', shape: number[], inQ: [number, number], outQ: [number, number]): QModel {
  const o: [number, number] = op === 'LOGISTIC' ? [1 / 256, -128] : outQ;
  return model([act('in', shape, ...inQ), act('out', shape, ...o)], { op, inputs: [0], outputs: [1], options: {} } as QOp);
}

// SQUEEZE of `dims` (none: every 1) or EXPAND_DIMS at `axis`, the output shape as TFLite computes it; `out` overrides it.
export function shapeOpModel(
  op: 'SQUEEZE' | 'EXPAND_DIMS',
  shape: number[],
  arg: number[] | number,
  q: [number, number],
  out?: number[],
): QModel {
  const dims = Array.isArray(arg) ? arg : [];
  const axis = Array.isArray(arg) ? 0 : arg;
  const a = axis < 0 ? axis + shape.length + 1 : axis;
  const outShape =
    out ??
    (op === 'SQUEEZE'
      ? shape.filter((n, i) => (dims.length === 0 ? n !== 1 : !dims.map((d) => (d < 0 ? d + shape.length : d)).includes(i)))
      : [...shape.slice(0, a), 1, ...shape.slice(a)]);
  const tensors: QTensor[] = [act('in', shape, ...q), act('out', outShape, ...q)];
  if (op === 'SQUEEZE') return model(tensors, { op, inputs: [0], outputs: [1], options: { squeezeDims: dims } });
  tensors.push({ name: 'axis', shape: [1], dtype: 'int32', scale: [], zeroPoint: [], data: Int32Array.of(axis) });
  return model(tensors, { op, inputs: [0, 2], outputs: [1], options: {} });
}
