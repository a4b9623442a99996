// MEAN: int8 over the axes of a constant int32 second input, TFLite 2.9's three int8 paths (src/int/mean.ts).
import { meanKernel } from '../int/mean.js';
import { BuiltinOperator, BuiltinOptions, ReducerOptions } from '../tflite/generated/index.js';
import { u8 } from '../tflite/table-spec.js';
import { int8IsVersion2, optionsTable, type OpDescriptor } from './descriptor.js';

export const mean: OpDescriptor<'MEAN'> = {
  name: 'MEAN',
  code: BuiltinOperator.MEAN,
  optionsType: BuiltinOptions.ReducerOptions,
  optionsTable: { name: 'ReducerOptions', fields: { 0: ['keep_dims', u8] } },
  encode: (b, o) => ReducerOptions.createReducerOptions(b, o.keepDims),
  decode: (op) => ({ keepDims: optionsTable(op, () => new ReducerOptions())?.keepDims() ?? false }),
  inputs: [2, 2],
  optionalInputs: [],
  version: int8IsVersion2,
  runtimeVersions: ['1.6.0', '1.14.0', '2.4.0'],
  macs: () => 0,
  kernel: meanKernel,
  micro: 'pqk_kernel_mean_s8',
  importFloat(l, op) {
    const axes = Array.from(l.constant(1, 'axes').data).map((a) => (a < 0 ? a + 4 : a));
    if (l.shape(op.inputs[0]!).length !== 4 || axes.sort().join() !== '1,2')
      throw l.error('pqk imports MEAN over height and width of an NHWC tensor only');
    l.emit(l.activation(), [{ op: 'gpool', input: '', kind: 'avgpool', keepDims: op.options.keepDims }]);
  },
};
