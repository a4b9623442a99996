// RESHAPE: the output's shape is in the model; the values move unchanged (an optional second input holds the shape).
import { reshapeKernel } from '../int/quantize-op.js';
import { BuiltinOperator, BuiltinOptions, ReshapeOptions } from '../tflite/generated/index.js';
import { vec } from '../tflite/table-spec.js';
import { optionsTable, type OpDescriptor } from './descriptor.js';

export const reshape: OpDescriptor<'RESHAPE'> = {
  name: 'RESHAPE',
  code: BuiltinOperator.RESHAPE,
  optionsType: BuiltinOptions.ReshapeOptions,
  optionsTable: { name: 'ReshapeOptions', fields: { 0: ['new_shape', vec(4)] } },
  encode: (b, o) => ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, o.newShape)),
  decode(op) {
    const o = optionsTable(op, () => new ReshapeOptions());
    const newShape: number[] = [];
    for (let i = 0; o && i < o.newShapeLength(); i++) newShape.push(o.newShape(i)!);
    return { newShape };
  },
  inputs: [1, 2],
  optionalInputs: [],
  version: () => 1,
  runtimeVersions: ['1.5.0'],
  macs: () => 0,
  kernel: reshapeKernel,
  micro: 'pqk_kernel_reshape',
};
