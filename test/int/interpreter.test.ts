// The interpreter: op order, intermediates, batches, errors that name the node, MAC counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QModel, QOp } from '../../src/int/graph.js';
import { prepareModel, runBatch, runModel } from '../../src/ops/interpreter.js';
import { opCosts } from '../../src/ops/table.js';
import { syntheticDsCnn } from '../../src/ops/synthetic.js';
import { poolModel, rng, randInt8 } from './helpers.js';

test('a DS-CNN runs op by op; intermediates are each op output in order', () => {
  const m = syntheticDsCnn({ seed: 7 });
  const x = randInt8(rng(1), 490);
  const res = runModel(m, x, { keepIntermediates: true });
  assert.deepEqual(
    res.intermediates?.map((t) => t.name),
    ['conv0', 'dw1', 'pw1', 'dw2', 'pw2', 'dw3', 'pw3', 'dw4', 'pw4', 'pool', 'flatten', 'logits', 'probs'],
  );
  const probs = res.outputs[0] as Int8Array;
  assert.equal(probs.length, 12);
  const total = Array.from(probs).reduce((a, v) => a + v + 128, 0);
  assert.ok(Math.abs(total - 256) <= 12, `probabilities sum to ${total}/256`); // one rounding per class
  assert.deepEqual(res.intermediates?.at(-1)?.data, probs);
  assert.equal(runModel(m, x).intermediates, undefined);
});

test('runBatch equals single runs and reuses one preparation', () => {
  const m = syntheticDsCnn({ seed: 8, pooling: 'MEAN' });
  const r = rng(2);
  const xs = Array.from({ length: 5 }, () => randInt8(r, 490));
  const batch = runBatch(m, xs);
  xs.forEach((x, i) => assert.deepEqual(batch[i], runModel(m, x).outputs[0]));
});

test('MAC counts per op for the DS-CNN shape', () => {
  const costs = opCosts(syntheticDsCnn({ seed: 1 }));
  assert.deepEqual(
    costs.slice(0, 3).map((c) => c.macs),
    [25 * 5 * 64 * 40, 25 * 5 * 64 * 9, 25 * 5 * 64 * 64],
  );
  assert.equal(costs.find((c) => c.op === 'FULLY_CONNECTED')?.macs, 64 * 12);
  const total = costs.filter((c) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(c.op)).reduce((a, c) => a + c.macs, 0);
  assert.equal(total, 2656768);
});

test('errors name the op and node', () => {
  const base = poolModel('MAX_POOL_2D', [1, 2, 2, 1], [1, 1, 1, 1], [0.5, 0], [2, 2], [2, 2], 'VALID');
  const unknown: QModel = { ...base, ops: [{ ...base.ops[0], op: 'TANH' } as unknown as QOp] };
  assert.throws(() => runModel(unknown, new Int8Array(4)), /node 0: no integer kernel for op TANH/);
  const badShape: QModel = { ...base, tensors: [base.tensors[0], { ...base.tensors[1], shape: [1, 2, 1, 1] }] };
  assert.throws(
    () => runModel(badShape, new Int8Array(4)),
    /node 0 \(MAX_POOL_2D, output 'out'\): tensor 'out' has shape \[1, 2, 1, 1\], expected \[1, 1, 1, 1\]/,
  );
  const rescaled: QModel = { ...base, tensors: [base.tensors[0], { ...base.tensors[1], zeroPoint: [3] }] };
  assert.throws(() => runModel(rescaled, new Int8Array(4)), /same scale and zero point/);
  assert.throws(() => runModel(base, new Int8Array(3)), /needs 4 values, got 3/);
  assert.throws(() => runModel(base, new Float32Array(4)), /is int8, got Float32Array/);
  assert.throws(
    () => prepareModel({ ...base, tensors: [{ ...base.tensors[0], dtype: 'int32' }, base.tensors[1]] }),
    /is int32, expected int8/,
  );
});
