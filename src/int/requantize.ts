// Accumulator rescaling shared by the convolution-like kernels: per-channel Q31 multipliers computed once at
// prepare time (PopulateConvolutionQuantizationParams, GetQuantizedConvolutionMultipler), and the rounding each
// TFLite code path applies.

import type { Flavor } from './common.js';
import { quantizeMultiplier } from './quantize.js';

export interface ChannelMultipliers {
  multiplier: Int32Array; // [channels]
  shift: Int32Array; // [channels]
}

// How a kernel rounds x * multiplier / 2^(31 - shift); TFLite 2.9 uses all three depending on op and CPU:
//  'away'    common.h MultiplyByQuantizedMultiplier: SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT
//            (ties away from zero);
//  'ties-up' SQRDMULH-style high multiply, then a rounding shift whose ties go upwards (ruy's x86 kernels, the
//            arm64 3x3 depthwise kernel);
//  'single'  one rounding of the exact product, ties upwards (SQDMULH + SRSHL: ruy's arm64 kernels, the NEON part
//            of the arm64 depthwise output stage).
export type Rounding = 'away' | 'ties-up' | 'single';

// Whether TFLite 2.9's arm64 build runs a GEMM as its NEON CustomGemv (cpu_backend_gemm_custom_gemv.h) instead of
// ruy: one output column (a FULLY_CONNECTED of batch 1, a CONV_2D with one output pixel), at least 4 output rows and a
// depth of at least 8. CustomGemv rescales with SQRDMULH then a rounding shift (ties up, 'ties-up'); ruy's arm64
// kernels round once ('single').
export function arm64Gemv(rows: number, depth: number, columns: number): boolean {
  return columns === 1 && rows >= 4 && depth >= 8;
}

// The rescale rounding of a CONV_2D or FULLY_CONNECTED GEMM in each flavour (shapes: output rows, depth, columns).
export function gemmRounding(flavor: Flavor, rows: number, depth: number, columns: number): Rounding {
  if (flavor === 'tflm') return 'away';
  if (flavor === 'litert') return 'single';
  if (flavor === 'x86-64') return 'ties-up';
  return arm64Gemv(rows, depth, columns) ? 'ties-up' : 'single';
}
const MODE: Record<Rounding, number> = { away: 0, 'ties-up': 1, single: 2 };

// Per-channel constants of the hot-loop rescale, split so every product is exact in a double (TFLite's Prepare).
export interface ChannelRescaler {
  mode: Uint8Array; // 0 away, 1 ties-up, 2 single
  leftMul: Int32Array; // 2^max(shift, 0)
  mh: Float64Array; // multiplier >> 16
  ml: Float64Array; // multiplier & 0xffff
  nudge: Float64Array; // 2^30 for the rounded high multiply, 0 where 'single' defers all rounding to the shift
  right: Int32Array; // max(-shift, 0)
  half: Float64Array; // 2^(right - 1), 0 when right = 0
  inv: Float64Array; // 2^-right
}

const INV16 = 1 / 65536;
const INV15 = 1 / 32768;

// `rounding` may differ per channel (arm64's depthwise output stage runs whole groups of 8 channels in NEON).
export function channelRescaler(m: ChannelMultipliers, rounding: Rounding | ((channel: number) => Rounding)): ChannelRescaler {
  const n = m.multiplier.length;
  const r: ChannelRescaler = {
    mode: new Uint8Array(n),
    leftMul: new Int32Array(n),
    mh: new Float64Array(n),
    ml: new Float64Array(n),
    nudge: new Float64Array(n),
    right: new Int32Array(n),
    half: new Float64Array(n),
    inv: new Float64Array(n),
  };
  for (let c = 0; c < n; c++) {
    const mult = m.multiplier[c];
    const shift = m.shift[c];
    if (mult < 0 || shift > 30 || shift < -31) throw new Error(`multiplier ${mult} / shift ${shift} outside TFLite's range`);
    r.mode[c] = MODE[typeof rounding === 'function' ? rounding(c) : rounding];
    r.leftMul[c] = shift > 0 ? 1 << shift : 1;
    r.mh[c] = Math.floor(mult / 65536);
    r.ml[c] = mult - r.mh[c] * 65536;
    r.right[c] = shift > 0 ? 0 : -shift;
    r.nudge[c] = r.mode[c] === 2 && r.right[c] > 0 ? 0 : 1073741824;
    r.half[c] = r.right[c] > 0 ? 2 ** (r.right[c] - 1) : 0;
    r.inv[c] = 2 ** -r.right[c];
  }
  return r;
}

// x * multiplier / 2^(31 - shift) for channel c. The high multiply is floor((x*m + nudge) / 2^31), which for
// nudge 2^30 equals SaturatingRoundingDoublingHighMul on every non-saturating input; x*m is taken as x*mh and x*ml
// so that no bit is lost. 'single' with a right shift: floor(x*m / 2^31) then a ties-up shift equals one rounding.
export function rescaleChannel(r: ChannelRescaler, c: number, acc: number): number {
  const x = r.leftMul[c] === 1 ? acc | 0 : Math.imul(acc, r.leftMul[c]);
  const v = Math.floor((x * r.mh[c] + Math.floor((x * r.ml[c] + r.nudge[c]) * INV16)) * INV15);
  if (r.mode[c] !== 0) return Math.floor((v + r.half[c]) * r.inv[c]);
  const e = r.right[c];
  if (e === 0) return v;
  const mask = e === 31 ? 0x7fffffff : (1 << e) - 1;
  return (v >> e) + ((v & mask) > (mask >> 1) + (v < 0 ? 1 : 0) ? 1 : 0);
}

// Conv / depthwise: effective scale s_in * s_w[c] / s_out in double from the float32 scales; a per-tensor
// filter scale is broadcast over the channels.
export function convMultipliers(
  inputScale: number,
  filterScales: readonly number[],
  outputScale: number,
  channels: number,
): ChannelMultipliers {
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const fs = Math.fround(filterScales.length === 1 ? filterScales[0] : filterScales[c]);
    const q = quantizeMultiplier((Math.fround(inputScale) * fs) / Math.fround(outputScale));
    multiplier[c] = q.multiplier;
    shift[c] = q.shift;
  }
  return { multiplier, shift };
}

// FULLY_CONNECTED (TFLite 2.9 is per-tensor only): the input*filter product is taken in float32 before the division.
export function fullyConnectedMultiplier(
  inputScale: number,
  filterScale: number,
  outputScale: number,
): { multiplier: number; shift: number } {
  const product = Math.fround(Math.fround(inputScale) * Math.fround(filterScale));
  return quantizeMultiplier(product / Math.fround(outputScale));
}

// Rescale, add the output zero point, clamp to the fused activation range.
export function requantizeChannel(
  r: ChannelRescaler,
  c: number,
  acc: number,
  outputOffset: number,
  actMin: number,
  actMax: number,
): number {
  const v = rescaleChannel(r, c, acc) + outputOffset;
  return v < actMin ? actMin : v > actMax ? actMax : v;
}
