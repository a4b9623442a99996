// DEPTHWISE_CONV_2D: int8 activations, int8 or int4 weights per channel [1, KH, KW, C x multiplier], int32 bias.
import { depthwiseKernel } from '../int/depthwise.js';
import { BuiltinOperator, BuiltinOptions, DepthwiseConv2DOptions, Padding } from '../tflite/generated/index.js';
import { i32, u8 } from '../tflite/table-spec.js';
import { ACT, convOptions, lowerConvolution, optionsTable, weightedMacs, type OpDescriptor, WEIGHTED_INPUTS } from './descriptor.js';

export const depthwiseConv2d: OpDescriptor<'DEPTHWISE_CONV_2D'> = {
  name: 'DEPTHWISE_CONV_2D',
  code: BuiltinOperator.DEPTHWISE_CONV_2D,
  optionsType: BuiltinOptions.DepthwiseConv2DOptions,
  optionsTable: {
    name: 'DepthwiseConv2DOptions',
    fields: {
      0: ['padding', u8],
      1: ['stride_w', i32],
      2: ['stride_h', i32],
      3: ['depth_multiplier', i32],
      4: ['fused_activation_function', u8],
      5: ['dilation_w_factor', i32],
      6: ['dilation_h_factor', i32],
    },
  },
  encode: (b, o) =>
    DepthwiseConv2DOptions.createDepthwiseConv2DOptions(
      b,
      Padding[o.padding],
      o.strideW,
      o.strideH,
      o.depthMultiplier,
      ACT[o.activation],
      o.dilationW,
      o.dilationH,
    ),
  decode(op, where) {
    const o = optionsTable(op, () => new DepthwiseConv2DOptions());
    return { ...convOptions(o, where), depthMultiplier: o?.depthMultiplier() ?? 0 };
  },
  ...WEIGHTED_INPUTS,
  version(s) {
    const [a, w] = s.inputs;
    const o = s.outputs[0];
    if (a === 'float32' && w === 'int8' && o === 'float32') return s.perChannel[1] ? 6 : 4;
    if (a === 'int8' && w === 'int8' && o === 'int8') return 3;
    if (a === 'int8' && w === 'int4' && o === 'int8') return 7;
    const opts = s.op.op === 'DEPTHWISE_CONV_2D' ? s.op.options : undefined;
    if (opts && (opts.dilationW !== 1 || opts.dilationH !== 1)) return 2;
    return 1;
  },
  runtimeVersions: ['1.5.0', '1.12.0', '1.14.0', '2.2.0', '2.3.0', '2.3.0', '2.11.0'],
  macs: (model, op) => weightedMacs(model, op, [1, 2]), // out elements x KH x KW
  kernel: depthwiseKernel,
  micro: 'pqk_kernel_depthwise_conv_s8',
  // TFLite's filter [1, KH, KW, C x M] holds (kh, kw, c, m) in the same order: only the shape changes.
  importFloat: (l, op) =>
    lowerConvolution(l, op, 'depthwise', (f) => {
      const [, kh, kw, cm] = f.shape as [number, number, number, number];
      const c = l.shape(op.inputs[0]!)[3]!;
      return { data: f.data, shape: [kh, kw, c, cm / c] };
    }),
};
