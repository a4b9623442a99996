// ADD: two int8 tensors of one shape, each rescaled to a common scale (src/int/add.ts), fused activation.
import { addKernel } from '../int/add.js';
import { AddOptions, BuiltinOperator, BuiltinOptions } from '../tflite/generated/index.js';
import { u8 } from '../tflite/table-spec.js';
import { ACT, activation, int8IsVersion2, optionsTable, type OpDescriptor } from './descriptor.js';

export const add: OpDescriptor<'ADD'> = {
  name: 'ADD',
  code: BuiltinOperator.ADD,
  optionsType: BuiltinOptions.AddOptions,
  optionsTable: { name: 'AddOptions', fields: { 0: ['fused_activation_function', u8], 1: ['pot_scale_int16', u8] } },
  encode(b, o) {
    AddOptions.startAddOptions(b);
    AddOptions.addFusedActivationFunction(b, ACT[o.activation]);
    return AddOptions.endAddOptions(b);
  },
  decode: (op, where) => ({ activation: activation(optionsTable(op, () => new AddOptions())?.fusedActivationFunction() ?? 0, where) }),
  inputs: [2, 2],
  optionalInputs: [],
  version: int8IsVersion2,
  runtimeVersions: ['1.5.0', '1.14.0', '2.4.0', '2.6.0'],
  macs: () => 0,
  kernel: addKernel,
  micro: 'pqk_kernel_add_s8',
  importFloat(l, op) {
    const [a, b] = [l.activation(0), l.activation(1)];
    l.emit(a, [{ op: 'add', inputs: [a, b] }, ...l.tail(op.options.activation)]);
  },
};
