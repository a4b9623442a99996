// CONCATENATION: int8 tensors of rank 1 to 4 joined along one axis. TFLite 2.9 and TFLite Micro require every input
// to share the output's scale and zero point for int8 and take no fused activation, so the values are copied
// unchanged (reference_ops::Concatenation); the inputs may be activations or constants.
import type { Activation } from '../int/graph.js';
import { activationParams, fail, inputTensor, outputTensor, type KernelContext, type OpKernel } from '../int/common.js';
import { BuiltinOperator, BuiltinOptions, ConcatenationOptions } from '../tflite/generated/index.js';
import { i32, u8 } from '../tflite/table-spec.js';
import { ACT, activation, int8IsVersion2, optionsTable, type OpDescriptor } from './descriptor.js';

export interface ConcatOptions {
  axis: number; // may be negative, counted from the last dimension
  activation: Activation;
}

declare module '../int/graph.js' {
  interface OpOptionsMap {
    CONCATENATION: ConcatOptions;
  }
}

interface ConcatParams {
  outer: number; // product of the dimensions before the axis
  chunks: number[]; // per input: values per outer index (its axis length times the dimensions after it)
}

function prepareConcat(ctx: KernelContext): ConcatParams {
  const out = outputTensor(ctx);
  const outQ = activationParams(ctx, out);
  const { axis: given, activation: act } = ctx.op.options as ConcatOptions;
  if (act !== 'NONE') fail(ctx, `fused activation ${act}: TFLite's int8 CONCATENATION takes none`);
  const rank = out.shape.length;
  if (rank < 1 || rank > 4) fail(ctx, `rank ${rank}: TFLite's CONCATENATION joins ranks 1 to 4`);
  const axis = given < 0 ? given + rank : given;
  if (axis < 0 || axis >= rank) fail(ctx, `axis ${given} is outside the output's ${rank} dimensions`);
  let total = 0;
  const chunks = ctx.op.inputs.map((_, i) => {
    const t = inputTensor(ctx, i);
    const q = activationParams(ctx, t);
    if (q.scale !== outQ.scale || q.zeroPoint !== outQ.zeroPoint) {
      fail(
        ctx,
        `input '${t.name}' has scale ${q.scale} and zero point ${q.zeroPoint}, the output ${outQ.scale} and ${outQ.zeroPoint}: int8 CONCATENATION does not rescale`,
      );
    }
    if (t.shape.length !== rank || t.shape.some((d, k) => k !== axis && d !== out.shape[k])) {
      fail(ctx, `input '${t.name}' [${t.shape.join(', ')}] does not match the output [${out.shape.join(', ')}] outside axis ${axis}`);
    }
    total += t.shape[axis]!;
    return t.shape.slice(axis).reduce((a, d) => a * d, 1);
  });
  if (total !== out.shape[axis]) fail(ctx, `the inputs add up to ${total} along axis ${axis}, the output has ${out.shape[axis]}`);
  return { outer: out.shape.slice(0, axis).reduce((a, d) => a * d, 1), chunks };
}

function concat(p: ConcatParams, xs: readonly Int8Array[]): Int8Array {
  const width = p.chunks.reduce((a, c) => a + c, 0);
  const y = new Int8Array(p.outer * width);
  let o = 0;
  for (let k = 0; k < p.outer; k++) {
    xs.forEach((x, i) => {
      const c = p.chunks[i]!;
      y.set(x.subarray(k * c, (k + 1) * c), o);
      o += c;
    });
  }
  return y;
}

const concatKernel: OpKernel = {
  prepare(ctx) {
    const p = prepareConcat(ctx);
    return (inputs) => concat(p, inputs as Int8Array[]);
  },
};

export const concatenation: OpDescriptor<'CONCATENATION'> = {
  name: 'CONCATENATION',
  code: BuiltinOperator.CONCATENATION,
  optionsType: BuiltinOptions.ConcatenationOptions,
  optionsTable: { name: 'ConcatenationOptions', fields: { 0: ['axis', i32], 1: ['fused_activation_function', u8] } },
  encode: (b, o) => ConcatenationOptions.createConcatenationOptions(b, o.axis, ACT[o.activation]),
  decode(op, where) {
    const o = optionsTable(op, () => new ConcatenationOptions());
    return { axis: o?.axis() ?? 0, activation: activation(o?.fusedActivationFunction() ?? 0, where) };
  },
  inputs: [1, 64],
  optionalInputs: [],
  version: int8IsVersion2,
  runtimeVersions: ['1.5.0', '1.14.0', '2.3.0'],
  macs: () => 0,
  kernel: concatKernel,
  micro: 'pqk_kernel_concatenation_s8',
  importFloat(l, op) {
    const rank = l.shape(op.outputs[0]!).length;
    const axis = op.options.axis < 0 ? op.options.axis + rank : op.options.axis;
    if (axis !== rank - 1) throw l.error(`pqk imports CONCATENATION along the last (channel) axis only, got axis ${op.options.axis}`);
    const inputs = op.inputs.map((_, i) => l.activation(i));
    l.emit(inputs[0]!, [{ op: 'concat', inputs }, ...l.tail(op.options.activation)]);
  },
};
