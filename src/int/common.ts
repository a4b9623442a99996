// What every integer kernel shares: tensor access with errors that name the op and node, TFLite's activation range
// and padding arithmetic, and the kernel interface the op registry holds.

import { ModelError } from '../errors.js';
import type { Activation, Padding, QModel, QOp, QTensor } from './graph.js';

export type TensorData = Int8Array | Int32Array | Float32Array;

// Runs one prepared op: inputs in the op's input order (constants included), returns its single output.
export type Evaluate = (inputs: readonly TensorData[]) => TensorData;

// Which TFLite 2.9 build to reproduce: the x86-64 and arm64 libraries pick different kernels (and roundings) for
// CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and MEAN; every other op computes the same on both.
// Whose rounding to reproduce: TFLite 2.9 on x86-64, TFLite 2.9 on arm64, LiteRT.js (its XNNPACK int8 kernels
// requantize in float32, reproduced here by one rounding: rare 1-LSB differences remain), or TensorFlow Lite Micro's
// reference kernels ('tflm', which CMSIS-NN's equal and pqk's firmware computes): MultiplyByQuantizedMultiplier's
// two roundings (ties away from zero) in every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, and the gemmlowp
// fixed-point SOFTMAX.
export type Flavor = 'x86-64' | 'arm64' | 'litert' | 'tflm';

export interface KernelContext {
  model: QModel;
  op: QOp;
  node: number; // index of the op in model.ops
  flavor: Flavor;
}

export interface OpKernel {
  // TFLite's Prepare: validates shapes and types, turns scales into multipliers once.
  prepare(ctx: KernelContext): Evaluate;
}

// The usual shape of a kernel: prepare once, then run on the prepared data and the op's first (int8) input.
export function int8Kernel<P>(prepare: (ctx: KernelContext) => P, run: (p: P, input: Int8Array) => TensorData): OpKernel {
  return {
    prepare(ctx) {
      const p = prepare(ctx);
      return (inputs) => run(p, inputs[0] as Int8Array);
    },
  };
}

// An elementwise op of one int8 input through a 256-entry table (index q + 128) that its Prepare builds.
export function lookupKernel(table: (ctx: KernelContext) => Int8Array): OpKernel {
  return int8Kernel(table, (t, x) => Int8Array.from(x, (q) => t[q + 128]!));
}

// Element count of the op's input i, or of its output when i is omitted.
export function elements(ctx: KernelContext, i?: number): number {
  const t = i === undefined ? outputTensor(ctx) : inputTensor(ctx, i);
  return t.shape.reduce((a, d) => a * d, 1);
}

export class UnsupportedOpError extends ModelError {
  constructor(ctx: KernelContext, what: string) {
    super(`int reference: node ${ctx.node} (${ctx.op.op}, output '${outputName(ctx)}'): ${what}`);
    this.name = 'UnsupportedOpError';
  }
}

function outputName(ctx: KernelContext): string {
  const t = ctx.model.tensors[ctx.op.outputs[0] ?? -1];
  return t ? t.name : '?';
}

export function fail(ctx: KernelContext, what: string): never {
  throw new UnsupportedOpError(ctx, what);
}

export function inputTensor(ctx: KernelContext, i: number): QTensor {
  const t = ctx.model.tensors[ctx.op.inputs[i] ?? -1];
  if (!t) fail(ctx, `input ${i} is missing`);
  return t;
}

export function outputTensor(ctx: KernelContext): QTensor {
  const t = ctx.model.tensors[ctx.op.outputs[0] ?? -1];
  if (!t) fail(ctx, 'output is missing');
  return t;
}

// Per-tensor scale and zero point of an activation tensor, as float32 (what the flatbuffer holds).
export function activationParams(ctx: KernelContext, t: QTensor): { scale: number; zeroPoint: number } {
  if (t.dtype !== 'int8') fail(ctx, `tensor '${t.name}' is ${t.dtype}, expected int8`);
  if (t.scale.length !== 1 || t.zeroPoint.length !== 1) fail(ctx, `tensor '${t.name}' needs per-tensor quantization`);
  return { scale: Math.fround(t.scale[0]), zeroPoint: t.zeroPoint[0] };
}

export function constantData<T extends TensorData>(ctx: KernelContext, t: QTensor, kind: new (n: number) => T): T {
  if (!(t.data instanceof kind)) fail(ctx, `tensor '${t.name}' must be a constant ${kind.name}`);
  return t.data as T;
}

// The optional int32 bias (third input), or zeros when the op has none.
export function biasData(ctx: KernelContext, channels: number): Int32Array {
  const i = ctx.op.inputs[2];
  if (i === undefined || i < 0) return new Int32Array(channels);
  const bias = constantData(ctx, inputTensor(ctx, 2), Int32Array);
  if (bias.length !== channels) fail(ctx, `bias has ${bias.length} values for ${channels} channels`);
  return bias;
}

// CalculateActivationRangeQuantized: RELU / RELU6 bounds quantized with float32 division and roundf.
export function activationRange(act: Activation, scale: number, zeroPoint: number, qmin = -128, qmax = 127): [number, number] {
  const quantize = (f: number): number => zeroPoint + roundHalfAway(Math.fround(f / Math.fround(scale)));
  if (act === 'RELU') return [Math.max(qmin, quantize(0)), qmax];
  if (act === 'RELU6') return [Math.max(qmin, quantize(0)), Math.min(qmax, quantize(6))];
  return [qmin, qmax];
}

// std::round / roundf: halves go away from zero (Math.round sends them towards +infinity); never returns -0.
export function roundHalfAway(x: number): number {
  return x < 0 ? 0 - Math.round(-x) : Math.round(x);
}

// Output size and leading padding as TFLite computes them (ComputeOutSize, ComputePaddingHeightWidth).
export function convGeometry(
  padding: Padding,
  inSize: number,
  filter: number,
  stride: number,
  dilation: number,
): { out: number; pad: number } {
  const effective = (filter - 1) * dilation + 1;
  const out = padding === 'SAME' ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize + stride - effective) / stride);
  const pad = Math.max(0, Math.floor(((out - 1) * stride + effective - inSize) / 2));
  return { out, pad };
}

export function expectShape(ctx: KernelContext, t: QTensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(ctx, `tensor '${t.name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
}

// NHWC dims of a rank-4 tensor.
export function nhwc(ctx: KernelContext, t: QTensor): [number, number, number, number] {
  if (t.shape.length !== 4) fail(ctx, `tensor '${t.name}' must be rank 4 (NHWC), got [${t.shape.join(', ')}]`);
  return [t.shape[0], t.shape[1], t.shape[2], t.shape[3]];
}

// int8 weights, or int4 values held unpacked in an Int8Array; both use the same arithmetic.
export function weightData(ctx: KernelContext, t: QTensor): Int8Array {
  if (t.dtype !== 'int8' && t.dtype !== 'int4') fail(ctx, `weights '${t.name}' are ${t.dtype}, expected int8 or int4`);
  const data = constantData(ctx, t, Int8Array);
  const [lo, hi] = t.dtype === 'int4' ? [-8, 7] : [-128, 127];
  for (let i = 0; i < data.length; i++) {
    if (data[i] < lo || data[i] > hi) fail(ctx, `weights '${t.name}' hold ${data[i]} at ${i}, outside ${t.dtype}`);
  }
  for (const z of t.zeroPoint) if (z !== 0) fail(ctx, `weights '${t.name}' must be symmetric (zero point ${z})`);
  return data;
}
