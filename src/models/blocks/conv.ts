// conv: a 2-D convolution, kernel (kh, kw, in, out), batch norm folded in, a fused activation; CONV_2D, weights
// (out, kh, kw, in).
import * as tf from '@tensorflow/tfjs-core';
import type { BlockDescriptor } from './descriptor.js';
import { convOptions, oneInput, windowShape } from './descriptor.js';

export const conv: BlockDescriptor<'conv'> = {
  kinds: ['conv'],
  inputs: oneInput,
  shape: (n, [x]) => windowShape(n, x!, n.filters),
  keepsQuantization: false,
  passesChannels: false,
  weights: {
    shape: (n, inShape) => [n.kernel[0], n.kernel[1], inShape[inShape.length - 1]!, n.filters],
    apply: (n, x, k) => tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, n.stride, n.padding),
    macs: (out, ws) => out[0]! * out[1]! * out[2]! * ws[0]! * ws[1]! * ws[2]!,
    outChannels: (ws) => ws[3]!,
    channelShape: (ws) => [1, 1, 1, ws[3]!],
    inAxis: 2,
    tfliteLayout(q, [kh, kw, ci, co]) {
      // (kh, kw, in, out) -> (out, kh, kw, in)
      const out = new Int8Array(q.length);
      for (let y = 0; y < kh!; y++)
        for (let x = 0; x < kw!; x++)
          for (let c = 0; c < ci!; c++)
            for (let o = 0; o < co!; o++) out[((o * kh! + y) * kw! + x) * ci! + c] = q[((y * kw! + x) * ci! + c) * co! + o]!;
      return { data: out, shape: [co!, kh!, kw!, ci!] };
    },
    quantizedDim: 0,
    op: (n, act) => ({ op: 'CONV_2D', options: convOptions(n, act) }),
  },
};
