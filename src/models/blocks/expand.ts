// expand: a vector as a 1x1 map ([C] -> [1, 1, C]), as EXPAND_DIMS / unsqueeze make a squeeze-and-excitation gate;
// RESHAPE in the .tflite.
import * as tf from '@tensorflow/tfjs-core';
import type { BlockDescriptor } from './descriptor.js';
import { oneInput } from './descriptor.js';

export const expand: BlockDescriptor<'expand'> = {
  kinds: ['expand'],
  inputs: oneInput,
  shape(_n, [x], where) {
    if (x!.length !== 1) throw new Error(`${where} of [${x}]: it takes a vector`);
    return [1, 1, x![0]!];
  },
  keepsQuantization: true,
  passesChannels: true,
  float: (_n, [x]) => tf.reshape(x!, [x!.shape[0], 1, 1, -1]),
  qat: (_m, _n, [x]) => ({ v: tf.reshape(x!.v, [x!.v.shape[0], 1, 1, -1]), q: x!.q }),
  async emit(b, _m, n, [x]) {
    const shape = [1, 1, 1, x!.shape[1]!];
    const o = b.activation(n.name, shape, x!);
    b.ops.push({ op: 'RESHAPE', inputs: [x!.index], outputs: [o], options: { newShape: shape } });
    return { ...x!, index: o, shape };
  },
};
