// Small models the runtime tests run, built as QModels and written with pqk's own writer, plus the float
// arithmetic that predicts their outputs (exact whenever a value is not near a rounding tie).
import type { DType, QModel, QTensor } from '../../src/int/graph.js';

export interface FcSpec {
  inScale: number;
  inZero: number;
  weights: number[][]; // [out][in]
  weightScales: number[]; // one (per-tensor) or one per output channel
  bias: number[]; // int32, scale inScale * weight scale
  outScale: number;
  outZero: number;
  weightType?: DType; // int8 (default) or int4
}

// One FULLY_CONNECTED op, int8 activations, symmetric weights, no activation function.
export function fcModel(s: FcSpec): QModel {
  const outN = s.weights.length;
  const inN = s.weights[0].length;
  const perChannel = s.weightScales.length > 1 ? { quantizedDim: 0 } : {};
  return {
    tensors: [
      { name: 'input', shape: [1, inN], dtype: 'int8', scale: [s.inScale], zeroPoint: [s.inZero] },
      {
        name: 'weights',
        shape: [outN, inN],
        dtype: s.weightType ?? 'int8',
        scale: s.weightScales,
        zeroPoint: s.weightScales.map(() => 0),
        ...perChannel,
        data: Int8Array.from(s.weights.flat()),
      },
      {
        name: 'bias',
        shape: [outN],
        dtype: 'int32',
        scale: s.weightScales.map((w) => s.inScale * w),
        zeroPoint: s.weightScales.map(() => 0),
        ...perChannel,
        data: Int32Array.from(s.bias),
      },
      { name: 'output', shape: [1, outN], dtype: 'int8', scale: [s.outScale], zeroPoint: [s.outZero] },
    ],
    ops: [{ op: 'FULLY_CONNECTED', inputs: [0, 1, 2], outputs: [3], options: { activation: 'NONE', keepNumDims: false } }],
    inputs: [0],
    outputs: [3],
    metadata: {},
  };
}

// The real-valued result before rounding, per output channel.
export function fcExact(s: FcSpec, x: Int8Array): number[] {
  return s.weights.map((row, c) => {
    const acc = row.reduce((a, w, i) => a + w * (x[i] - s.inZero), s.bias[c]);
    return (acc * s.inScale * (s.weightScales[c] ?? s.weightScales[0])) / s.outScale + s.outZero;
  });
}

export function fcExpected(s: FcSpec, x: Int8Array): Int8Array {
  return Int8Array.from(fcExact(s, x).map((v) => Math.min(127, Math.max(-128, Math.round(v)))));
}

// True when no output lies within `margin` of a rounding tie, so float rounding predicts TFLite's fixed point.
export function clearOfTies(s: FcSpec, x: Int8Array, margin = 0.01): boolean {
  return fcExact(s, x).every((v) => Math.abs(Math.abs(v - Math.trunc(v)) - 0.5) > margin);
}

// A seeded linear congruential generator, uniform in [0, 1).
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// Deterministic int8 samples, kept only where outputs are clear of ties.
export function samples(s: FcSpec, count: number, seed = 1): Int8Array[] {
  const out: Int8Array[] = [];
  const rnd = lcg(seed);
  while (out.length < count) {
    const x = Int8Array.from(s.weights[0], () => Math.floor(rnd() * 256) - 128);
    if (clearOfTies(s, x)) out.push(x);
  }
  return out;
}

// 4 inputs -> 3 outputs, int8 weights, one weight scale (TFLite 2.9's FULLY_CONNECTED reads only per-tensor
// scales); sample [1, -3, 5, 7] gives [16, -6, 9] (worked out in tflite.test.ts).
export const FC8: FcSpec = {
  inScale: 0.5,
  inZero: -2,
  weights: [
    [1, 2, 3, 4],
    [-1, -2, -3, -4],
    [10, 0, -10, 7],
  ],
  weightScales: [0.25],
  bias: [10, -10, 0],
  outScale: 0.75,
  outZero: 5,
};

// 8 inputs -> 5 outputs, per-channel scales, int4 weights in [-8, 7].
export const FC4: FcSpec = {
  inScale: 0.05,
  inZero: 3,
  weights: [
    [1, -2, 3, -4, 5, -6, 7, -8],
    [7, 7, -8, 0, 1, 2, -3, 4],
    [0, 0, 0, 0, 0, 0, 0, 1],
    [-8, -8, -8, -8, 7, 7, 7, 7],
    [2, 4, 6, -1, -3, -5, 0, 3],
  ],
  weightScales: [0.02, 0.01, 0.03, 0.015, 0.025],
  bias: [100, -50, 7, 0, -300],
  outScale: 0.1,
  outZero: -4,
  weightType: 'int4',
};

// A keyword-spotting-sized network shaped like DS-CNN's first block: 49x10 MFCC input, CONV_2D 10x4/2 to 64
// channels, DEPTHWISE 3x3, pointwise CONV_2D, AVERAGE_POOL, RESHAPE, FULLY_CONNECTED to 12 classes (about 0.9 M
// MACs). Random weights from `seed`; per-channel conv weights, per-tensor FC weights (TFLite 2.9).
export function dsCnnLike(seed = 1): QModel {
  const rnd = lcg(seed);
  const C = 64;
  const int8 = (n: number, r = 127) => Int8Array.from({ length: n }, () => Math.floor(rnd() * (2 * r + 1)) - r);
  const act = (name: string, shape: number[], scale: number, zp: number): QTensor => ({
    name,
    shape,
    dtype: 'int8',
    scale: [scale],
    zeroPoint: [zp],
  });
  const weights = (name: string, shape: number[], qDim: number | undefined, s: number): QTensor => {
    const n = qDim === undefined ? 1 : shape[qDim];
    const scale = Array.from({ length: n }, () => s * (0.5 + rnd()));
    return {
      name,
      shape,
      dtype: 'int8',
      scale,
      zeroPoint: scale.map(() => 0),
      quantizedDim: qDim,
      data: int8(shape.reduce((a, b) => a * b)),
    };
  };
  const bias = (name: string, w: QTensor, channels: number, sIn: number): QTensor => ({
    name,
    shape: [channels],
    dtype: 'int32',
    scale: w.scale.map((s) => s * sIn),
    zeroPoint: w.scale.map(() => 0),
    quantizedDim: w.quantizedDim === undefined ? undefined : 0,
    data: Int32Array.from({ length: channels }, () => Math.floor(rnd() * 2000) - 1000),
  });
  const w1 = weights('conv1/w', [C, 10, 4, 1], 0, 0.002);
  const w2 = weights('dw/w', [1, 3, 3, C], 3, 0.005);
  const w3 = weights('pw/w', [C, 1, 1, C], 0, 0.001);
  const w4 = weights('fc/w', [12, C], undefined, 0.003);
  const conv = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU' } as const;
  return {
    tensors: [
      act('mfcc', [1, 49, 10, 1], 0.1, -3),
      w1,
      bias('conv1/b', w1, C, 0.1),
      act('conv1', [1, 25, 5, C], 0.05, -128),
      w2,
      bias('dw/b', w2, C, 0.05),
      act('dw', [1, 25, 5, C], 0.05, -128),
      w3,
      bias('pw/b', w3, C, 0.05),
      act('pw', [1, 25, 5, C], 0.04, -128),
      act('pool', [1, 1, 1, C], 0.04, -128),
      act('flat', [1, C], 0.04, -128),
      w4,
      bias('fc/b', w4, 12, 0.04),
      act('logits', [1, 12], 0.2, 2),
    ],
    ops: [
      { op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], options: { ...conv, padding: 'SAME', strideH: 2, strideW: 2 } },
      { op: 'DEPTHWISE_CONV_2D', inputs: [3, 4, 5], outputs: [6], options: { ...conv, padding: 'SAME', depthMultiplier: 1 } },
      { op: 'CONV_2D', inputs: [6, 7, 8], outputs: [9], options: { ...conv, padding: 'VALID' } },
      {
        op: 'AVERAGE_POOL_2D',
        inputs: [9],
        outputs: [10],
        options: { padding: 'VALID', strideH: 1, strideW: 1, filterH: 25, filterW: 5, activation: 'NONE' },
      },
      { op: 'RESHAPE', inputs: [10], outputs: [11], options: { newShape: [1, C] } },
      { op: 'FULLY_CONNECTED', inputs: [11, 12, 13], outputs: [14], options: { activation: 'NONE', keepNumDims: false } },
    ],
    inputs: [0],
    outputs: [14],
    metadata: {},
  };
}

// Uniform random int8 inputs.
export function randomInputs(count: number, length: number, seed = 1): Int8Array[] {
  const rnd = lcg(seed);
  return Array.from({ length: count }, () => Int8Array.from({ length }, () => Math.floor(rnd() * 256) - 128));
}
