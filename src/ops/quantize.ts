// QUANTIZE (float32 -> int8, or int8 -> int8 requantization) and DEQUANTIZE (int8 -> float32): the float I/O
// wrappers. TFLite's converter writes them without an options table; a file that carries the (empty) table is read.
import { dequantizeKernel, quantizeKernel } from '../int/quantize-op.js';
import { BuiltinOperator, BuiltinOptions } from '../tflite/generated/index.js';
import { emptyTable } from '../tflite/table-spec.js';
import type { OpDescriptor } from './descriptor.js';

export const quantize: OpDescriptor<'QUANTIZE'> = {
  name: 'QUANTIZE',
  code: BuiltinOperator.QUANTIZE,
  optionsType: BuiltinOptions.QuantizeOptions,
  optionsTable: emptyTable('QuantizeOptions'),
  encode: () => 0,
  decode: () => ({}),
  inputs: [1, 1],
  optionalInputs: [],
  version(s) {
    if (s.inputs[0] === 'int4' || s.outputs[0] === 'int4') return 4;
    return s.outputPerChannel ? 3 : 1;
  },
  runtimeVersions: ['1.14.0', '1.15.0', '2.7.0'],
  macs: () => 0,
  kernel: quantizeKernel,
  micro: 'pqk_kernel_quantize_s8',
};

export const dequantize: OpDescriptor<'DEQUANTIZE'> = {
  name: 'DEQUANTIZE',
  code: BuiltinOperator.DEQUANTIZE,
  optionsType: BuiltinOptions.DequantizeOptions,
  optionsTable: emptyTable('DequantizeOptions'),
  encode: () => 0,
  decode: () => ({}),
  inputs: [1, 1],
  optionalInputs: [],
  version(s) {
    if (s.inputs[0] === 'int4') return 6;
    if (s.inputs[0] === 'int8') return s.perChannel[0] ? 5 : 2;
    return 1;
  },
  runtimeVersions: ['1.13.1', '1.14.0', '1.15.0', '2.2.0', '2.7.0'],
  macs: () => 0,
  kernel: dequantizeKernel,
  // Weights stored as int8 or float16 and dequantized by an op: the result is a constant like any other.
  importFloat: (l) => l.aliasConstant(l.constant(0, 'input')),
};
