// EXPAND_DIMS: inserts a dimension of size 1 at the position its second input (an int32 constant) gives; the values
// move unchanged, as in RESHAPE. Converters write it around the 2-D convolutions of 1-D ones and before a gate's MUL.
import { fail, inputTensor, outputTensor, type KernelContext } from '../int/common.js';
import { reshapeKernel } from '../int/quantize-op.js';
import { BuiltinOperator, BuiltinOptions, ExpandDimsOptions } from '../tflite/generated/index.js';
import { emptyTable } from '../tflite/table-spec.js';
import type { OpDescriptor } from './descriptor.js';
import { importShapeOp } from './reshape.js';

declare module '../int/graph.js' {
  interface OpOptionsMap {
    EXPAND_DIMS: Record<string, never>;
  }
}

// The shape EXPAND_DIMS gives `shape` with a 1 at `axis` (negative: counted from the end of the output, as
// expand_dims.cc does).
export function expandedShape(shape: number[], axis: number): number[] | string {
  const a = axis < 0 ? axis + shape.length + 1 : axis;
  if (a < 0 || a > shape.length) return `axis ${axis} is outside [${-shape.length - 1}, ${shape.length}] for input [${shape}]`;
  return [...shape.slice(0, a), 1, ...shape.slice(a)];
}

export const expandDims: OpDescriptor<'EXPAND_DIMS'> = {
  name: 'EXPAND_DIMS',
  code: BuiltinOperator.EXPAND_DIMS,
  optionsType: BuiltinOptions.ExpandDimsOptions,
  optionsTable: emptyTable('ExpandDimsOptions'),
  encode: (b) => {
    ExpandDimsOptions.startExpandDimsOptions(b);
    return ExpandDimsOptions.endExpandDimsOptions(b);
  },
  decode: () => ({}),
  inputs: [2, 2],
  optionalInputs: [],
  version: () => 1,
  runtimeVersions: ['1.10.0'],
  macs: () => 0,
  kernel: {
    prepare(ctx: KernelContext) {
      const [input, axisT, output] = [inputTensor(ctx, 0), inputTensor(ctx, 1), outputTensor(ctx)];
      if (axisT.dtype !== 'int32' || !axisT.data || axisT.data.length !== 1)
        fail(ctx, `the axis (input 1) must be one int32 constant, got ${axisT.dtype} [${axisT.shape}]${axisT.data ? '' : ' without data'}`);
      const want = expandedShape(input.shape, Number(axisT.data[0]));
      if (typeof want === 'string') fail(ctx, want);
      if (want.join() !== output.shape.join()) fail(ctx, `output shape [${output.shape}] is not [${want}]`);
      return reshapeKernel.prepare(ctx);
    },
  },
  micro: 'pqk_kernel_expand_dims',
  importFloat: importShapeOp,
};
