// flatten: a map (or vector) as a vector, in NHWC order; RESHAPE in the .tflite.
import * as tf from '@tensorflow/tfjs-core';
import type { BlockDescriptor } from './descriptor.js';
import { oneInput } from './descriptor.js';

export const flatten: BlockDescriptor<'flatten'> = {
  kinds: ['flatten'],
  inputs: oneInput,
  shape: (_n, [x]) => [x!.reduce((a, b) => a * b, 1)],
  keepsQuantization: true,
  passesChannels: false, // channel groups follow it as an interleaved expansion (spec.ts deriveChannelGroups)
  float: (_n, [x]) => tf.reshape(x!, [x!.shape[0], -1]),
  qat: (_m, _n, [x]) => ({ v: tf.reshape(x!.v, [x!.v.shape[0], -1]), q: x!.q }),
  async emit(b, _m, n, [x]) {
    const shape = [1, x!.shape.slice(1).reduce((a, c) => a * c, 1)];
    const o = b.activation(n.name, shape, x!);
    b.ops.push({ op: 'RESHAPE', inputs: [x!.index], outputs: [o], options: { newShape: shape } });
    return { ...x!, index: o, shape };
  },
};
