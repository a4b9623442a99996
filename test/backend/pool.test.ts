// Native pooling kernels and a small ResNet's full training gradients equal the cpu backend's.
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { assertSameOnBoth, gradsOf, rand, setupBackends } from './compare.js';

type Pad = 'same' | 'valid';
const POOLS: [number[], [number, number], number | [number, number], Pad][] = [
  [[2, 9, 7, 3], [3, 3], 1, 'same'],
  [[2, 9, 7, 3], [2, 2], 2, 'valid'],
  [[2, 9, 7, 3], [3, 2], [2, 1], 'same'],
  [[3, 25, 5, 4], [25, 5], 1, 'valid'],
];

// conv3x3 + BN (batch statistics) + ReLU, twice, with a residual add; max pool, global average pool, dense.
function resnet(x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, g: tf.Tensor, b: tf.Tensor, dense: tf.Tensor): tf.Tensor {
  const bnRelu = (y: tf.Tensor4D) => {
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    return tf.relu(tf.batchNorm(y, mean, variance, b, g, 1e-3)) as tf.Tensor4D;
  };
  const h = bnRelu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'));
  const r = tf.relu(tf.add(h, bnRelu(tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same')))) as tf.Tensor4D;
  const p = tf.avgPool(tf.maxPool(r, 2, 2, 'same'), [4, 3], 1, 'valid');
  return tf.matMul(tf.reshape(p, [x.shape[0]!, 8]), dense as tf.Tensor2D);
}

describe('native pooling kernels', () => {
  before(setupBackends);

  for (const [shape, size, stride, pad] of POOLS) {
    it(`avgPool and maxPool ${shape} ${size} s${stride} ${pad} with gradients`, () => {
      const inputs = () => [rand(shape, 1)];
      assertSameOnBoth(
        'avg',
        gradsOf((x) => tf.avgPool(x as tf.Tensor4D, size, stride, pad), inputs),
      );
      assertSameOnBoth(
        'max',
        gradsOf((x) => tf.maxPool(x as tf.Tensor4D, size, stride, pad), inputs),
      );
    });
  }

  it('max pool gradient goes to the first of tied maxima', () => {
    assertSameOnBoth(
      'ties',
      gradsOf(
        (x) => tf.maxPool(x as tf.Tensor4D, 2, 1, 'valid'),
        () => [tf.round(tf.mul(rand([2, 5, 5, 3], 2), 1.5))],
      ),
    );
  });

  it('small ResNet: loss and every weight gradient', () => {
    const inputs = () => [
      rand([4, 8, 6, 3], 3),
      rand([3, 3, 3, 8], 4),
      rand([3, 3, 8, 8], 5),
      tf.add(rand([8], 6), 1.5),
      rand([8], 7),
      rand([8, 5], 8),
    ];
    assertSameOnBoth('resnet', gradsOf(resnet, inputs), 1e-4);
  });
});
