// SQUEEZE: drops dimensions of size 1 (those squeeze_dims names, or every one when it names none); the values move
// unchanged, as in RESHAPE. Converters write it after a global pool ([1, 1, 1, C] to [1, C]).
import { fail, inputTensor, outputTensor, type KernelContext } from '../int/common.js';
import { reshapeKernel } from '../int/quantize-op.js';
import { BuiltinOperator, BuiltinOptions, SqueezeOptions } from '../tflite/generated/index.js';
import { vec } from '../tflite/table-spec.js';
import { optionsTable, type OpDescriptor } from './descriptor.js';
import { importShapeOp } from './reshape.js';

declare module '../int/graph.js' {
  interface OpOptionsMap {
    SQUEEZE: { squeezeDims: number[] };
  }
}

// The shape SQUEEZE gives `shape` (squeeze.cc's Prepare): the named dimensions (negative counts from the end) must
// be 1; with none named, every 1 goes.
export function squeezedShape(shape: number[], dims: number[]): number[] | string {
  const drop = new Set<number>();
  for (const d of dims) {
    const a = d < 0 ? d + shape.length : d;
    if (a < 0 || a >= shape.length) return `squeeze dimension ${d} is outside a rank-${shape.length} input`;
    if (shape[a] !== 1) return `squeeze dimension ${d} of input [${shape}] is ${shape[a]}, not 1`;
    drop.add(a);
  }
  return shape.filter((n, i) => (dims.length === 0 ? n !== 1 : !drop.has(i)));
}

export const squeeze: OpDescriptor<'SQUEEZE'> = {
  name: 'SQUEEZE',
  code: BuiltinOperator.SQUEEZE,
  optionsType: BuiltinOptions.SqueezeOptions,
  optionsTable: { name: 'SqueezeOptions', fields: { 0: ['squeeze_dims', vec(4)] } },
  encode: (b, o) => SqueezeOptions.createSqueezeOptions(b, SqueezeOptions.createSqueezeDimsVector(b, o.squeezeDims)),
  decode(op) {
    const o = optionsTable(op, () => new SqueezeOptions());
    const squeezeDims: number[] = [];
    for (let i = 0; o && i < o.squeezeDimsLength(); i++) squeezeDims.push(o.squeezeDims(i)!);
    return { squeezeDims };
  },
  inputs: [1, 1],
  optionalInputs: [],
  version: () => 1,
  runtimeVersions: ['1.6.0'],
  macs: () => 0,
  kernel: {
    prepare(ctx: KernelContext) {
      const op = ctx.op as { options: { squeezeDims: number[] } };
      const [input, output] = [inputTensor(ctx, 0), outputTensor(ctx)];
      const want = squeezedShape(input.shape, op.options.squeezeDims);
      if (typeof want === 'string') fail(ctx, want);
      if (want.join() !== output.shape.join())
        fail(ctx, `output shape [${output.shape}] is not [${want}], input [${input.shape}] squeezed`);
      return reshapeKernel.prepare(ctx);
    },
  },
  micro: 'pqk_kernel_squeeze',
  importFloat: importShapeOp,
};
