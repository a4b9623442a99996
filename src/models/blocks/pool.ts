// avgpool, maxpool: a window pool of height and width; AVERAGE_POOL_2D / MAX_POOL_2D, which keep their input's
// quantization.
import * as tf from '@tensorflow/tfjs-core';
import { noGradient, stopGradient } from '../grad.js';
import type { PoolSpec } from '../spec.js';
import type { BlockDescriptor } from './descriptor.js';
import { oneInput, windowShape } from './descriptor.js';

export function pool(n: PoolSpec, x: tf.Tensor4D): tf.Tensor4D {
  const f = n.kind === 'avgpool' ? tf.avgPool : tf.maxPool;
  return f(x, n.size, n.stride, n.padding);
}

// TFLite's int8 average: the sum of q (zero point included) divided by the count, rounding half away from zero.
function qatAverage(n: PoolSpec, x: tf.Tensor, zeroPoint: tf.Scalar): tf.Tensor {
  const count = n.size[0] * n.size[1];
  const q = tf.add(x, zeroPoint);
  const mean = tf.avgPool(q as tf.Tensor4D, n.size, n.stride, n.padding);
  const exact = noGradient(mean, (m) => {
    const sum = tf.round(tf.mul(m, count));
    return tf.mul(tf.sign(sum), tf.floor(tf.div(tf.add(tf.abs(sum), Math.floor(count / 2)), count)));
  });
  return tf.sub(tf.add(mean, stopGradient(tf.sub(exact, mean))), zeroPoint);
}

export const pools: BlockDescriptor<'avgpool' | 'maxpool'> = {
  kinds: ['avgpool', 'maxpool'],
  inputs: oneInput,
  shape: (n, [x]) => windowShape(n, x!, x![2]!),
  keepsQuantization: true,
  passesChannels: true,
  float: (n, [x]) => pool(n, x as tf.Tensor4D),
  qat: (_m, n, [x]) => ({
    v: n.kind === 'maxpool' ? tf.maxPool(x!.v as tf.Tensor4D, n.size, n.stride, n.padding) : qatAverage(n, x!.v, x!.q.zeroPoint),
    q: x!.q,
  }),
  async emit(b, model, n, [x], keep) {
    const hw = model.shapes.get(n.name)!;
    const shape = [1, hw[0]!, hw[1]!, keep ? keep.length : hw[2]!];
    const o = b.activation(n.name, shape, x!);
    const options = {
      padding: n.padding === 'same' ? 'SAME' : 'VALID',
      strideH: n.stride[0],
      strideW: n.stride[1],
      filterH: n.size[0],
      filterW: n.size[1],
      activation: 'NONE',
    } as const;
    b.ops.push({ op: n.kind === 'avgpool' ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D', inputs: [x!.index], outputs: [o], options });
    return { ...x!, index: o, shape };
  },
};
