// depthwise: a depthwise 2-D convolution, kernel (kh, kw, in, multiplier), batch norm folded in, a fused
// activation; DEPTHWISE_CONV_2D, weights (1, kh, kw, in * multiplier).
import * as tf from '@tensorflow/tfjs-core';
import type { BlockDescriptor } from './descriptor.js';
import { convOptions, oneInput, windowShape } from './descriptor.js';

export const depthwise: BlockDescriptor<'depthwise'> = {
  kinds: ['depthwise'],
  inputs: oneInput,
  shape: (n, [x]) => windowShape(n, x!, x![2]! * n.multiplier),
  keepsQuantization: false,
  passesChannels: false, // a multiplier of 1 carries a channel group along (spec.ts deriveChannelGroups)
  weights: {
    shape: (n, inShape) => [n.kernel[0], n.kernel[1], inShape[inShape.length - 1]!, n.multiplier],
    apply: (n, x, k) => tf.depthwiseConv2d(x as tf.Tensor4D, k as tf.Tensor4D, n.stride, n.padding),
    macs: (out, ws) => out[0]! * out[1]! * out[2]! * ws[0]! * ws[1]!,
    outChannels: (ws) => ws[2]! * ws[3]!,
    channelShape: (ws) => [1, 1, ws[2]!, ws[3]!],
    inAxis: 2,
    tfliteLayout: (q, ws) => ({ data: q, shape: [1, ws[0]!, ws[1]!, ws[2]! * ws[3]!] }),
    quantizedDim: 3,
    op: (n, act) => ({ op: 'DEPTHWISE_CONV_2D', options: { ...convOptions(n, act), depthMultiplier: n.multiplier } }),
  },
};
