// quantAddRaw is the integer reference's ADD rescaling, value for value, on the cpu and native backends (a float32
// grid is not: the 2^28-sized intermediates do not fit its mantissa); its gradient is straight-through.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { fixedPointRound } from '../../src/backend/fixed-point.js';
import { quantAddRaw } from '../../src/backend/quant-add.js';
import { addRaw, addRescale } from '../../src/int/add.js';
import { mulberry32 } from '../../src/util/rng.js';
import { setupBackends } from './compare.js';
import { useBackend } from './use-backend.js';

before(setupBackends);

// Every pair of int8 differences (511 x 511) at random scales, and at scales where the float32 grid is 4 LSB-steps off.
function cases(n: number) {
  const rng = mulberry32(17);
  const v1 = Float32Array.from({ length: 511 * 511 }, (_, i) => Math.floor(i / 511) - 255);
  const v2 = Float32Array.from({ length: 511 * 511 }, (_, i) => (i % 511) - 255);
  const scales = Array.from({ length: n }, () => {
    const s1 = Math.fround(0.002 + rng() * 0.2);
    const s2 = Math.fround(0.002 + rng() * 0.2);
    return [s1, s2, Math.fround(Math.max(s1, s2) * (0.6 + rng() * 2))];
  });
  scales.push([0.05639517679810524, 0.0792204886674881, 0.0819549709558487].map(Math.fround));
  return scales.map(([s1, s2, so]) => ({ s1: s1!, s2: s2!, so: so!, v1, v2 }));
}

// The float32 grid the fake-quant ADD used before (and still uses on backends without the op).
function onGrid(c: ReturnType<typeof cases>[number]): Float32Array {
  return tf.tidy(() => {
    const [a, b, s1, s2, so] = [tf.tensor(c.v1), tf.tensor(c.v2), tf.scalar(c.s1), tf.scalar(c.s2), tf.scalar(c.so)];
    const twiceMax = tf.mul(tf.maximum(s1, s2), 2);
    const grid = tf.add(tf.mul(a, tf.div(tf.mul(s1, 1 << 20), twiceMax)), tf.mul(b, tf.div(tf.mul(s2, 1 << 20), twiceMax)));
    return fixedPointRound(grid, tf.div(twiceMax, tf.mul(so, 1 << 20)), 'away').dataSync() as Float32Array;
  });
}

test('equals the integer reference element for element on cpu and native, where the float32 grid does not', () => {
  let gridOff = 0;
  for (const backend of ['cpu', 'native']) {
    useBackend(backend);
    for (const c of cases(3)) {
      const r = addRescale(c.s1, c.s2, c.so, (why) => assert.fail(why));
      const want = Array.from(c.v1, (v, i) => addRaw(r, v, c.v2[i]!));
      const got = tf.tidy(() =>
        quantAddRaw(tf.tensor(c.v1), tf.tensor(c.v2), tf.scalar(c.s1), tf.scalar(c.s2), tf.scalar(c.so))!.dataSync(),
      );
      assert.deepEqual(Array.from(got), want, `${backend}: scales ${c.s1}, ${c.s2} -> ${c.so}`);
      if (backend === 'cpu') gridOff += onGrid(c).filter((v, i) => v !== want[i]).length;
    }
  }
  assert.ok(gridOff > 0, 'the float32 grid agreed everywhere: the case set no longer shows why the op exists');
});

test('straight-through gradient: dy * s_i / s_out for each input, none for the scales; other backends get undefined', () => {
  useBackend('native');
  const [v1, v2, s1, s2, so] = [tf.tensor([3, -7]), tf.tensor([1, 2]), tf.scalar(0.05), tf.scalar(0.1), tf.scalar(0.2)];
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(quantAddRaw(a, b, s1, s2, so)!, tf.tensor([1, 2]))))([v1, v2]);
  assert.deepEqual(
    Array.from(g[0]!.dataSync()).map((x) => Math.fround(x)),
    [Math.fround(0.05 / 0.2), Math.fround((2 * 0.05) / 0.2)].map((x) => Math.fround(x)),
  );
  assert.deepEqual(Array.from(g[1]!.dataSync()), [Math.fround(0.1 / 0.2) * 1, Math.fround(0.1 / 0.2) * 2]);
  assert.equal(quantAddRaw(tf.tensor([1, 2]), tf.tensor([1]), s1, s2, so), undefined, "shapes that differ keep the caller's formula");
});
