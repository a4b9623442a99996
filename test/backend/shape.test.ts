// Native PadV2 and Slice (block copies), the ReLU6 / clip gradient and QAT's clamp to tensor bounds (PqkClamp and its
// gradient) equal the cpu backend's, value for value.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { clampSte } from '../../src/backend/clamp.js';
import { assertSameOnBoth, gradsOf, rand, setupBackends } from './compare.js';
import { useBackend } from './use-backend.js';

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

  it("QAT's clamp of integers to scalar tensor bounds: one kernel each way on native, the cpu ops' values and gradient", async () => {
    // Integers from -140 to 140 around the bounds [-128 - zp, 127 - zp] of an output zero point zp = 5: values at
    // both bounds pass the gradient, one past them do not.
    const x = () => tf.round(tf.mul(rand([2, 6, 5, 8], 7), 140));
    const clamp = (v: tf.Tensor) => clampSte(v, tf.sub(tf.scalar(-128), 5), tf.sub(tf.scalar(127), 5));
    const f = () => tf.concat([x(), tf.tile(tf.tensor([-133, -134, -132, 122, 123, 121], [1, 1, 1, 6]), [2, 6, 5, 1])], 3);
    assertSameOnBoth(
      'clampSte',
      gradsOf(clamp, () => [f()]),
      0,
    );
    useBackend('native');
    const info = await tf.profile(() => tf.tidy(() => tf.grads((v: tf.Tensor) => tf.sum(clamp(v)))([f()])[0]!));
    const names = info.kernels.map((k) => k.name);
    assert.ok(names.includes('PqkClamp') && names.includes('PqkClampGrad'), names.join(' '));
    assert.ok(!names.includes('Step') && !names.includes('Maximum'), names.join(' '));
  });
});
