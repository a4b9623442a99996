// Native broadcasting, unary, reduction, transpose, tile, batch-norm and matmul kernels equal the cpu backend's.
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { assertSameOnBoth, gradsOf, rand, setupBackends } from './compare.js';

const PAIRS: [number[], number[]][] = [
  [
    [2, 3, 4, 5],
    [2, 3, 4, 5],
  ],
  [[2, 3, 4, 5], [5]],
  [
    [2, 1, 4, 1],
    [1, 3, 1, 5],
  ],
  [[4, 1], [3]],
  [[], [3, 2]],
  [
    [6, 5, 4],
    [6, 1, 4],
  ],
  [
    [1, 1, 1, 7],
    [3, 2, 2, 7],
  ],
];

const BINARY: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
  ['maximum', tf.maximum],
  ['minimum', tf.minimum],
  ['squaredDifference', tf.squaredDifference],
];

// Values that exercise rounding ties, clipping bounds and NaN handling.
const SPECIAL = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0, -0, 3.7, -3.7, 6.5, -127.5, 127.5, NaN, 1e-8, 100];

describe('native elementwise kernels', () => {
  before(setupBackends);

  for (const [name, op] of BINARY) {
    it(`${name} with broadcasting, and its gradient`, () => {
      for (const [sa, sb] of PAIRS) {
        const pos = name === 'div' ? (t: tf.Tensor) => tf.add(tf.abs(t), 0.5) : (t: tf.Tensor) => t;
        const inputs = () => [rand(sa, 1), pos(rand(sb, 2))];
        // tfjs-core's gradients of these three do not reduce over broadcast dims, so only equal shapes get one
        const noBroadcastGrad = ['maximum', 'minimum', 'squaredDifference'].includes(name) && sa.join() !== sb.join();
        if (noBroadcastGrad) assertSameOnBoth(`${name} ${sa} ${sb}`, () => op(...(inputs() as [tf.Tensor, tf.Tensor])));
        else assertSameOnBoth(`${name} ${sa} ${sb}`, gradsOf(op, inputs));
      }
      assertSameOnBoth(`${name} NaN`, () => op(tf.tensor(SPECIAL), tf.tensor(SPECIAL.map((v) => -v * 0.5))));
    });
  }

  it('unary ops, including round half to even, clip, step and the fake-quant chain', () => {
    assertSameOnBoth('unary', () => {
      const x = tf.concat([tf.tensor(SPECIAL), tf.mul(tf.reshape(rand([3, 50], 3), [150]), 8)]);
      const p = tf.add(tf.abs(x), 0.1);
      const q = tf.clipByValue(tf.round(tf.div(x, 0.25)), -128, 127);
      return [
        tf.relu(x),
        tf.relu6(x),
        tf.step(x, 0.3),
        tf.square(x),
        tf.sqrt(p),
        tf.rsqrt(p),
        tf.neg(x),
        tf.exp(tf.div(x, 8)),
        tf.log(p),
        tf.abs(x),
        tf.sigmoid(x),
        tf.tanh(x),
        tf.round(x),
        tf.floor(x),
        tf.ceil(x),
        tf.clipByValue(x, -2, 3.5),
        tf.reciprocal(p),
        tf.mul(q, 0.25),
      ];
    });
  });

  it('reductions over any axes, with and without keepDims', () => {
    const cases: [number[], number[] | undefined][] = [
      [
        [0, 1, 2],
        [4, 5, 3, 6],
      ],
      [[3], [4, 5, 3, 6]],
      [
        [1, 3],
        [4, 5, 3, 6],
      ],
      [
        [0, 2],
        [4, 5, 3, 6],
      ],
      [[0], [7]],
      [undefined as unknown as number[], [3, 4]],
    ].map(([ax, sh]) => [sh as number[], ax as number[] | undefined]);
    assertSameOnBoth('reduce', () =>
      cases.flatMap(([shape, axes]) => {
        const x = rand(shape, 4);
        return [tf.sum(x, axes), tf.mean(x, axes, true), tf.max(x, axes), tf.min(x, axes, true)];
      }),
    );
    // the whole-tensor max / min (range observers): split across threads, extremes in the last chunk, NaN anywhere
    assertSameOnBoth('whole max/min', () => {
      const n = 4 * 25 * 5 * 641;
      const at = (i: number, v: number) => tf.mul(tf.cast(tf.equal(tf.range(0, n), i), 'float32'), v);
      const x = tf.add(tf.add(rand([n], 5), at(n - 3, -7)), at(n - 1, 9)); // both extremes in the last thread's part
      const nan = tf.where(tf.equal(tf.range(0, n), 150_000), tf.fill([n], NaN), x);
      const x4 = tf.reshape(x, [4, 25, 5, 641]);
      return [tf.max(x), tf.min(x), tf.max(x4), tf.min(x4), tf.max(nan), tf.min(nan), tf.max(tf.neg(tf.abs(x))), tf.min(tf.abs(x))];
    });
    assertSameOnBoth(
      'moments grad',
      gradsOf(
        (x) => tf.add(tf.moments(x, [0, 1, 2]).variance, tf.moments(x, [0, 1, 2]).mean),
        () => [rand([3, 4, 5, 6], 5)],
      ),
    );
  });

  it('transpose, tile and batchNorm (per-channel and scalar parameters) with gradients', () => {
    assertSameOnBoth('transpose', () => [tf.transpose(rand([2, 3, 4, 5], 6), [3, 1, 0, 2]), tf.transpose(rand([7, 9], 7))]);
    assertSameOnBoth('tile', () => [tf.tile(rand([1, 1, 1, 4], 8), [2, 3, 5, 1]), tf.tile(rand([2, 3], 9), [3, 2])]);
    const bn = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
      tf.batchNorm(x, m, tf.add(tf.abs(v), 0.1), o, s, 1e-3);
    assertSameOnBoth(
      'batchNorm',
      gradsOf(bn, () => [rand([3, 4, 5, 6], 10), rand([6], 11), rand([6], 12), rand([6], 13), rand([6], 14)]),
    );
    assertSameOnBoth('batchNorm scalar', () => tf.batchNorm(rand([2, 3, 4], 15), tf.scalar(0.2), tf.scalar(1.5), undefined, tf.scalar(2)));
  });

  it('matmul with transposes, batches and broadcast batch, fused bias and relu', () => {
    const mm = (ta: boolean, tb: boolean) => (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb);
    assertSameOnBoth(
      '2d',
      gradsOf(mm(false, false), () => [rand([5, 7], 16), rand([7, 3], 17)]),
    );
    assertSameOnBoth(
      '2d tA tB',
      gradsOf(mm(true, true), () => [rand([7, 5], 18), rand([3, 7], 19)]),
    );
    assertSameOnBoth(
      'batched',
      gradsOf(mm(false, true), () => [rand([4, 5, 7], 20), rand([4, 3, 7], 21)]),
    );
    // tfjs-core's BatchMatMul gradient does not reduce a broadcast batch, so that case is forward only
    assertSameOnBoth('broadcast batch', () => mm(true, false)(rand([1, 7, 5], 22), rand([3, 7, 2], 23)));
    assertSameOnBoth('fused', () =>
      tf.fused.matMul({ a: rand([6, 8], 24) as tf.Tensor2D, b: rand([8, 4], 25) as tf.Tensor2D, bias: rand([4], 26), activation: 'relu' }),
    );
  });
});
