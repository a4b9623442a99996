// CONV_2D: int8 activations, int8 or int4 weights per output channel [O, KH, KW, I], int32 bias.
import { convKernel } from '../int/conv.js';
import { BuiltinOperator, BuiltinOptions, Conv2DOptions, Padding } from '../tflite/generated/index.js';
import { i32, u8 } from '../tflite/table-spec.js';
import { ACT, convOptions, lowerConvolution, optionsTable, weightedMacs, type OpDescriptor, WEIGHTED_INPUTS } from './descriptor.js';
import { transpose } from '../import/prims.js';

export const conv2d: OpDescriptor<'CONV_2D'> = {
  name: 'CONV_2D',
  code: BuiltinOperator.CONV_2D,
  optionsType: BuiltinOptions.Conv2DOptions,
  optionsTable: {
    name: 'Conv2DOptions',
    fields: {
      0: ['padding', u8],
      1: ['stride_w', i32],
      2: ['stride_h', i32],
      3: ['fused_activation_function', u8],
      4: ['dilation_w_factor', i32],
      5: ['dilation_h_factor', i32],
    },
  },
  encode: (b, o) =>
    Conv2DOptions.createConv2DOptions(b, Padding[o.padding], o.strideW, o.strideH, ACT[o.activation], o.dilationW, o.dilationH),
  decode: (op, where) =>
    convOptions(
      optionsTable(op, () => new Conv2DOptions()),
      where,
    ),
  ...WEIGHTED_INPUTS,
  version(s) {
    const [a, w] = s.inputs;
    const o = s.outputs[0];
    if (s.inputChannels !== undefined && s.filterChannels !== undefined && s.inputChannels !== s.filterChannels) return 6;
    if (a === 'int8' && w === 'int8' && o === 'int8') return 3;
    if (a === 'int8' && w === 'int4' && o === 'int8') return 7;
    if (a === 'float32' && w === 'int8' && o === 'float32') return s.perChannel[1] ? 5 : 2;
    return 1;
  },
  runtimeVersions: ['1.5.0', '1.14.0', '1.14.0', '2.3.0', '2.4.0', '2.9.0', '2.11.0'],
  macs: (model, op) => weightedMacs(model, op, [1, 2, 3]), // out elements x KH x KW x I
  kernel: convKernel,
  micro: 'pqk_kernel_conv_s8',
  // The filter [O, KH, KW, I] as (kh, kw, in, out).
  importFloat: (l, op) => lowerConvolution(l, op, 'conv', (w) => transpose(w, [1, 2, 3, 0])),
};
