// ADD on int8 with TFLite 2.9's general rescaling (add.cc Prepare, optimized_integer_ops::Add): both inputs are
// shifted left by 20 bits, scaled by s_i / (2 max(s1, s2)), summed, scaled by 2 max(s1, s2) / (2^20 s_out), all
// through MultiplyByQuantizedMultiplierSmallerThanOneExp (two roundings); NumPy broadcasting over the inputs.

import type { AddOptions } from './graph.js';
import {
  activationParams,
  activationRange,
  fail,
  inputTensor,
  outputTensor,
  type Evaluate,
  type KernelContext,
  type OpKernel,
} from './common.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from './quantize.js';

const LEFT_SHIFT = 20;

// The three rescalings of an ADD from the scales (float32 values, as the flatbuffer holds them): each input by
// s_i / (2 max(s1, s2)), the sum by 2 max(s1, s2) / (2^20 s_out); every factor must lie in (0, 1).
export interface AddRescale {
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
}

export interface AddParams extends AddRescale {
  outShape: number[];
  strides1: number[]; // per output dim, 0 where input 1 broadcasts
  strides2: number[];
  input1Offset: number;
  input2Offset: number;
  outputOffset: number;
  actMin: number;
  actMax: number;
}

// Per output dimension, the step of an input broadcast NumPy-style to `outShape` (0 where it repeats).
export function broadcastStrides(ctx: KernelContext, shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = 1; i <= outShape.length; i++) {
    const d = i <= shape.length ? shape[shape.length - i] : 1;
    const od = outShape[outShape.length - i];
    if (d !== od && d !== 1) fail(ctx, `cannot broadcast [${shape.join(', ')}] to [${outShape.join(', ')}]`);
    strides[outShape.length - i] = d === 1 ? 0 : s;
    s *= d;
  }
  return strides;
}

export function addRescale(s1: number, s2: number, so: number, fail: (why: string) => never): AddRescale {
  const twiceMax = 2 * Math.max(s1, s2);
  const smallerThanOne = (real: number) => {
    if (!(real > 0 && real < 1)) fail(`rescale factor ${real} is outside (0, 1)`);
    return quantizeMultiplier(real); // QuantizeMultiplierSmallerThanOneExp
  };
  const m1 = smallerThanOne(s1 / twiceMax);
  const m2 = smallerThanOne(s2 / twiceMax);
  const mo = smallerThanOne(twiceMax / Math.fround(2 ** LEFT_SHIFT * so));
  return {
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputMultiplier: mo.multiplier,
    outputShift: mo.shift,
  };
}

export function prepareAdd(ctx: KernelContext): AddParams {
  const o = ctx.op.options as AddOptions;
  const [in1, in2, out] = [inputTensor(ctx, 0), inputTensor(ctx, 1), outputTensor(ctx)];
  const [q1, q2, qo] = [activationParams(ctx, in1), activationParams(ctx, in2), activationParams(ctx, out)];
  const [actMin, actMax] = activationRange(o.activation, qo.scale, qo.zeroPoint);
  return {
    outShape: out.shape.slice(),
    strides1: broadcastStrides(ctx, in1.shape, out.shape),
    strides2: broadcastStrides(ctx, in2.shape, out.shape),
    input1Offset: -q1.zeroPoint,
    input2Offset: -q2.zeroPoint,
    outputOffset: qo.zeroPoint,
    ...addRescale(q1.scale, q2.scale, qo.scale, (why) => fail(ctx, why)),
    actMin,
    actMax,
  };
}

// The rescaled sum before the output offset and the clamp: v1, v2 are the inputs minus their zero points.
export function addRaw(r: AddRescale, v1: number, v2: number): number {
  const x1 = multiplyByQuantizedMultiplier(v1 << LEFT_SHIFT, r.input1Multiplier, r.input1Shift);
  const x2 = multiplyByQuantizedMultiplier(v2 << LEFT_SHIFT, r.input2Multiplier, r.input2Shift);
  return multiplyByQuantizedMultiplier((x1 + x2) | 0, r.outputMultiplier, r.outputShift);
}

export function addElement(p: AddParams, a: number, b: number): number {
  const v = addRaw(p, a + p.input1Offset, b + p.input2Offset) + p.outputOffset;
  return v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
}

export function add(p: AddParams, a: Int8Array, b: Int8Array): Int8Array {
  return broadcastBinary(p, a, b, (x, y) => addElement(p, x, y));
}

// An elementwise op of two int8 inputs broadcast to `outShape` (TFLite's BroadcastAdd4DSlow / BroadcastMul4DSlow order).
export function broadcastBinary(
  p: { outShape: number[]; strides1: number[]; strides2: number[] },
  a: Int8Array,
  b: Int8Array,
  f: (x: number, y: number) => number,
): Int8Array {
  const rank = p.outShape.length;
  const n = p.outShape.reduce((x, d) => x * d, 1);
  const out = new Int8Array(n);
  const idx = new Array<number>(rank).fill(0);
  let i1 = 0;
  let i2 = 0;
  for (let i = 0; i < n; i++) {
    out[i] = f(a[i1], b[i2]);
    for (let d = rank - 1; d >= 0; d--) {
      i1 += p.strides1[d];
      i2 += p.strides2[d];
      if (++idx[d] < p.outShape[d]) break;
      i1 -= p.strides1[d] * idx[d];
      i2 -= p.strides2[d] * idx[d];
      idx[d] = 0;
    }
  }
  return out;
}

export const addKernel: OpKernel = {
  prepare(ctx: KernelContext): Evaluate {
    const p = prepareAdd(ctx);
    return (inputs) => add(p, inputs[0] as Int8Array, inputs[1] as Int8Array);
  },
};
