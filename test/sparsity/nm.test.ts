import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nmKeep, nmMasks, withMasks, type PrunableWeight } from '../../src/compress/sparsity/index.js';
import { mulberry32, mustGet, neverResurrects, weight, withRandomZeros, zeros } from './fixtures.js';

// Flat indices of every input-channel group, written out from the tfjs layouts independently of the module:
// conv [kh, kw, inC, outC] index ((y * kw + x) * inC + c) * outC + o; dense [in, out] index c * out + o.
function groups(w: PrunableWeight, m: number): number[][] {
  const [kh, kw, inC, outC] = w.kind === 'dense' ? [1, 1, w.shape[0], w.shape[1]] : w.shape;
  const out: number[][] = [];
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let o = 0; o < outC; o++)
        for (let c0 = 0; c0 < inC; c0 += m) {
          const g: number[] = [];
          for (let c = c0; c < Math.min(inC, c0 + m); c++) g.push(((y * kw + x) * inC + c) * outC + o);
          out.push(g);
        }
  return out;
}

function model(seed: number): PrunableWeight[] {
  const rng = mulberry32(seed);
  return [
    weight(rng, 'conv', 'conv', [3, 3, 8, 4]),
    weight(rng, 'dw', 'depthwise', [3, 3, 4, 1]),
    weight(rng, 'fc', 'dense', [10, 6]), // 10 = 4 + 4 + 2: a partial last group
    weight(rng, 'conv3', 'conv', [1, 1, 7, 3]), // 7 = 4 + 3
  ];
}

test('partial groups keep ceil(N * size / M)', () => {
  // 2:4 -> sizes 1, 2, 3 keep 1, 1, 2; 1:4 -> 1, 1, 1; 3:4 -> 1, 2, 3.
  assert.deepEqual(
    [1, 2, 3, 4].map((s) => nmKeep(2, 4, s)),
    [1, 1, 2, 2],
  );
  assert.deepEqual(
    [1, 2, 3, 4].map((s) => nmKeep(1, 4, s)),
    [1, 1, 1, 1],
  );
  assert.deepEqual(
    [1, 2, 3, 4].map((s) => nmKeep(3, 4, s)),
    [1, 2, 3, 3],
  );
});

for (const [n, m] of [
  [2, 4],
  [1, 4],
] as const) {
  test(`${n}:${m}: every group keeps its N largest |w|; depthwise stays dense`, () => {
    const weights = model(10 + n);
    const r = nmMasks(weights, n, m);
    for (const w of weights) {
      const mask = mustGet(r.masks, w.name);
      if (w.kind === 'depthwise') {
        assert.equal(zeros(mask), 0);
        continue;
      }
      for (const g of groups(w, m)) {
        const keep = g.length === m ? n : Math.ceil((n * g.length) / m);
        const kept = g.filter((i) => mask[i] !== 0);
        assert.equal(kept.length, keep, `${w.name} group at ${g[0]}`);
        const minKept = Math.min(...kept.map((i) => Math.abs(w.values[i])));
        for (const i of g) if (mask[i] === 0) assert.ok(Math.abs(w.values[i]) <= minKept);
      }
    }
    // conv: 9 * 4 * 2 full groups of 4 keep n; fc: 6 * (2 full + one of 2 keeping 1).
    assert.equal(mustGet(r.sparsity, 'conv'), 1 - n / m);
    assert.equal(zeros(mustGet(r.masks, 'fc')), 6 * (2 * (m - n) + 1));
  });
}

test('existing zeros are candidates that stay zero: nothing resurrects, no group keeps more than N', () => {
  const rng = mulberry32(12);
  const weights = model(12).map((w) => withRandomZeros(rng, w, 0.45));
  const r = nmMasks(weights, 2, 4);
  for (const w of weights) {
    const mask = mustGet(r.masks, w.name);
    assert.ok(neverResurrects(w.mask, mask), w.name);
    if (w.kind === 'depthwise') {
      assert.deepEqual(mask, w.mask);
      continue;
    }
    for (const g of groups(w, 4)) {
      const before = g.filter((i) => w.mask[i] !== 0).length;
      const after = g.filter((i) => mask[i] !== 0).length;
      // A group keeps min(pattern, what it still had): already-sparse groups lose nothing more.
      assert.equal(after, Math.min(before, g.length === 4 ? 2 : Math.ceil((2 * g.length) / 4)));
    }
  }
  // Applying the same pattern again changes nothing.
  const again = nmMasks(withMasks(weights, r.masks), 2, 4);
  for (const w of weights) assert.deepEqual(mustGet(again.masks, w.name), mustGet(r.masks, w.name));
});

test('policy: skipped and zero-override layers keep their mask', () => {
  const rng = mulberry32(13);
  const weights = [
    weight(rng, 'first', 'conv', [3, 3, 4, 8], { role: 'first' }),
    weight(rng, 'mid', 'conv', [1, 1, 8, 8]),
    weight(rng, 'pinned', 'conv', [1, 1, 8, 8]),
    weight(rng, 'last', 'dense', [8, 2], { role: 'last' }),
  ];
  const r = nmMasks(weights, 1, 4, { skipFirst: true, skipLast: true, perLayer: { pinned: 0 } });
  assert.deepEqual(
    weights.map((w) => zeros(mustGet(r.masks, w.name))),
    [0, 48, 0, 0], // mid: 64 weights, 1:4 keeps 16
  );
  assert.throws(() => nmMasks(weights, 5, 4), /5:4/);
  assert.throws(() => nmMasks([{ ...weights[1], shape: [8, 8] }], 2, 4), /mid/);
});
