import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sparsityOf, sparsityReport } from '../../src/compress/sparsity/index.js';
import { mulberry32, weight } from './fixtures.js';

test('sparsityOf counts zeros of the mask, not of the values', () => {
  assert.equal(sparsityOf(Float32Array.from([1, 0, 1, 0, 0])), 0.6);
  assert.equal(sparsityOf(new Float32Array(0)), 0);
});

test('sparsityReport: per layer and overall over the prunable weights', () => {
  const rng = mulberry32(30);
  const a = weight(rng, 'a', 'conv', [1, 1, 4, 5]); // 20 entries
  const b = weight(rng, 'b', 'dense', [10, 3]); // 30 entries
  a.mask.fill(0, 0, 5); // 5 zeros
  b.mask.fill(0, 0, 15); // 15 zeros
  b.values.fill(0, 20); // zero values with mask 1 are not pruned
  const r = sparsityReport([a, b]);
  assert.deepEqual(r.layers, [
    { name: 'a', kind: 'conv', size: 20, zeros: 5, sparsity: 0.25 },
    { name: 'b', kind: 'dense', size: 30, zeros: 15, sparsity: 0.5 },
  ]);
  assert.deepEqual(r.overall, { size: 50, zeros: 20, sparsity: 0.4 });
});
