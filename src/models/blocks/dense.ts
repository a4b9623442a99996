// dense: a fully connected layer, kernel (in, out) over the flattened input, a fused activation; FULLY_CONNECTED,
// weights (out, in), one weight scale (TFLite 2.9 reads one).
import * as tf from '@tensorflow/tfjs-core';
import type { BlockDescriptor } from './descriptor.js';
import { oneInput } from './descriptor.js';

export const dense: BlockDescriptor<'dense'> = {
  kinds: ['dense'],
  inputs: oneInput,
  shape: (n) => [n.units],
  keepsQuantization: false,
  passesChannels: false,
  weights: {
    shape: (n, inShape) => [inShape.reduce((a, b) => a * b, 1), n.units],
    apply: (_n, x, k) => tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D),
    macs: (_out, ws) => ws[0]! * ws[1]!,
    outChannels: (ws) => ws[1]!,
    channelShape: (ws) => [1, ws[1]!],
    inAxis: 0,
    tfliteLayout(q, [i, o]) {
      const out = new Int8Array(q.length);
      for (let a = 0; a < i!; a++) for (let b = 0; b < o!; b++) out[b * i! + a] = q[a * o! + b]!;
      return { data: out, shape: [o!, i!] };
    },
    quantizedDim: 0,
    op: (_n, act) => ({ op: 'FULLY_CONNECTED', options: { activation: act, keepNumDims: false } }),
  },
};
