// concat: tensors of equal leading dimensions joined along the channel axis; TFLite's int8 CONCATENATION does not
// rescale, so its inputs are quantized as its output is (models/spec.ts sharedQuantization).
import * as tf from '@tensorflow/tfjs-core';
import type { BlockDescriptor } from './descriptor.js';

export const concat: BlockDescriptor<'concat'> = {
  kinds: ['concat'],
  inputs: (n) => [...n.inputs],
  shape(_n, ins, where) {
    if (ins.length < 2) throw new Error(`${where} needs at least 2 inputs`);
    const first = ins[0]!;
    const lead = first.slice(0, -1).join();
    const bad = ins.find((s) => s.slice(0, -1).join() !== lead || s.length !== first.length);
    if (bad) throw new Error(`${where} joins [${first}] and [${bad}], which differ outside the last axis`);
    return [...first.slice(0, -1), ins.reduce((a, s) => a + s[s.length - 1]!, 0)];
  },
  keepsQuantization: true,
  sharesQuantization: true,
  passesChannels: false,
  float: (_n, xs) => tf.concat(xs, -1),
  // One quantization for every input (qparamsOf), kept by the op: the integers are joined unchanged.
  qat: (_m, _n, xs) => ({
    v: tf.concat(
      xs.map((t) => t.v),
      -1,
    ),
    q: xs[0]!.q,
  }),
  async emit(b, _m, n, xs) {
    const x = xs[0]!;
    const shape = [...x.shape.slice(0, -1), xs.reduce((a, t) => a + t.shape[t.shape.length - 1]!, 0)];
    const o = b.activation(n.name, shape, x);
    b.ops.push({
      op: 'CONCATENATION',
      inputs: xs.map((t) => t.index),
      outputs: [o],
      options: { axis: shape.length - 1, activation: 'NONE' },
    });
    return { ...x, index: o, shape };
  },
};
