// Fixed-point multipliers and rounding exactly as TFLite 2.9 computes them (quantization_util.cc, common.h,
// gemmlowp fixedpoint.h and ruy apply_multiplier.cc). Every function works on JS numbers holding int32 values and
// stays exact: 64-bit products are split so that each partial product fits a double's 53-bit mantissa.

import { roundHalfAway } from './common.js';

export { roundHalfAway } from './common.js';
export { quantizeWeightsPerChannel, quantizeWeightsPerTensor, quantizeBias, weightRange } from './weights.js';
export type { QuantizedWeights } from './weights.js';

export interface QuantizedMultiplier {
  multiplier: number; // Q31 significand in [2^30, 2^31) (or 0)
  shift: number; // power of two applied after the Q31 multiply: > 0 left, < 0 right
}

const TWO31 = 2147483648;
const INV_TWO15 = 1 / 32768;
const INV_TWO31 = 1 / TWO31;
const INT32_MIN = -2147483648;

// std::frexp: x = m * 2^e with 0.5 <= |m| < 1.
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let m = e < -1000 ? x * 2 ** 600 * 2 ** -(e + 600) : x * 2 ** -e;
  while (Math.abs(m) >= 1) [m, e] = [m / 2, e + 1];
  while (Math.abs(m) < 0.5) [m, e] = [m * 2, e - 1];
  return [m, e];
}

// QuantizeMultiplier: round(frac * 2^31), renormalised when the rounding reaches 2^31; |real| < 2^-31 flushes to 0.
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  const [q, e] = frexp(real);
  let qFixed = roundHalfAway(q * TWO31);
  let shift = e;
  if (Math.abs(qFixed) === TWO31) {
    qFixed /= 2;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: qFixed, shift };
}

// floor((a * b + c) / 2^31) for 0 <= a, b <= 2^31 and 0 <= c < 2^31, exact.
function mulAddShift31(a: number, b: number, c: number): number {
  const bh = Math.floor(b / 65536);
  const hi = a * bh; // < 2^46
  const hh = Math.floor(hi * INV_TWO15);
  const r = (hi - hh * 32768) * 65536 + a * (b - bh * 65536) + c; // < 2^48
  return hh + Math.floor(r * INV_TWO31);
}

// gemmlowp SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31 truncated towards zero, nudge = ±2^30.
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return 2147483647;
  const negative = a < 0 !== b < 0 && a !== 0 && b !== 0;
  const q = mulAddShift31(Math.abs(a), Math.abs(b), negative ? 1073741823 : 1073741824);
  return negative ? 0 - q : q;
}

// gemmlowp RoundingDivideByPOT: x / 2^exponent, rounding to nearest with ties away from zero.
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = exponent >= 31 ? 0x7fffffff : (1 << exponent) - 1;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + ((x & mask) > threshold ? 1 : 0);
}

// TFLite MultiplyByQuantizedMultiplier (common.h, double rounding). The left shift is an int32 multiply in C,
// so it wraps like Math.imul.
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const xs = left > 0 ? Math.imul(x, 1 << left) : x;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(xs, multiplier), shift > 0 ? 0 : -shift);
}

// ruy's optimized GEMM kernels (x86 AVX2/AVX-512 and NEON, the "native rounding" of the ruy TFLite 2.9 pins):
// SaturatingRoundingDoublingHighMul, then a rounding right shift whose ties go upwards (x + 2^(e-1)) >> e.
// SaturatingRoundingDoublingHighMul itself equals floor((a*b + 2^30) / 2^31), so both roundings are ties-up.
export function multiplyByQuantizedMultiplierTiesUp(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const v = saturatingRoundingDoublingHighMul(left > 0 ? Math.imul(x, 1 << left) : x, multiplier);
  const e = shift > 0 ? 0 : -shift;
  return e === 0 ? v : Math.floor((v + 2 ** (e - 1)) * 2 ** -e);
}

// ruy's MultiplyByQuantizedMultiplier (also TFLITE_SINGLE_ROUNDING): (x*m + 2^(t-1)) >> t with t = 31 - shift,
// one rounding, ties upwards. Requires 0 <= multiplier < 2^31 and -31 <= shift <= 7.
export function multiplyByQuantizedMultiplierSingleRounding(x: number, multiplier: number, shift: number): number {
  const t = 31 - shift;
  const mh = Math.floor(multiplier / 65536);
  const hi = x * mh; // |hi| < 2^46
  const hh = Math.floor(hi * INV_TWO15); // x*m = hh*2^31 + r0
  const r0 = (hi - hh * 32768) * 65536 + x * (multiplier - mh * 65536);
  if (t <= 31) return hh * 2 ** (31 - t) + Math.floor((r0 + 2 ** (t - 1)) * 2 ** -t);
  const q1 = Math.floor(r0 * INV_TWO31);
  return Math.floor((hh + q1 + 2 ** (t - 32)) * 2 ** (31 - t));
}

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

// The converter's choice of asymmetric parameters for a float range (range widened to hold 0, zero point nudged
// to the integer grid as the MLIR quantizer's getNudgedScaleAndZeroPoint does, in double); the scale is returned as
// the float32 the flatbuffer will hold.
export function chooseQuantParams(min: number, max: number, qmin = -128, qmax = 127): QuantParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (lo === hi) return { scale: 1, zeroPoint: 0 };
  const scale = (hi - lo) / (qmax - qmin);
  const zpFromMin = qmin - lo / scale;
  const zpFromMax = qmax - hi / scale;
  const errMin = Math.abs(qmin) + Math.abs(lo / scale);
  const errMax = Math.abs(qmax) + Math.abs(hi / scale);
  const zpReal = errMin < errMax ? zpFromMin : zpFromMax;
  const zeroPoint = zpReal < qmin ? qmin : zpReal > qmax ? qmax : roundHalfAway(zpReal);
  return { scale: Math.fround(scale), zeroPoint };
}

// Float to int8 the way TFLite 2.9's optimized AffineQuantize does it for one value: the float32 value divided by
// the float32 scale in double, rounded half away from zero, clamped.
export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin = -128, qmax = 127): number {
  // TFLite's QUANTIZE: the float32 quotient, rounded half away from zero.
  const q = roundHalfAway(Math.fround(Math.fround(x) / Math.fround(scale))) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}
