// mul: the elementwise product of two tensors of one rank, NumPy-broadcast, then a fused activation; TFLite's MUL.
import * as tf from '@tensorflow/tfjs-core';
import { rescaleExact, rescaleParams } from '../../backend/exact-rescale.js';
import { quantizeMultiplier } from '../../int/quantize.js';
import { mulMultiplier } from '../../ops/mul.js';
import { actParams } from '../../compress/quant/emit.js';
import { exactParams, fixedPointScale, flavorOf, requantizeOutput } from '../../compress/quant/qat-core.js';
import type { BlockDescriptor } from './descriptor.js';
import { ACT, activate } from './descriptor.js';

export const mul: BlockDescriptor<'mul'> = {
  kinds: ['mul'],
  inputs: (n) => [...n.inputs],
  shape(_n, [a, b], where) {
    if (a!.length !== b!.length || a!.some((d, i) => d !== b![i] && d !== 1 && b![i] !== 1))
      throw new Error(`${where} of [${a}] and [${b}], which do not broadcast`);
    return a!.map((d, i) => Math.max(d, b![i]!));
  },
  keepsQuantization: false,
  passesChannels: false,
  float: (n, [a, b]) => activate(tf.mul(a!, b!), n.activation),
  teacherQuantizes: () => true,
  qat(model, n, [a, b], st) {
    // (q1 - z1) * (q2 - z2), an exact integer, times s1 * s2 / s_out as MultiplyByQuantizedMultiplier rounds it
    // (exactly at evaluation, with the runtime's own multiplier; LiteRT's is a float one).
    const [x, y] = [a!, b!];
    const acc = tf.mul(x.v, y.v);
    const flavor = flavorOf(st);
    return requantizeOutput(
      model,
      n.name,
      st,
      () => tf.mul(tf.mul(x.v, x.q.scale), tf.mul(y.v, y.q.scale)),
      (q) => {
        const params =
          flavor === 'litert'
            ? undefined
            : exactParams(
                n.name,
                [x.q.scale, y.q.scale, q.scale],
                ([s1, s2, so]) => {
                  const m = quantizeMultiplier(mulMultiplier(s1![0]!, s2![0]!, so![0]!, flavor === 'tflm'));
                  return rescaleParams({ multiplier: Int32Array.of(m.multiplier), shift: Int32Array.of(m.shift) }, () => 'away');
                },
                st,
              );
        return params ? rescaleExact(acc, params) : fixedPointScale(acc, tf.div(tf.mul(x.q.scale, y.q.scale), q.scale), 'away');
      },
      n.activation,
    );
  },
  async emit(b, model, n, [x, y]) {
    const out = await actParams(model, n.name);
    const shape = x!.shape.map((d, i) => Math.max(d, y!.shape[i]!));
    const o = b.activation(n.name, shape, out);
    b.ops.push({ op: 'MUL', inputs: [x!.index, y!.index], outputs: [o], options: { activation: ACT[n.activation] } });
    return { index: o, ...out, shape };
  },
};
