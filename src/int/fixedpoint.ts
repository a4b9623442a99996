// gemmlowp's fixed-point arithmetic on int32 (fixedpoint/fixedpoint.h), as far as TFLite's reference SOFTMAX and
// LOGISTIC use it: exp on negative values and the reciprocal of 1 + x. A FixedPoint<int32, I> is its raw int32
// value with 31 - I fractional bits; products are SaturatingRoundingDoublingHighMul, sums wrap as int32 does.

import { roundHalfAway } from './common.js';
import {
  frexp,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from './quantize.js';

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
const mul = saturatingRoundingDoublingHighMul;

// SaturatingRoundingMultiplyByPOT<exponent>: a saturating left shift for exponent > 0, a rounding division otherwise.
function saturatingRoundingMultiplyByPOT(x: number, exponent: number): number {
  if (exponent <= 0) return roundingDivideByPOT(x, -exponent);
  const threshold = (1 << (31 - exponent)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x << exponent;
}

// gemmlowp RoundingHalfSum on int32: (a + b + sign) / 2 in 64 bits, truncated.
function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

// exp(a) for a in [-1/4, 0), Q0.31 in and out: a Taylor expansion around -1/8.
function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const constantTerm = 1895147668; // exp(-1/8)
  const oneOver3 = 715827883;
  const x = (a + (1 << 28)) | 0;
  const x2 = mul(x, x);
  const x3 = mul(x2, x);
  const x4 = mul(x2, x2);
  const x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2);
  const poly = saturatingRoundingMultiplyByPOT((mul((x4Over4 + x3) | 0, oneOver3) + x2) | 0, -1);
  return (constantTerm + mul(constantTerm, (x + poly) | 0)) | 0;
}

// exp(-2^e) for e = -2 .. 4 in Q0.31, applied for each bit of the remainder.
const EXP_BARREL: readonly (readonly [number, number])[] = [
  [-2, 1672461947],
  [-1, 1302514674],
  [0, 790015084],
  [1, 290630308],
  [2, 39332535],
  [3, 720401],
  [4, 242],
];

// exp_on_negative_values: a in Q(integerBits).(31 - integerBits), a <= 0; result in Q0.31.
function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusOneQuarter = ((a & (oneQuarter - 1)) - oneQuarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(saturatingRoundingMultiplyByPOT(aModQuarterMinusOneQuarter, integerBits));
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  for (const [e, m] of EXP_BARREL) {
    if (integerBits <= e) continue;
    if ((remainder & (1 << (fractionalBits + e))) !== 0) result = mul(result, m);
  }
  if (integerBits > 5) {
    const clamp = -(1 << (36 - integerBits)); // -32.0
    if (a < clamp) result = 0;
  }
  return a === 0 ? INT32_MAX : result;
}

// one_over_one_plus_x_for_x_in_0_1: Newton-Raphson division, Q0.31 in and out.
function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const c48over17 = 1515870810; // Q2.29
  const cNeg32over17 = -1010580540;
  let x = (c48over17 + mul(halfDenominator, cNeg32over17)) | 0;
  for (let i = 0; i < 3; i++) {
    const oneMinus = ((1 << 29) - mul(halfDenominator, x)) | 0;
    x = (x + saturatingRoundingMultiplyByPOT(mul(x, oneMinus), 2)) | 0;
  }
  return saturatingRoundingMultiplyByPOT(x, 1); // ExactMulByPot<-1> then Rescale<0>
}

// TFLite's GetReciprocal: 1 / x for x in Q(integerDigits), as a Q0.31 scale and the bits above one.
function getReciprocal(x: number, integerDigits: number): { scale: number; bitsOverUnit: number } {
  const headroomPlusOne = Math.clz32(x);
  const shiftedSumMinusOne = ((x << headroomPlusOne) - INT32_MIN) | 0; // (uint32)x << h, minus 2^31
  return { scale: oneOverOnePlusXForXIn01(shiftedSumMinusOne), bitsOverUnit: integerDigits - headroomPlusOne };
}

// PreprocessSoftmaxScaling (double rounding) and CalculateInputRadius for TFLite's int8 reference SOFTMAX: the input
// difference is scaled into Q5.26 by beta * s_in; differences below diffMin contribute nothing.
const SOFTMAX_DIFF_INTEGER_BITS = 5;

export function softmaxInputScaling(beta: number, inputScale: number): { multiplier: number; leftShift: number; diffMin: number } {
  const real = Math.min(beta * inputScale * 2 ** (31 - SOFTMAX_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  const { multiplier, shift } = quantizeMultiplier(real);
  if (shift < 0) throw new RangeError(`softmax: beta * input scale ${beta * inputScale} is too small for the fixed-point reference`);
  const radius = Math.floor((((1 << SOFTMAX_DIFF_INTEGER_BITS) - 1) * 2 ** (31 - SOFTMAX_DIFF_INTEGER_BITS)) / 2 ** shift);
  return { multiplier, leftShift: shift, diffMin: -radius };
}

// reference_ops::Softmax<int8_t, int8_t> (TFLite's and TFLite Micro's reference, which CMSIS-NN's arm_softmax_s8
// equals): per row, exp of the scaled differences to the row maximum summed in Q12.19, times their reciprocal,
// shifted to 8 bits, onto zero point -128.
export function softmaxFixedPoint(
  rows: number,
  depth: number,
  input: Int8Array,
  s: { multiplier: number; leftShift: number; diffMin: number },
): Int8Array {
  const out = new Int8Array(input.length);
  const expOf = (diff: number): number =>
    expOnNegativeValues(mul(Math.imul(diff, 1 << s.leftShift), s.multiplier), SOFTMAX_DIFF_INTEGER_BITS);
  for (let r = 0; r < rows; r++) {
    const base = r * depth;
    let max = -128;
    for (let j = 0; j < depth; j++) max = Math.max(max, input[base + j]);
    let sum = 0; // Q12.19
    for (let j = 0; j < depth; j++) {
      const diff = input[base + j] - max;
      if (diff >= s.diffMin) sum = (sum + saturatingRoundingMultiplyByPOT(expOf(diff), -12)) | 0;
    }
    const { scale, bitsOverUnit } = getReciprocal(sum, 12);
    const exponent = bitsOverUnit + 31 - 8;
    for (let j = 0; j < depth; j++) {
      const diff = input[base + j] - max;
      if (diff < s.diffMin) {
        out[base + j] = -128;
        continue;
      }
      const q = roundingDivideByPOT(mul(scale, expOf(diff)), exponent) - 128;
      out[base + j] = q > 127 ? 127 : q < -128 ? -128 : q;
    }
  }
  return out;
}

// TFLite Micro's int8 LOGISTIC (reference_integer_ops::Logistic, Prepare in logistic_common.cc): the input minus its
// zero point scaled into Q4.27 (a multiplier of s_in * 2^27 from frexp, double rounding), gemmlowp's logistic there
// (1 / (1 + exp(-|x|)) and one minus it for x < 0, exactly 1/2 at 0), then shifted to 8 fractional bits onto zero point
// -128; inputs beyond the radius where Q4.27 saturates go straight to -128 or 127.
const LOGISTIC_INPUT_INTEGER_BITS = 4;

export interface LogisticScaling {
  multiplier: number;
  leftShift: number;
  radius: number;
}

export function logisticInputScaling(inputScale: number): LogisticScaling {
  const [q, leftShift] = frexp(inputScale * 2 ** (31 - LOGISTIC_INPUT_INTEGER_BITS));
  const multiplier = roundHalfAway(q * 2 ** 31);
  const radius = Math.floor((((1 << LOGISTIC_INPUT_INTEGER_BITS) - 1) * 2 ** (31 - LOGISTIC_INPUT_INTEGER_BITS)) / 2 ** leftShift);
  return { multiplier, leftShift, radius };
}

export function logisticFixedPoint(v: number, s: LogisticScaling): number {
  if (v <= -s.radius) return -128;
  if (v >= s.radius) return 127;
  const x = multiplyByQuantizedMultiplier(v, s.multiplier, s.leftShift); // Q4.27
  let y: number; // Q0.31
  if (x === 0) y = 1 << 30;
  else {
    const positive = oneOverOnePlusXForXIn01(expOnNegativeValues(-Math.abs(x) | 0, LOGISTIC_INPUT_INTEGER_BITS));
    y = x > 0 ? positive : (INT32_MAX - positive) | 0;
  }
  const q = roundingDivideByPOT(y, 31 - 8) - 128;
  return q > 127 ? 127 : q < -128 ? -128 : q;
}
