// A verification is reused only for the same test samples: samplesHash names the first `limit` samples (inputs and
// labels) of the test split, so a reordered or changed split is verified again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset, Split } from '../../src/data/types.js';
import { samplesHash } from '../../src/pipeline/run.js';

function dataset(test: Split): Dataset {
  const empty: Split = { x: new Float32Array(0), y: new Int32Array(0), n: 0 };
  return { name: 't', task: 'image', labels: ['a', 'b'], inputShape: [2], train: empty, val: empty, test };
}

test('samplesHash: the first limit samples decide it, in their order, inputs and labels both', () => {
  const split = (x: number[], y: number[]): Split => ({ x: Float32Array.from(x), y: Int32Array.from(y), n: y.length });
  const base = dataset(split([1, 2, 3, 4, 5, 6], [0, 1, 0]));
  const h = samplesHash(base, 2);
  assert.match(h, /^[0-9a-f]{16}$/);
  assert.equal(samplesHash(dataset(split([1, 2, 3, 4, 9, 9], [0, 1, 1])), 2), h, 'samples after the limit do not count');
  assert.notEqual(samplesHash(dataset(split([3, 4, 1, 2, 5, 6], [1, 0, 0])), 2), h, 'the order counts');
  assert.notEqual(samplesHash(dataset(split([1, 2, 3, 4, 5, 6], [0, 0, 0])), 2), h, 'the labels count');
  assert.notEqual(samplesHash(base, 3), h, 'a larger limit is other samples');
  assert.equal(samplesHash(base, undefined), samplesHash(base, 3), 'no limit: the whole split');
});
