// HARD_SWISH: x * relu6(x + 3) / 6 on int8, in the 16-bit fixed point of reference_ops::HardSwish (which TFLite 2.9's
// x86-64 kernel and TFLite Micro both run): the input on a 2^7-finer scale, a "reluish" factor in [0, 1] from it, their
// product on the output scale. Every int8 input has one output, so Prepare tabulates them.
import { activationParams, elements, fail, inputTensor, lookupKernel, outputTensor, type KernelContext } from '../int/common.js';
import { quantizeMultiplier } from '../int/quantize.js';
import { BuiltinOperator, BuiltinOptions, HardSwishOptions } from '../tflite/generated/index.js';
import { emptyTable } from '../tflite/table-spec.js';
import type { OpDescriptor } from './descriptor.js';

declare module '../int/graph.js' {
  interface OpOptionsMap {
    HARD_SWISH: Record<string, never>;
  }
}

const i16 = (v: number): number => (v << 16) >> 16; // int16_t's wrap-around

// gemmlowp SaturatingRoundingDoublingHighMul on int16: (a*b + nudge) / 2^15 truncated, the one overflow saturated.
function srdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b;
  return i16(Math.trunc((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / (1 << 15)));
}

// Its non-rounding twin (reference_ops::SaturatingDoublingHighMul): a*b / 2^15 truncated towards zero.
function sdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return i16(Math.trunc((a * b) / (1 << 15)));
}

// gemmlowp RoundingDivideByPOT on int16 (mask and threshold in int16, as the template computes them).
function rdbpot16(x: number, e: number): number {
  const mask = i16(2 ** e - 1);
  const threshold = i16((mask >> 1) + (x < 0 ? 1 : 0));
  return i16((x >> e) + (i16(x & mask) > threshold ? 1 : 0));
}

function satShl16(x: number, e: number): number {
  const v = x * 2 ** e;
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

// QuantizeMultiplier, then DownScaleInt32ToInt16Multiplier.
function multiplier16(real: number): { m: number; exponent: number } {
  const { multiplier, shift } = quantizeMultiplier(real);
  const m = multiplier >= 2147483647 - (1 << 15) ? 32767 : Math.floor((multiplier + (1 << 15)) / 65536);
  return { m, exponent: shift };
}

export function hardSwishTable(ctx: KernelContext): Int8Array {
  const [qi, qo] = [activationParams(ctx, inputTensor(ctx, 0)), activationParams(ctx, outputTensor(ctx))];
  if (elements(ctx, 0) !== elements(ctx)) fail(ctx, 'input and output sizes differ');
  try {
    return hardSwishValues(qi, qo);
  } catch (e) {
    return fail(ctx, (e as Error).message);
  }
}

// The table for an input and an output quantization; QAT evaluates through it too.
export function hardSwishValues(qi: { scale: number; zeroPoint: number }, qo: { scale: number; zeroPoint: number }): Int8Array {
  // HardSwishPrepare, in float32 as TFLite computes it.
  const hires = Math.fround(Math.fround(1 / 128) * qi.scale);
  const out = multiplier16(Math.fround(hires / qo.scale));
  if (out.exponent > 0) throw new RangeError(`input scale ${qi.scale} over output scale ${qo.scale} is too large for int8 HARD_SWISH`);
  const reluish = multiplier16(Math.fround(hires / Math.fround(3 / 32768)));
  if (out.exponent < -31 || Math.abs(reluish.exponent) > 31)
    throw new RangeError(`input scale ${qi.scale} or output scale ${qo.scale} out of range for HARD_SWISH`);
  const table = new Int8Array(256);
  for (let q = -128; q <= 127; q++) {
    const hiresValue = i16((q - qi.zeroPoint) * 128);
    const preshift = srdhm16(hiresValue, out.m);
    let r = hiresValue;
    if (reluish.exponent > 0) r = satShl16(r, reluish.exponent - 1);
    r = srdhm16(r, reluish.m);
    if (reluish.exponent > 0) r = satShl16(r, 1);
    if (reluish.exponent < 0) r = rdbpot16(r, -reluish.exponent);
    r = i16((r + (1 << 15)) >> 1);
    const v = i16(rdbpot16(sdhm16(r, preshift), -out.exponent) + qo.zeroPoint);
    table[q + 128] = v > 127 ? 127 : v < -128 ? -128 : v;
  }
  return table;
}

export const hardSwish: OpDescriptor<'HARD_SWISH'> = {
  name: 'HARD_SWISH',
  code: BuiltinOperator.HARD_SWISH,
  optionsType: BuiltinOptions.HardSwishOptions,
  optionsTable: emptyTable('HardSwishOptions'),
  encode(b) {
    HardSwishOptions.startHardSwishOptions(b);
    return HardSwishOptions.endHardSwishOptions(b);
  },
  decode: () => ({}),
  inputs: [1, 1],
  optionalInputs: [],
  version: () => 1,
  runtimeVersions: ['1.15.0'],
  macs: () => 0,
  kernel: lookupKernel(hardSwishTable),
  micro: 'pqk_kernel_hard_swish_s8',
  importFloat: (l) => l.emit(l.activation(), [{ op: 'nonlinear', input: '', fn: 'hard_swish' }]),
};
