// QUANTIZE (float32 -> int8 as optimized_ops::AffineQuantize; int8 -> int8 as Requantize with s_in / s_out in
// double and MultiplyByQuantizedMultiplier; each with its arm64 NEON variant), DEQUANTIZE (int8 -> float32, s * (q - zp)) and
// RESHAPE (a copy: layouts are row-major on both sides).

import {
  activationParams,
  elements,
  roundHalfAway,
  fail,
  inputTensor,
  outputTensor,
  type Evaluate,
  type Flavor,
  type KernelContext,
  type OpKernel,
} from './common.js';
import { multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierTiesUp, quantizeMultiplier } from './quantize.js';

const f32 = Math.fround;

// Round half to even (vcvtnq_s32_f32).
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// optimized_ops::AffineQuantize. The scalar loop divides by the scale in double and rounds half away from zero; on
// arm64 whole groups of 8 values go through NEON instead: float32 multiply by float32(1 / scale), ties to even.
export function affineQuantize(input: Float32Array, scale: number, zeroPoint: number, flavor: Flavor = 'x86-64'): Int8Array {
  const out = new Int8Array(input.length);
  const s = f32(scale);
  const inverse = f32(1 / s);
  const neon = flavor === 'arm64' ? input.length - (input.length % 8) : 0;
  for (let i = 0; i < input.length; i++) {
    const q = (i < neon ? roundHalfEven(f32(input[i] * inverse)) : roundHalfAway(input[i] / s)) + zeroPoint;
    out[i] = q < -128 ? -128 : q > 127 ? 127 : q;
  }
  return out;
}

// optimized_ops::Requantize (int8 -> int8); on arm64 whole groups of 16 values are rescaled in NEON, whose
// rounding shift sends ties upwards.
export function requantize(
  input: Int8Array,
  inQ: { scale: number; zeroPoint: number },
  outQ: { scale: number; zeroPoint: number },
  flavor: Flavor = 'x86-64',
): Int8Array {
  const { multiplier, shift } = quantizeMultiplier(f32(inQ.scale) / f32(outQ.scale));
  const out = new Int8Array(input.length);
  const neon = flavor === 'arm64' ? input.length - (input.length % 16) : 0;
  for (let i = 0; i < input.length; i++) {
    const rescale = i < neon ? multiplyByQuantizedMultiplierTiesUp : multiplyByQuantizedMultiplier;
    const q = rescale(input[i] - inQ.zeroPoint, multiplier, shift) + outQ.zeroPoint;
    out[i] = q < -128 ? -128 : q > 127 ? 127 : q;
  }
  return out;
}

export function dequantize(input: Int8Array, scale: number, zeroPoint: number): Float32Array {
  const out = new Float32Array(input.length);
  const s = f32(scale);
  for (let i = 0; i < input.length; i++) out[i] = s * (input[i] - zeroPoint);
  return out;
}

function checkSameSize(ctx: KernelContext): void {
  const [a, b] = [elements(ctx, 0), elements(ctx)];
  if (a !== b) fail(ctx, `input has ${a} elements, output ${b}`);
}

export const quantizeKernel: OpKernel = {
  prepare(ctx: KernelContext): Evaluate {
    checkSameSize(ctx);
    const input = inputTensor(ctx, 0);
    const outQ = activationParams(ctx, outputTensor(ctx));
    if (input.dtype === 'float32') {
      return (inputs) => affineQuantize(inputs[0] as Float32Array, outQ.scale, outQ.zeroPoint, ctx.flavor);
    }
    const inQ = activationParams(ctx, input);
    return (inputs) => requantize(inputs[0] as Int8Array, inQ, outQ, ctx.flavor);
  },
};

export const dequantizeKernel: OpKernel = {
  prepare(ctx: KernelContext): Evaluate {
    checkSameSize(ctx);
    if (outputTensor(ctx).dtype !== 'float32') fail(ctx, 'DEQUANTIZE output must be float32');
    const inQ = activationParams(ctx, inputTensor(ctx, 0));
    return (inputs) => dequantize(inputs[0] as Int8Array, inQ.scale, inQ.zeroPoint);
  },
};

// RESHAPE, and SQUEEZE and EXPAND_DIMS, which are RESHAPEs whose output shape their options or axis input fix.
export const reshapeKernel: OpKernel = {
  prepare(ctx: KernelContext): Evaluate {
    checkSameSize(ctx);
    const [input, output] = [inputTensor(ctx, 0), outputTensor(ctx)];
    const name = String(ctx.op.op);
    if (input.dtype !== output.dtype) fail(ctx, `${name} from ${input.dtype} to ${output.dtype}`);
    if (input.dtype === 'int8' && (input.scale[0] !== output.scale[0] || input.zeroPoint[0] !== output.zeroPoint[0])) {
      fail(ctx, `${name} must keep scale and zero point`);
    }
    return (inputs) => inputs[0].slice();
  },
};
