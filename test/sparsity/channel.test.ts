import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelMasks,
  channelsKept,
  unstructuredMasks,
  withMasks,
  type ChannelGroup,
  type PrunableWeight,
} from '../../src/compress/sparsity/index.js';
import { mulberry32, mustGet, neverResurrects, weight } from './fixtures.js';

// conv1 -> dw1 (mult 1) -> conv2 -> dw2 (mult 2) -> conv3 -> flatten 2x2x4 -> fc
function model(seed: number): PrunableWeight[] {
  const rng = mulberry32(seed);
  return [
    weight(rng, 'conv1', 'conv', [3, 3, 1, 8], { role: 'first' }),
    weight(rng, 'dw1', 'depthwise', [3, 3, 8, 1]),
    weight(rng, 'conv2', 'conv', [1, 1, 8, 6]),
    weight(rng, 'dw2', 'depthwise', [3, 3, 6, 2]),
    weight(rng, 'conv3', 'conv', [1, 1, 12, 4]),
    weight(rng, 'fc', 'dense', [16, 5], { role: 'last' }),
  ];
}

const groups: ChannelGroup[] = [
  {
    id: 'A',
    size: 8,
    producers: [{ weight: 'conv1', axis: 3 }],
    passthrough: [{ weight: 'dw1', axis: 2 }],
    consumers: [{ weight: 'conv2', axis: 2 }],
  },
  {
    id: 'B',
    size: 6,
    producers: [{ weight: 'conv2', axis: 3 }],
    passthrough: [{ weight: 'dw2', axis: 2 }],
    consumers: [{ weight: 'conv3', axis: 2, expand: 'blocked' }], // conv3 input j = c * 2 + m
  },
  {
    id: 'C',
    size: 4,
    producers: [{ weight: 'conv3', axis: 3 }],
    passthrough: [],
    consumers: [{ weight: 'fc', axis: 0, expand: 'interleaved' }], // fc input j = (h * 2 + w) * 4 + c
  },
];

// Channel of each group that a flat index belongs to, written from the layouts by hand ({} when none).
const channelOf: Record<string, (i: number) => Record<string, number>> = {
  conv1: (i) => ({ A: i % 8 }),
  dw1: (i) => ({ A: i % 8 }),
  conv2: (i) => ({ A: Math.floor(i / 6), B: i % 6 }),
  dw2: (i) => ({ B: Math.floor(i / 2) % 6 }),
  conv3: (i) => ({ B: Math.floor(Math.floor(i / 4) / 2), C: i % 4 }),
  fc: (i) => ({ C: Math.floor(i / 5) % 4 }),
};

function scores(w: PrunableWeight, group: string, size: number, norm: 'l1' | 'l2'): number[] {
  const acc = new Array<number>(size).fill(0);
  w.values.forEach((v, i) => {
    const x = v * w.mask[i];
    acc[channelOf[w.name](i)[group]] += norm === 'l1' ? Math.abs(x) : x * x;
  });
  return norm === 'l1' ? acc : acc.map(Math.sqrt);
}

// The new masks equal the old ones with exactly the removed channels' slices zeroed, in every weight.
function assertOnlyRemovedSlices(before: PrunableWeight[], masks: Map<string, Float32Array>, kept: Map<string, number[]>): void {
  for (const w of before) {
    const mask = mustGet(masks, w.name);
    w.mask.forEach((m, i) => {
      const removed = Object.entries(channelOf[w.name](i)).some(([g, c]) => !mustGet(kept, g).includes(c));
      assert.equal(mask[i], removed ? 0 : m, `${w.name}[${i}]`);
    });
  }
}

test('level 0.5 (l1): the lowest-scoring channels go, their slices and nothing else are zeroed', () => {
  const weights = model(20);
  const r = channelMasks(weights, groups, 0.5, { norm: 'l1' });
  const producer: Record<string, PrunableWeight> = { A: weights[0], B: weights[2], C: weights[4] };
  for (const g of groups) {
    const kept = mustGet(r.keptChannels, g.id);
    assert.equal(kept.length, g.size - Math.round(0.5 * g.size), g.id);
    assert.deepEqual(
      kept,
      [...kept].sort((a, b) => a - b),
    );
    const s = scores(producer[g.id], g.id, g.size, 'l1');
    const removed = s.map((_, c) => c).filter((c) => !kept.includes(c));
    assert.ok(Math.max(...removed.map((c) => s[c])) <= Math.min(...kept.map((c) => s[c])), g.id);
    assert.deepEqual(channelsKept(r.masks, g, weights), kept);
  }
  assertOnlyRemovedSlices(weights, r.masks, r.keptChannels);
  const reversed = channelMasks(weights, [...groups].reverse(), 0.5, { norm: 'l1' });
  for (const w of weights) assert.deepEqual(mustGet(reversed.masks, w.name), mustGet(r.masks, w.name), w.name);
});

test('successive steps (l2) with unstructured pruning between: removed channels stay removed, counts exact', () => {
  let weights = model(21);
  let previous = new Map(groups.map((g) => [g.id, g.size]));
  for (const level of [0.25, 0.5, 0.75]) {
    const u = unstructuredMasks(weights, 0.3, { scope: 'per-layer' });
    weights = withMasks(weights, u.masks);
    const r = channelMasks(weights, groups, level, { norm: 'l2' });
    assertOnlyRemovedSlices(weights, r.masks, r.keptChannels);
    for (const g of groups) {
      const kept = mustGet(r.keptChannels, g.id);
      assert.equal(kept.length, g.size - Math.round(level * g.size), `${g.id} at ${level}`);
      assert.ok(kept.length <= mustGet(previous, g.id));
      assert.deepEqual(channelsKept(r.masks, g, weights), kept);
    }
    for (const w of weights) assert.ok(neverResurrects(w.mask, mustGet(r.masks, w.name)), w.name);
    previous = new Map([...r.keptChannels].map(([id, k]) => [id, k.length]));
    weights = withMasks(weights, r.masks);
  }
});

test('scores read masked values: a channel whose producer slice is masked out goes first', () => {
  const weights = model(22);
  const conv1 = weights[0];
  conv1.values.forEach((_, i) => {
    if (i % 8 === 5) conv1.values[i] *= 100; // the largest channel by raw values...
  });
  conv1.mask.forEach((_, i) => {
    if (i % 8 === 5) conv1.mask[i] = 0; // ...but pruned in its producer
  });
  const r = channelMasks(weights, [groups[0]], 1 / 8, { norm: 'l1' });
  assert.deepEqual(mustGet(r.keptChannels, 'A'), [0, 1, 2, 3, 4, 6, 7]);
});

test('minChannels and perGroup overrides bound what a group loses', () => {
  const weights = model(23);
  const r = channelMasks(weights, groups, 1, { norm: 'l1', minChannels: 2, perGroup: { C: 0 } });
  assert.equal(mustGet(r.keptChannels, 'A').length, 2);
  assert.equal(mustGet(r.keptChannels, 'B').length, 2);
  assert.deepEqual(mustGet(r.keptChannels, 'C'), [0, 1, 2, 3]);
  const one = channelMasks(weights, groups, 1, { norm: 'l1' });
  for (const g of groups) assert.equal(mustGet(one.keptChannels, g.id).length, 1);
  assertOnlyRemovedSlices(weights, r.masks, r.keptChannels);
});

test('inconsistent groups name the group and weight', () => {
  const weights = model(24);
  const noExpand: ChannelGroup = { ...groups[2], consumers: [{ weight: 'fc', axis: 0 }] };
  assert.throws(() => channelMasks(weights, [noExpand], 0.5, { norm: 'l1' }), /group C: weight fc: axis 0 has 16/);
  const missing: ChannelGroup = { ...groups[0], producers: [{ weight: 'convX', axis: 3 }] };
  assert.throws(() => channelMasks(weights, [missing], 0.5, { norm: 'l1' }), /convX/);
  const badAxis: ChannelGroup = { ...groups[0], producers: [{ weight: 'conv1', axis: 4 }] };
  assert.throws(() => channelMasks(weights, [badAxis], 0.5, { norm: 'l1' }), /axis 4/);
  assert.throws(() => channelMasks(weights, groups, 0.5, { norm: 'l1', perGroup: { Z: 0 } }), /Z/);
});
