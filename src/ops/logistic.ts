// LOGISTIC: int8 sigmoid onto the fixed output quantization (scale 1/256, zero point -128). TFLite 2.9 builds a
// 256-entry table in Prepare from float32 arithmetic (PopulateLookupTable: dequantize, 1 / (1 + expf(-x)),
// round half away); TFLite Micro computes each value in gemmlowp fixed point (src/int/fixedpoint.ts). The two differ
// by an LSB on some inputs, so the 'tflm' flavour follows TFLite Micro and every other flavour the table.
import {
  activationParams,
  elements,
  fail,
  inputTensor,
  lookupKernel,
  outputTensor,
  roundHalfAway,
  type Flavor,
  type KernelContext,
} from '../int/common.js';
import { expf } from '../int/expf.js';
import { logisticFixedPoint, logisticInputScaling } from '../int/fixedpoint.js';
import { BuiltinOperator, BuiltinOptions } from '../tflite/generated/index.js';
import { emptyTable } from '../tflite/table-spec.js';
import type { OpDescriptor } from './descriptor.js';

declare module '../int/graph.js' {
  interface OpOptionsMap {
    LOGISTIC: Record<string, never>;
  }
}

export const LOGISTIC_OUTPUT = { scale: 1 / 256, zeroPoint: -128 } as const;

// The value of every int8 input, indexed by q + 128.
export function logisticTable(ctx: KernelContext): Int8Array {
  const [inT, outT] = [inputTensor(ctx, 0), outputTensor(ctx)];
  const [qi, qo] = [activationParams(ctx, inT), activationParams(ctx, outT)];
  if (qo.scale !== LOGISTIC_OUTPUT.scale || qo.zeroPoint !== LOGISTIC_OUTPUT.zeroPoint)
    fail(ctx, `output scale ${qo.scale} and zero point ${qo.zeroPoint}: int8 LOGISTIC needs 1/256 and -128`);
  if (elements(ctx, 0) !== elements(ctx)) fail(ctx, 'input and output sizes differ');
  try {
    return logisticValues(qi.scale, qi.zeroPoint, ctx.flavor);
  } catch (e) {
    return fail(ctx, (e as Error).message);
  }
}

// The table for an input quantization (the output's is LOGISTIC_OUTPUT); QAT evaluates through it too.
export function logisticValues(inScale: number, inZeroPoint: number, flavor: Flavor): Int8Array {
  const table = new Int8Array(256);
  if (flavor === 'tflm') {
    const s = logisticInputScaling(inScale);
    if (Math.abs(s.leftShift) > 31) throw new RangeError(`input scale ${inScale} out of range for the fixed-point LOGISTIC`);
    for (let q = -128; q <= 127; q++) table[q + 128] = logisticFixedPoint(q - inZeroPoint, s);
    return table;
  }
  const inverse = Math.fround(1 / LOGISTIC_OUTPUT.scale);
  for (let q = -128; q <= 127; q++) {
    const x = Math.fround(inScale * (q - inZeroPoint));
    const y = Math.fround(1 / Math.fround(1 + expf(-x)));
    const v = roundHalfAway(Math.fround(y * inverse)) + LOGISTIC_OUTPUT.zeroPoint;
    table[q + 128] = v > 127 ? 127 : v < -128 ? -128 : v;
  }
  return table;
}

export const logistic: OpDescriptor<'LOGISTIC'> = {
  name: 'LOGISTIC',
  code: BuiltinOperator.LOGISTIC,
  optionsType: BuiltinOptions.NONE,
  optionsTable: emptyTable('(none)'),
  encode: () => 0,
  decode: () => ({}),
  inputs: [1, 1],
  optionalInputs: [],
  version: (s) => (s.inputs[0] === 'int8' ? 2 : 1),
  runtimeVersions: ['1.14.0', '1.14.0', '2.5.0'],
  macs: () => 0,
  kernel: lookupKernel(logisticTable),
  micro: 'pqk_kernel_logistic_s8',
  importFloat: (l) => l.emit(l.activation(), [{ op: 'nonlinear', input: '', fn: 'sigmoid' }]),
};
