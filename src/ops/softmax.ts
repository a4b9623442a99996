// SOFTMAX: int8 in, int8 out at scale 1/256 and zero point -128; float (x86-64, arm64) or gemmlowp fixed point (tflm).
import { softmaxKernel } from '../int/softmax.js';
import { BuiltinOperator, BuiltinOptions, SoftmaxOptions } from '../tflite/generated/index.js';
import { i32 } from '../tflite/table-spec.js';
import { int8IsVersion2, optionsTable, type OpDescriptor } from './descriptor.js';

export const softmax: OpDescriptor<'SOFTMAX'> = {
  name: 'SOFTMAX',
  code: BuiltinOperator.SOFTMAX,
  optionsType: BuiltinOptions.SoftmaxOptions,
  optionsTable: { name: 'SoftmaxOptions', fields: { 0: ['beta', i32] } },
  encode: (b, o) => SoftmaxOptions.createSoftmaxOptions(b, o.beta),
  decode: (op) => ({ beta: optionsTable(op, () => new SoftmaxOptions())?.beta() ?? 0 }),
  inputs: [1, 1],
  optionalInputs: [],
  version: int8IsVersion2,
  runtimeVersions: ['1.5.0', '1.14.0', '2.3.0'],
  macs: () => 0,
  kernel: softmaxKernel,
  micro: 'pqk_kernel_softmax_s8',
  importFloat(l, op) {
    if (op.options.beta !== 1) throw l.error(`SOFTMAX with beta ${op.options.beta} is not imported`);
    l.emit(l.activation(), [{ op: 'softmax', input: '' }]);
  },
};
