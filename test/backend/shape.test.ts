// Native PadV2 and Slice (block copies) and the ReLU6 / clip gradient equal the cpu backend's, value for value.
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { assertSameOnBoth, gradsOf, rand, setupBackends } from './compare.js';

const PADS: [number[], [number, number][], number][] = [
  [
    [2, 7, 5, 3],
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
    0,
  ], // PyTorch's symmetric pad before a stride-2 conv
  [
    [2, 7, 5, 3],
    [
      [0, 0],
      [0, 1],
      [2, 0],
      [0, 0],
    ],
    0.5,
  ],
  [
    [3, 4, 6],
    [
      [1, 2],
      [0, 0],
      [0, 0],
    ],
    -1,
  ], // the leading dimension only: one block per batch
  [
    [3, 4, 6],
    [
      [0, 0],
      [0, 0],
      [2, 1],
    ],
    0,
  ], // the innermost dimension: one row at a time
  [[5], [[3, 2]], 7],
  [
    [1, 1, 1, 4],
    [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ],
    0,
  ],
];

const SLICES: [number[], number[], number[]][] = [
  [
    [2, 9, 7, 3],
    [0, 1, 1, 0],
    [2, 7, 5, 3],
  ],
  [
    [2, 9, 7, 3],
    [1, 0, 2, 1],
    [1, -1, 3, 2],
  ],
  [
    [4, 6],
    [1, 0],
    [2, 6],
  ], // contiguous rows
  [
    [4, 6],
    [0, 2],
    [4, 3],
  ],
  [[6], [2], [3]],
  [
    [2, 3, 4],
    [0, 0, 0],
    [2, 3, 4],
  ],
];

describe('native shape kernels', () => {
  before(setupBackends);

  for (const [shape, paddings, value] of PADS) {
    it(`pad ${shape} by ${JSON.stringify(paddings)} with ${value}, and its gradient (a slice)`, () => {
      assertSameOnBoth(
        'pad',
        gradsOf(
          (x) =>
            tf.mul(
              tf.pad(x, paddings, value),
              rand(
                shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]),
                9,
              ),
            ),
          () => [rand(shape, 1)],
        ),
        0,
      );
      assertSameOnBoth('pad int32', () => tf.pad(tf.cast(tf.mul(rand(shape, 2), 100), 'int32'), paddings, Math.trunc(value)), 0);
    });
  }

  for (const [shape, begin, size] of SLICES) {
    it(`slice ${shape} at ${begin} of ${size}, and its gradient (a pad)`, () => {
      assertSameOnBoth(
        'slice',
        gradsOf(
          (x) => tf.sum(tf.mul(tf.slice(x, begin, size), 3)),
          () => [rand(shape, 3)],
        ),
        0,
      );
      assertSameOnBoth('slice int32', () => tf.slice(tf.cast(tf.mul(rand(shape, 4), 100), 'int32'), begin, size), 0);
    });
  }

  it('clip (ReLU6) gradient: inside the bounds, at them and outside', () => {
    // Values on the bounds 0 and 6 exactly pass the gradient, as tfjs-core's does.
    const x = () =>
      tf.concat([tf.mul(rand([2, 5, 5, 3], 5), 8), tf.tile(tf.tensor([0, 6, -1e-7, 6.0000005], [1, 1, 1, 4]), [2, 5, 5, 1])], 3);
    assertSameOnBoth(
      'clip',
      gradsOf(
        (v) => tf.mul(tf.clipByValue(v, 0, 6), rand([2, 5, 5, 7], 6)),
        () => [x()],
      ),
      0,
    );
  });
});
