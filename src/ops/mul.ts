// MUL: two int8 tensors multiplied elementwise (NumPy broadcasting, e.g. a squeeze-and-excitation gate [1, 1, 1, C]
// over a [1, H, W, C] map): (q1 - z1) * (q2 - z2) rescaled by s1 * s2 / s_out through MultiplyByQuantizedMultiplier
// (reference_integer_ops::Mul, which TFLite 2.9's optimized kernel and TFLite Micro's equal), fused activation. The
// multiplier: TFLite 2.9 computes s1 * s2 / s_out in float32, TFLite Micro in double; LiteRT.js's XNNPACK rescales
// in float32 instead (the 'litert' flavour).
import type { Activation } from '../int/graph.js';
import { broadcastBinary, broadcastStrides } from '../int/add.js';
import { activationParams, activationRange, fail, inputTensor, outputTensor, type KernelContext, type OpKernel } from '../int/common.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../int/quantize.js';
import { BuiltinOperator, BuiltinOptions, MulOptions } from '../tflite/generated/index.js';
import { u8 } from '../tflite/table-spec.js';
import { ACT, activation, optionsTable, type OpDescriptor } from './descriptor.js';

export interface MulOptionsT {
  activation: Activation;
}

declare module '../int/graph.js' {
  interface OpOptionsMap {
    MUL: MulOptionsT;
  }
}

export interface MulParams {
  outShape: number[];
  strides1: number[];
  strides2: number[];
  offset1: number;
  offset2: number;
  outputOffset: number;
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
  // LiteRT.js: XNNPACK's int8 multiply rescales the product in float32 by this factor and rounds half to even.
  floatScale?: number;
}

// s1 * s2 / s_out as the runtime computes it: float32 arithmetic in TFLite 2.9's mul.cc, double in TFLite Micro's.
export function mulMultiplier(s1: number, s2: number, so: number, inDouble: boolean): number {
  return inDouble ? (s1 * s2) / so : Math.fround(Math.fround(s1 * s2) / so);
}

export function prepareMul(ctx: KernelContext): MulParams {
  const [in1, in2, out] = [inputTensor(ctx, 0), inputTensor(ctx, 1), outputTensor(ctx)];
  const [q1, q2, qo] = [activationParams(ctx, in1), activationParams(ctx, in2), activationParams(ctx, out)];
  const [actMin, actMax] = activationRange((ctx.op.options as MulOptionsT).activation, qo.scale, qo.zeroPoint);
  const { multiplier, shift } = quantizeMultiplier(mulMultiplier(q1.scale, q2.scale, qo.scale, ctx.flavor === 'tflm'));
  if (shift > 30) fail(ctx, `s1 * s2 / s_out = ${(q1.scale * q2.scale) / qo.scale} is too large for MUL`);
  return {
    outShape: out.shape.slice(),
    strides1: broadcastStrides(ctx, in1.shape, out.shape),
    strides2: broadcastStrides(ctx, in2.shape, out.shape),
    offset1: -q1.zeroPoint,
    offset2: -q2.zeroPoint,
    outputOffset: qo.zeroPoint,
    multiplier,
    shift,
    actMin,
    actMax,
    floatScale: ctx.flavor === 'litert' ? Math.fround(Math.fround(q1.scale * q2.scale) / qo.scale) : undefined,
  };
}

export function mulElement(p: MulParams, a: number, b: number): number {
  const product = (a + p.offset1) * (b + p.offset2);
  const scaled =
    p.floatScale === undefined
      ? multiplyByQuantizedMultiplier(product, p.multiplier, p.shift)
      : roundHalfEven(Math.fround(product * p.floatScale));
  const v = p.outputOffset + scaled;
  return v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

const mulKernel: OpKernel = {
  prepare(ctx) {
    const p = prepareMul(ctx);
    return (inputs) => broadcastBinary(p, inputs[0] as Int8Array, inputs[1] as Int8Array, (a, b) => mulElement(p, a, b));
  },
};

export const mul: OpDescriptor<'MUL'> = {
  name: 'MUL',
  code: BuiltinOperator.MUL,
  optionsType: BuiltinOptions.MulOptions,
  optionsTable: { name: 'MulOptions', fields: { 0: ['fused_activation_function', u8] } },
  encode(b, o) {
    MulOptions.startMulOptions(b);
    MulOptions.addFusedActivationFunction(b, ACT[o.activation]);
    return MulOptions.endMulOptions(b);
  },
  decode: (op, where) => ({ activation: activation(optionsTable(op, () => new MulOptions())?.fusedActivationFunction() ?? 0, where) }),
  inputs: [2, 2],
  optionalInputs: [],
  // op_version.cc: 3 when the int8 rescale s1 * s2 / s_out is 1 or more, else 2 for int8.
  version: (s) => (s.inputs[0] !== 'int8' ? 1 : (s.rescale ?? 0) >= 1 ? 3 : 2),
  runtimeVersions: ['1.5.0', '1.14.0', '1.15.0', '2.3.0', '2.6.0'],
  macs: () => 0,
  kernel: mulKernel,
  micro: 'pqk_kernel_mul_s8',
  importFloat(l, op) {
    // Of two activations (a gate, a swish); of an activation and a per-channel or scalar constant: a scale.
    const constant = [0, 1].find((i) => l.isConstant(i));
    if (constant === undefined) {
      const [a, b] = [l.activation(0), l.activation(1)];
      l.emit(a, [{ op: 'mul', inputs: [a, b] }, ...l.tail(op.options.activation)]);
      return;
    }
    const c = l.constant(constant, 'scale');
    if (c.shape.slice(0, -1).some((d) => d !== 1))
      throw l.error(`pqk imports MUL by a per-channel or scalar constant, got one of shape [${c.shape}]`);
    l.emit(l.activation(1 - constant), [{ op: 'scale', input: '', s: c.data }, ...l.tail(op.options.activation)]);
  },
};
