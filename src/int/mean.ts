// MEAN on int8 with constant axes. TFLite 2.9 picks one of three code paths and each rounds differently; all
// three are reproduced (checked against libtensorflowlite_c 2.9 on x86-64):
//  - keep_dims, rank 4, axes {1, 2}: on x86-64 (MEAN registered as its reference kernel without NEON)
//    reference_integer_ops::Mean: sum of (x - zp_in), MultiplyByQuantizedMultiplier with s_in / s_out, integer
//    division by the count rounding half away from zero, + zp_out, saturate; on arm64 optimized_integer_ops::Mean:
//    raw sum times float32(s_in / (count * s_out)) as a Q31 multiplier (NEON, ties upwards, for whole groups of 16
//    channels; MultiplyByQuantizedMultiplier for the rest), + zp_out - round(zp_in * s_in / s_out), saturate;
//  - same scale and zero point on input and output: reference_ops::Mean (int32 sum, C division truncating towards 0);
//  - otherwise: reference_ops::QuantizedMeanOrSum in float32: roundf(mean * scale - zp_in * scale) + zp_out, saturate.

import type { MeanOptions } from './graph.js';
import { multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierTiesUp, quantizeMultiplier } from './quantize.js';
import {
  activationParams,
  constantData,
  expectShape,
  fail,
  inputTensor,
  int8Kernel,
  outputTensor,
  roundHalfAway,
  type KernelContext,
} from './common.js';

const f32 = Math.fround;

export type MeanPath = 'integer-4d' | 'optimized-4d' | 'integer-truncating' | 'float-rescaling';

export interface MeanParams {
  path: MeanPath;
  inShape: number[];
  reduced: boolean[]; // per input dim
  outCount: number;
  count: number; // elements per mean
  inZeroPoint: number;
  outZeroPoint: number;
  scale: number; // float32(s_in / s_out)
  bias: number; // float32(-zp_in * scale)
  multiplier: number; // Q31 of s_in / s_out (integer-4d) or of float32(s_in / (count * s_out)) (optimized-4d)
  shift: number;
  intBias: number; // optimized-4d: zp_out - round(float32(zp_in * s_in) / s_out)
  depth: number; // last input dimension
  neonChannels: number; // optimized-4d: channels below this are rescaled by NEON code (ties upwards)
}

export function prepareMean(ctx: KernelContext): MeanParams {
  const o = ctx.op.options as MeanOptions;
  const input = inputTensor(ctx, 0);
  const output = outputTensor(ctx);
  const axisData = constantData(ctx, inputTensor(ctx, 1), Int32Array);
  const rank = input.shape.length;
  const reduced = input.shape.map(() => false);
  for (const a of axisData) {
    const axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank) fail(ctx, `axis ${a} out of range for rank ${rank}`);
    reduced[axis] = true;
  }
  const outShape = o.keepDims ? input.shape.map((d, i) => (reduced[i] ? 1 : d)) : input.shape.filter((_, i) => !reduced[i]);
  expectShape(ctx, output, outShape);
  const inQ = activationParams(ctx, input);
  const outQ = activationParams(ctx, output);
  const axes = Array.from(axisData);
  const special = o.keepDims && rank === 4 && axes.length === 2 && axes.includes(1) && axes.includes(2) && axes[0] !== axes[1];
  const same = inQ.zeroPoint === outQ.zeroPoint && inQ.scale === outQ.scale;
  const scale = f32(inQ.scale / outQ.scale);
  const count = input.shape.reduce((a, d, i) => (reduced[i] ? a * d : a), 1);
  return {
    path: special ? (ctx.flavor === 'arm64' ? 'optimized-4d' : 'integer-4d') : same ? 'integer-truncating' : 'float-rescaling',
    inShape: input.shape.slice(),
    reduced,
    outCount: outShape.reduce((a, d) => a * d, 1),
    count,
    inZeroPoint: inQ.zeroPoint,
    outZeroPoint: outQ.zeroPoint,
    scale,
    bias: f32(-inQ.zeroPoint * scale),
    ...quantizeMultiplier(special && ctx.flavor === 'arm64' ? f32(inQ.scale / f32(count * outQ.scale)) : inQ.scale / outQ.scale),
    intBias: outQ.zeroPoint - roundHalfAway(f32(f32(inQ.zeroPoint * inQ.scale) / outQ.scale)),
    depth: input.shape[rank - 1] ?? 1,
    neonChannels: (input.shape[rank - 1] ?? 1) - ((input.shape[rank - 1] ?? 1) % 16),
  };
}

// Sums over the reduced dims; output elements in row-major order of the kept dims.
function reduceSum(p: MeanParams, input: Int8Array): Float64Array {
  const sums = new Float64Array(p.outCount);
  const rank = p.inShape.length;
  const outStride = new Array<number>(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (!p.reduced[d]) {
      outStride[d] = s;
      s *= p.inShape[d];
    }
  }
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < input.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o += idx[d] * outStride[d];
    sums[o] += input[i];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < p.inShape[d]) break;
      idx[d] = 0;
    }
  }
  return sums;
}

export function mean(p: MeanParams, input: Int8Array): Int8Array {
  const sums = reduceSum(p, input);
  const out = new Int8Array(p.outCount);
  const n = p.count;
  for (let i = 0; i < p.outCount; i++) {
    const sum = sums[i];
    if (p.path === 'integer-truncating') {
      out[i] = Math.trunc(sum / n);
    } else if (p.path === 'optimized-4d') {
      const neon = i % p.depth < p.neonChannels;
      const v = (neon ? multiplyByQuantizedMultiplierTiesUp : multiplyByQuantizedMultiplier)(sum, p.multiplier, p.shift) + p.intBias;
      out[i] = v > 127 ? 127 : v < -128 ? -128 : v;
    } else if (p.path === 'integer-4d') {
      const a = multiplyByQuantizedMultiplier(sum - p.inZeroPoint * n, p.multiplier, p.shift);
      const v = Math.trunc(a > 0 ? (a + (n >> 1)) / n : (a - (n >> 1)) / n) + p.outZeroPoint;
      out[i] = v > 127 ? 127 : v < -128 ? -128 : v;
    } else {
      const m = f32(sum / n);
      const r = roundHalfAway(f32(f32(m * p.scale) + p.bias)) + p.outZeroPoint;
      out[i] = r > 127 ? 127 : r < -128 ? -128 : r;
    }
  }
  return out;
}

export const meanKernel = int8Kernel(prepareMean, mean);
