// SOFTMAX int8 -> int8 as TFLite 2.9 runs it on x86-64 (activations.cc with kGenericOptimized):
// PopulateSoftmaxLookupTable fills table[255 - v] = expf(-s_in * beta * v) once; optimized_ops::Softmax sums
// table entries in float32, multiplies by 1 / (sum * s_out) and rounds half away from zero onto zero point -128.
// All of it is float32 arithmetic, reproduced with Math.fround and glibc's expf. The 'tflm' flavour runs the
// gemmlowp fixed-point reference kernel instead (reference_ops::Softmax, what TFLite Micro and CMSIS-NN compute;
// ./fixedpoint.ts). (The uint16 LUT kernel of aarch64+clang builds gives different results again.)

import type { SoftmaxOptions } from './graph.js';
import { activationParams, expectShape, fail, inputTensor, int8Kernel, outputTensor, roundHalfAway, type KernelContext } from './common.js';
import { expf } from './expf.js';
import { softmaxFixedPoint, softmaxInputScaling } from './fixedpoint.js';

const f32 = Math.fround;

export interface SoftmaxParams {
  rows: number;
  depth: number; // last dimension
  table: Float32Array; // [256]
  outputScale: number;
  outputZeroPoint: number;
  fixedPoint?: { multiplier: number; leftShift: number; diffMin: number }; // the 'tflm' flavour's reference kernel
}

export function softmaxTable(inputScale: number, beta: number): Float32Array {
  const table = new Float32Array(256);
  const scale = f32(-f32(inputScale) * f32(beta));
  for (let v = 0; v <= 255; v++) table[255 - v] = expf(f32(scale * v));
  return table;
}

export function prepareSoftmax(ctx: KernelContext): SoftmaxParams {
  const o = ctx.op.options as SoftmaxOptions;
  const input = inputTensor(ctx, 0);
  const output = outputTensor(ctx);
  expectShape(ctx, output, input.shape);
  const inQ = activationParams(ctx, input);
  const outQ = activationParams(ctx, output);
  // TFLite's Prepare insists on this output quantization for int8 (scale within 0.1% of 1/256).
  if (outQ.zeroPoint !== -128 || Math.abs(outQ.scale - 1 / 256) > 0.001 / 256) {
    fail(ctx, 'int8 softmax output must have scale 1/256 and zero point -128');
  }
  const depth = input.shape[input.shape.length - 1] ?? 1;
  return {
    rows: input.shape.reduce((a, d) => a * d, 1) / depth,
    depth,
    table: softmaxTable(inQ.scale, o.beta),
    outputScale: outQ.scale,
    outputZeroPoint: outQ.zeroPoint,
    fixedPoint: ctx.flavor === 'tflm' ? softmaxInputScaling(o.beta, inQ.scale) : undefined,
  };
}

export function softmax(p: SoftmaxParams, input: Int8Array): Int8Array {
  if (p.fixedPoint) return softmaxFixedPoint(p.rows, p.depth, input, p.fixedPoint);
  const out = new Int8Array(input.length);
  const { depth, table } = p;
  for (let r = 0; r < p.rows; r++) {
    const base = r * depth;
    let max = -128;
    for (let j = 0; j < depth; j++) max = Math.max(max, input[base + j]);
    const offset = 255 - max; // table_offset[x] = table[255 - max + x]
    let sum = 0;
    for (let j = 0; j < depth; j++) sum = f32(sum + table[offset + input[base + j]]);
    const inv = f32(1 / f32(sum * p.outputScale));
    for (let j = 0; j < depth; j++) {
      const prob = f32(table[offset + input[base + j]] * inv);
      const q = roundHalfAway(prob) + p.outputZeroPoint;
      out[base + j] = q > 127 ? 127 : q < -128 ? -128 : q;
    }
  }
  return out;
}

export const softmaxKernel = int8Kernel(prepareSoftmax, softmax);
