// FULLY_CONNECTED: int8 activations, int8 or int4 weights [O, I], int32 bias.
import { fullyConnectedKernel } from '../int/fully-connected.js';
import { BuiltinOperator, BuiltinOptions, FullyConnectedOptions } from '../tflite/generated/index.js';
import { formatError } from '../tflite/format-error.js';
import { u8 } from '../tflite/table-spec.js';
import { ACT, activation, optionalBias, optionsTable, weightedMacs, type OpDescriptor, WEIGHTED_INPUTS } from './descriptor.js';
import { transpose } from '../import/prims.js';

export const fullyConnected: OpDescriptor<'FULLY_CONNECTED'> = {
  name: 'FULLY_CONNECTED',
  code: BuiltinOperator.FULLY_CONNECTED,
  optionsType: BuiltinOptions.FullyConnectedOptions,
  optionsTable: {
    name: 'FullyConnectedOptions',
    fields: {
      0: ['fused_activation_function', u8],
      1: ['weights_format', u8],
      2: ['keep_num_dims', u8],
      3: ['asymmetric_quantize_inputs', u8],
    },
  },
  encode(b, o) {
    FullyConnectedOptions.startFullyConnectedOptions(b);
    FullyConnectedOptions.addFusedActivationFunction(b, ACT[o.activation]);
    FullyConnectedOptions.addKeepNumDims(b, o.keepNumDims);
    return FullyConnectedOptions.endFullyConnectedOptions(b);
  },
  decode(op, where) {
    const o = optionsTable(op, () => new FullyConnectedOptions());
    if (o && o.weightsFormat() !== 0) throw formatError(where, 'shuffled fully-connected weights are not supported');
    return { activation: activation(o?.fusedActivationFunction() ?? 0, where), keepNumDims: o?.keepNumDims() ?? false };
  },
  ...WEIGHTED_INPUTS,
  version(s) {
    const [a, w] = s.inputs;
    const o = s.outputs[0];
    if (s.inputs.length === 2) return 6;
    if (s.op.op === 'FULLY_CONNECTED' && s.op.options.keepNumDims) return 5;
    if (a === 'int8' && w === 'int8' && o === 'int8') return 4;
    if (a === 'int8' && w === 'int4' && o === 'int8') return 10;
    if (a === 'float32' && w === 'int8' && o === 'float32') return 3;
    return 1;
  },
  runtimeVersions: ['1.5.0', '1.10.0', '1.14.0', '1.14.0', '2.0.0', '2.1.0', '2.3.0', '2.3.0', '2.3.0', '2.11.0'],
  macs: (model, op) => weightedMacs(model, op, [1]), // out elements x I
  kernel: fullyConnectedKernel,
  micro: 'pqk_kernel_fully_connected_s8',
  importFloat(l, op) {
    let input = l.activation();
    if (l.shape(op.inputs[0]!).length !== 2) input = l.emitBefore('flatten', input, [{ op: 'flatten', input: '' }]);
    const w = transpose(l.constant(1, 'weights'), [1, 0]); // [O, I] -> (in, out)
    l.emit(input, [{ op: 'matmul', input: '', w }, ...l.tail(op.options.activation, optionalBias(l, op))]);
  },
};
