import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lampScores, unstructuredMasks, withMasks, type PrunableWeight } from '../../src/compress/sparsity/index.js';
import { mulberry32, mustGet, neverResurrects, weight, withRandomZeros, zeros } from './fixtures.js';

function model(seed: number, levels = 0): PrunableWeight[] {
  const rng = mulberry32(seed);
  return [
    weight(rng, 'conv1', 'conv', [3, 3, 1, 8], { role: 'first', levels }),
    weight(rng, 'dw1', 'depthwise', [3, 3, 8, 1], { levels }),
    weight(rng, 'conv2', 'conv', [1, 1, 8, 16], { scale: 0.1, levels }),
    weight(rng, 'fc', 'dense', [64, 10], { role: 'last', scale: 3, levels }),
  ];
}

// Newly pruned entries are never larger in |w| than entries that stay kept (over the given layers together).
function assertMagnitudeOrder(before: PrunableWeight[], masks: Map<string, Float32Array>): void {
  let maxPruned = -Infinity;
  let minKept = Infinity;
  for (const w of before) {
    const after = mustGet(masks, w.name);
    w.values.forEach((v, i) => {
      if (w.mask[i] !== 0 && after[i] === 0) maxPruned = Math.max(maxPruned, Math.abs(v));
      if (after[i] !== 0) minKept = Math.min(minKept, Math.abs(v));
    });
  }
  assert.ok(maxPruned <= minKept, `pruned |w| ${maxPruned} exceeds kept |w| ${minKept}`);
}

test('per-layer: every layer holds exactly round(level*n) zeros after each step, never resurrecting', () => {
  let weights = model(1);
  for (const level of [0.3, 0.5, 0.75, 0.9]) {
    const r = unstructuredMasks(weights, level, { scope: 'per-layer' });
    for (const w of weights) {
      const mask = mustGet(r.masks, w.name);
      assert.equal(zeros(mask), Math.round(level * w.values.length), `${w.name} at ${level}`);
      assert.equal(mustGet(r.sparsity, w.name), zeros(mask) / mask.length);
      assert.ok(neverResurrects(w.mask, mask), `${w.name} resurrected at ${level}`);
      assertMagnitudeOrder([w], r.masks);
    }
    weights = withMasks(weights, r.masks);
  }
});

test('per-layer: 0.5 of 9 entries rounds half up to 5 zeros; ties go to the lower index', () => {
  const w: PrunableWeight = {
    name: 'k',
    kind: 'dense',
    shape: [3, 3],
    values: Float32Array.from([0.5, -0.2, 0.2, 0.9, 0.2, -0.1, 0.3, 0.2, -0.2]),
    mask: new Float32Array(9).fill(1),
  };
  const mask = mustGet(unstructuredMasks([w], 0.5, { scope: 'per-layer' }).masks, 'k');
  // |w| ascending: 0.1 at 5, then 0.2 at 1, 2, 4, 7, 8; five zeros take 5, 1, 2, 4, 7 and leave the tie at 8 kept.
  assert.deepEqual(Array.from(mask), [1, 0, 0, 1, 0, 0, 1, 0, 1]);
});

test('global: the pool reaches exactly round(level*total) with one threshold across layers', () => {
  let weights = model(2);
  const total = weights.reduce((s, w) => s + w.values.length, 0);
  for (const level of [0.3, 0.5, 0.85]) {
    const r = unstructuredMasks(weights, level, { scope: 'global' });
    const all = weights.reduce((s, w) => s + zeros(mustGet(r.masks, w.name)), 0);
    assert.equal(all, Math.round(level * total));
    assertMagnitudeOrder(weights, r.masks);
    for (const w of weights) assert.ok(neverResurrects(w.mask, mustGet(r.masks, w.name)));
    // conv2 has values 10x smaller than conv1 and fc 3x larger: one threshold prunes them unevenly (until the
    // small layers saturate at 1, which happens above level 0.7 for these sizes).
    const [c1, c2, fc] = ['conv1', 'conv2', 'fc'].map((n) => mustGet(r.sparsity, n));
    assert.ok(level > 0.7 ? c2 >= c1 && c1 > fc : c2 > c1 && c1 > fc, `${level}: ${c1} ${c2} ${fc}`);
    weights = withMasks(weights, r.masks);
  }
});

test('global: ties across layers break by layer order then index', () => {
  const weights = model(3, 2); // values in {-1, -0.5, 0, 0.5, 1} x scale: many exact ties
  const r = unstructuredMasks(weights, 0.5, { scope: 'global' });
  const total = weights.reduce((s, w) => s + w.values.length, 0);
  assert.equal(
    weights.reduce((s, w) => s + zeros(mustGet(r.masks, w.name)), 0),
    Math.round(0.5 * total),
  );
  // Reference: sort every (|w|, layer, index) and prune the first round(0.5 * total).
  const ranked = weights.flatMap((w, k) => Array.from(w.values, (v, i) => ({ a: Math.abs(v), k, i })));
  ranked.sort((x, y) => x.a - y.a || x.k - y.k || x.i - y.i);
  const expected = weights.map((w) => new Float32Array(w.values.length).fill(1));
  for (const { k, i } of ranked.slice(0, Math.round(0.5 * total))) expected[k][i] = 0;
  weights.forEach((w, k) => assert.deepEqual(mustGet(r.masks, w.name), expected[k], w.name));
  // Within the tied magnitude at the threshold, a pruned entry never follows a kept one in (layer, index) order.
  const pruned = weights.flatMap((w) => Array.from(w.values.filter((_, i) => mustGet(r.masks, w.name)[i] === 0)));
  const threshold = Math.max(...pruned.map(Math.abs));
  let seenKeptAtThreshold = false;
  for (const w of weights) {
    const mask = mustGet(r.masks, w.name);
    w.values.forEach((v, i) => {
      if (Math.abs(v) !== threshold) return;
      if (mask[i] !== 0) seenKeptAtThreshold = true;
      else assert.ok(!seenKeptAtThreshold, `${w.name}[${i}] pruned after a kept tie`);
    });
  }
});

test('existing zeros count towards the level and stay; a layer already past the level is left as it is', () => {
  const rng = mulberry32(4);
  const weights = model(4).map((w) => withRandomZeros(rng, w, 0.4));
  const r = unstructuredMasks(weights, 0.6, { scope: 'per-layer' });
  for (const w of weights) {
    const mask = mustGet(r.masks, w.name);
    assert.ok(neverResurrects(w.mask, mask));
    assert.equal(zeros(mask), Math.max(zeros(w.mask), Math.round(0.6 * w.values.length)));
  }
  const low = unstructuredMasks(weights, 0.2, { scope: 'per-layer' });
  for (const w of weights) assert.deepEqual(mustGet(low.masks, w.name), w.mask);
});

test('policy: skipFirst / skipLast leave those layers dense; perLayer overrides win, 0 never prunes', () => {
  const weights = model(5);
  for (const scope of ['per-layer', 'global'] as const) {
    const r = unstructuredMasks(weights, 0.8, { scope, skipFirst: true, skipLast: true, perLayer: { dw1: 0 } });
    assert.equal(zeros(mustGet(r.masks, 'conv1')), 0);
    assert.equal(zeros(mustGet(r.masks, 'fc')), 0);
    assert.equal(zeros(mustGet(r.masks, 'dw1')), 0);
    assert.equal(zeros(mustGet(r.masks, 'conv2')), Math.round(0.8 * 128)); // the only pooled layer
  }
  const o = unstructuredMasks(weights, 0.8, { scope: 'global', skipLast: true, perLayer: { fc: 0.25, conv1: 0.5 } });
  assert.equal(zeros(mustGet(o.masks, 'fc')), 160); // override beats skipLast: 0.25 * 640
  assert.equal(zeros(mustGet(o.masks, 'conv1')), 36); // 0.5 * 72, pruned on its own
  assert.equal(zeros(mustGet(o.masks, 'dw1')) + zeros(mustGet(o.masks, 'conv2')), Math.round(0.8 * (72 + 128)));
});

test('bad inputs name what is wrong', () => {
  const weights = model(6);
  assert.throws(() => unstructuredMasks(weights, 1.2, { scope: 'global' }), /outside \[0, 1\]/);
  assert.throws(() => unstructuredMasks(weights, 0.5, { scope: 'global', perLayer: { conv9: 0 } }), /conv9/);
  const bad = { ...weights[0], mask: new Float32Array(3) };
  assert.throws(() => unstructuredMasks([bad], 0.5, { scope: 'per-layer' }), /conv1/);
  const nan = { ...weights[2], values: Float32Array.from(weights[2].values, (v, i) => (i === 7 ? NaN : v)) };
  assert.throws(() => unstructuredMasks([nan], 0.5, { scope: 'global' }), /conv2: value 7 is NaN/);
});

test('lamp: w^2 over the kept tail of the layer, pruned entries 0, the largest kept weight scores 1', () => {
  const values = Float32Array.from([3, -1, 2, 0.5, -4]);
  const mask = Float32Array.from([1, 1, 1, 0, 1]);
  const s = lampScores(values, mask);
  // kept ascending by |w|: -1 (1), 2 (4), 3 (9), -4 (16); tails 30, 29, 25, 16.
  const want = [9 / 25, 1 / 30, 4 / 29, 0, 1];
  want.forEach((w, i) => assert.ok(Math.abs(s[i] - w) < 1e-6, `entry ${i}: ${s[i]} vs ${w}`));
  // equal magnitudes: the lower index has the larger tail, so it scores lower and goes first
  const t = lampScores(Float32Array.from([2, -2, 1]), Float32Array.from([1, 1, 1]));
  assert.ok(t[0] < t[1] && t[2] < t[0]);
});

test('lamp: a global threshold on LAMP scores does not empty a layer whose weights are only smaller', () => {
  const weights = model(3);
  // conv2 is 10x smaller than the others: on raw magnitudes a global 60% prune takes nearly all of it.
  const raw = unstructuredMasks(weights, 0.6, { scope: 'global' });
  const lamp = unstructuredMasks(
    weights.map((w) => ({ ...w, values: lampScores(w.values, w.mask) })),
    0.6,
    { scope: 'global' },
  );
  const total = weights.reduce((s, w) => s + w.values.length, 0);
  const zerosOver = (m: Map<string, Float32Array>) => weights.reduce((s, w) => s + zeros(mustGet(m, w.name)), 0);
  assert.equal(zerosOver(lamp.masks), Math.round(0.6 * total));
  assert.ok(mustGet(raw.sparsity, 'conv2') > 0.95, `raw conv2 sparsity ${mustGet(raw.sparsity, 'conv2')}`);
  for (const w of weights) {
    const sp = mustGet(lamp.sparsity, w.name);
    assert.ok(sp < 0.9, `${w.name}: ${sp}`);
    // within a layer LAMP keeps the magnitude order
    assertMagnitudeOrder([w], new Map([[w.name, mustGet(lamp.masks, w.name)]]));
  }
});
