// PqkFixedPointScale: the native kernel gives the composed tfjs ops' results bit for bit (ties, powers of two and
// their neighbours included), and both are TFLite 2.9's integer MultiplyByQuantizedMultiplier where float32 is exact.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import {
  FIXED_POINT,
  fixedPointRound,
  fixedPointRoundOps,
  fixedPointRoundSte,
  type FixedPointRounding,
} from '../../src/backend/fixed-point.js';
import { fixedPointScale } from '../../src/compress/quant/qat.js';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierSingleRounding,
  multiplyByQuantizedMultiplierTiesUp,
  quantizeMultiplier,
} from '../../src/int/quantize.js';
import { rand, setupBackends } from './compare.js';
import { accumulator, lcg, multiplier, tieCounts, ulpStep } from './fixed-point-data.js';
import { useBackend } from './use-backend.js';

const ROUNDINGS: FixedPointRounding[] = ['ties-up', 'away', 'single'];
const REFERENCE: Record<FixedPointRounding, (x: number, multiplier: number, shift: number) => number> = {
  'ties-up': multiplyByQuantizedMultiplierTiesUp,
  away: multiplyByQuantizedMultiplier,
  single: multiplyByQuantizedMultiplierSingleRounding,
};

// Accumulators of a shape and multipliers in the shape they are passed in.
interface Case {
  acc: Float32Array;
  shape: number[];
  m: Float32Array;
  mShape: number[];
}

function makeCase(shape: number[], m: Float32Array, mShape: number[], seed: number): Case {
  const rnd = lcg(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { acc: Float32Array.from({ length: n }, (_, i) => accumulator(m[i % m.length]!, rnd)), shape, m, mShape };
}

function compute(backend: string, f: (acc: tf.Tensor, m: tf.Tensor) => tf.Tensor, c: Case): Float32Array {
  useBackend(backend);
  const y = tf.tidy(() => f(tf.tensor(c.acc, c.shape), tf.tensor(c.m, c.mShape)));
  const v = Float32Array.from(y.dataSync());
  y.dispose();
  return v;
}

// Bit-for-bit equality (so -0 and +0 differ), naming the first element that differs.
function assertBitsEqual(label: string, got: Float32Array, want: Float32Array, c: Case): void {
  assert.equal(got.length, want.length, `${label}: sizes`);
  const g = new Uint32Array(got.buffer);
  const w = new Uint32Array(want.buffer);
  const show = (x: number) => (Object.is(x, -0) ? '-0' : String(x));
  for (let i = 0; i < g.length; i++) {
    if (g[i] === w[i]) continue;
    assert.fail(`${label}[${i}]: acc ${c.acc[i]} m ${c.m[i % c.m.length]}: got ${show(got[i]!)} want ${show(want[i]!)}`);
  }
}

// The kernel on native against the ops on cpu and on native.
function assertKernelIsOps(label: string, c: Case, r: FixedPointRounding): void {
  const want = compute('cpu', (a, k) => fixedPointRoundOps(a, k, r), c);
  assertBitsEqual(
    `${label} ops on native`,
    compute('native', (a, k) => fixedPointRoundOps(a, k, r), c),
    want,
    c,
  );
  assertBitsEqual(
    `${label} kernel`,
    compute('native', (a, k) => fixedPointRound(a, k, r), c),
    want,
    c,
  );
}

describe('fixedPointRound', () => {
  before(setupBackends);

  for (const rounding of ROUNDINGS) {
    it(`${rounding}: the native kernel equals the composed ops on random and tie accumulators, ranks 2 and 4`, () => {
      const ties = { product: 0, shift: 0 };
      let seed = 1;
      for (const c of [1, 7, 64])
        for (const shape of [
          [Math.ceil(4096 / c), c],
          [2, 5, Math.ceil(400 / c), c],
        ]) {
          for (let rep = 0; rep < (c === 1 ? 8 : 2); rep++) {
            const rnd = lcg(seed++);
            const m = Float32Array.from({ length: c }, () => multiplier(rnd));
            const cs = makeCase(shape, m, [c], seed++);
            assertKernelIsOps(`C=${c} rank ${shape.length}`, cs, rounding);
            const t = tieCounts(cs.acc, m);
            ties.product += t.product;
            ties.shift += t.shift;
          }
        }
      assert.ok(ties.product > 1000 && ties.shift > 1000, `ties exercised: ${JSON.stringify(ties)}`);
    });
  }

  it('every power of two in [2^-20, 4], its float32 neighbours, 1e-6 and 4 as multipliers', () => {
    const ms = [1e-6, 4];
    for (let e = -20; e <= 2; e++) for (const d of [-3, -2, -1, 0, 1, 2, 3]) ms.push(ulpStep(2 ** e, d));
    const m = Float32Array.from(ms);
    const cs = makeCase([40, m.length], m, [m.length], 77);
    for (const r of ROUNDINGS) assertKernelIsOps(`sweep ${r}`, cs, r);
  });

  it('takes one multiplier for all channels and a multiplier shaped (1, 1, 1, C)', () => {
    const rnd = lcg(5);
    const one = Float32Array.of(multiplier(rnd));
    const m = Float32Array.from({ length: 7 }, () => multiplier(rnd));
    const shape = [3, 4, 5, 7];
    for (const r of ROUNDINGS) {
      assertKernelIsOps(`scalar m ${r}`, makeCase(shape, one, [], 6), r);
      assertKernelIsOps(`(1,1,1,C) m ${r}`, makeCase(shape, m, [1, 1, 1, 7], 8), r);
    }
  });

  it('equals the integer reference wherever float32 is exact', () => {
    const rnd = lcg(31);
    const c = 16;
    // a of A bits times a significand of B bits, A + B <= 24 and |a * m| < 2^22: no float32 step rounds
    for (const [bitsA, bitsB] of [
      [6, 18],
      [10, 14],
      [14, 10],
      [18, 6],
      [20, 4],
    ] as const) {
      const m = Float32Array.from({ length: c }, () => {
        const j = 2 ** (bitsB - 1) + Math.floor(rnd() * 2 ** (bitsB - 1));
        return (j / 2 ** bitsB) * 2 ** (Math.floor(rnd() * 21) - 18); // [2^-19, 4)
      });
      const acc = Float32Array.from({ length: 64 * c }, () => (rnd() < 0.5 ? -1 : 1) * Math.floor(rnd() * 2 ** bitsA));
      for (const r of ROUNDINGS) {
        const got = compute('native', (a, k) => fixedPointRound(a, k, r), { acc, shape: [64, c], m, mShape: [c] });
        got.forEach((g, i) => {
          const { multiplier: qm, shift } = quantizeMultiplier(m[i % c]!);
          const want = REFERENCE[r](acc[i]!, qm, shift);
          assert.ok(g === want, `${r} A=${bitsA}: acc ${acc[i]} m ${m[i % c]}: got ${g} want ${want}`);
        });
      }
    }
  });

  it('the straight-through op gives the QAT value and gradients of acc * m on cpu and native', () => {
    const rnd = lcg(41);
    const m = Float32Array.from({ length: 7 }, () => multiplier(rnd));
    const cot = rand([4, 3, 5, 7], 43);
    for (const backend of ['cpu', 'native'])
      for (const mShape of [[7], []]) {
        const c = makeCase([4, 3, 5, 7], mShape.length === 0 ? m.subarray(0, 1) : m, mShape, 42);
        const run = (f: (a: tf.Tensor, k: tf.Tensor) => tf.Tensor) => {
          useBackend(backend);
          return tf.tidy(() => {
            const g = tf.grads((a: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(f(a, k), cot)));
            const [a, k] = [tf.tensor(c.acc, c.shape), tf.tensor(c.m, c.mShape)];
            return [f(a, k), ...g([a, k])].map((t) => Float32Array.from(t.dataSync()));
          });
        };
        const got = run((a, k) => fixedPointRoundSte(a, k, 'away'));
        const want = run((a, k) => fixedPointScale(a, k, 'away'));
        assertBitsEqual(
          `${backend} m [${mShape}] value`,
          got[0]!,
          compute(backend, (a, k) => fixedPointRound(a, k, 'away'), c),
          c,
        );
        // the QAT composition's approx + (exact - approx) lands on exact, up to the sign of zero
        for (const i of [0, 1, 2])
          assert.ok(
            got[i]!.every((v, j) => v === want[i]![j]),
            `${backend} m [${mShape}] output ${i}`,
          );
        assert.equal(got[2]!.length, c.m.length, 'the gradient of m has its shape');
      }
    cot.dispose();
  });

  it('runs as one native kernel and keeps no tensors', async () => {
    useBackend('native');
    const acc = tf.tensor(makeCase([50, 64], Float32Array.of(0.001), [], 9).acc, [50, 64]);
    const m = tf.fill([64], 0.001);
    const before = tf.memory().numTensors;
    const prof = await tf.profile(() => fixedPointRound(acc, m, 'away'));
    const names = prof.kernels.map((k) => k.name);
    assert.ok(names.includes(FIXED_POINT) && !names.includes('Floor'), `kernels run: ${names}`);
    assert.equal(tf.memory().numTensors, before + 1, 'only the result is new');
    tf.dispose([acc, m, prof.result as tf.Tensor]);
  });
});
