import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../../src/data/index.js';
import type { Split } from '../../src/data/types.js';

function range(s: Split): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of s.x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

test('mnist: 28x28x1 in [0, 1], 10 classes, a stratified deterministic 80/10/10 split', async () => {
  const a = await loadDataset('mnist');
  assert.equal(a.task, 'image');
  assert.deepEqual(a.inputShape, [28, 28, 1]);
  assert.deepEqual(a.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  const total = a.train.n + a.val.n + a.test.n;
  assert.equal(total, 10000);
  assert.ok(Math.abs(a.test.n - 1000) <= 5 && Math.abs(a.val.n - 1000) <= 5);
  for (const s of [a.train, a.val, a.test]) {
    assert.equal(s.x.length, s.n * 784);
    assert.deepEqual(range(s), [0, 1]);
    assert.equal(new Set(s.y).size, 10);
  }
  const b = await loadDataset('mnist');
  assert.deepEqual(b.test.y, a.test.y);
  assert.deepEqual(b.test.x, a.test.x);
});

test('fashion-mnist: 70000 images, pixel bytes scaled by 1/255', async () => {
  const ds = await loadDataset('fashion-mnist');
  assert.equal(ds.train.n + ds.val.n + ds.test.n, 70000);
  assert.equal(ds.test.n, 7000);
  assert.equal(ds.labels[9], 'ankle boot');
  assert.deepEqual(range(ds.test), [0, 1]);
  // Every pixel is k/255 for an integer k.
  for (let i = 0; i < 5000; i++) assert.ok(Math.abs(ds.test.x[i] * 255 - Math.round(ds.test.x[i] * 255)) < 1e-4);
});
