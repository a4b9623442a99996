// The exact rescale kernels the QAT evaluation runs (backend/exact-rescale.ts) equal the integer reference on the cpu
// and native backends, with multipliers that use all 31 bits: their int32 parameters must reach the arithmetic as
// integers (read as float32, a multiplier keeps 24 bits and near-ties round the other way; a pruned DS-CNN showed it
// as fake-quant logits up to 2 LSB from the integer ones).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { addExact, addParams, rescaleExact } from '../../src/backend/exact-rescale.js';
import { addRaw } from '../../src/int/add.js';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierSingleRounding,
  multiplyByQuantizedMultiplierTiesUp,
} from '../../src/int/quantize.js';
import { setupBackends } from './compare.js';
import { addCases, lcg, rescaleCases } from './fixed-point-data.js';
import { useBackend } from './use-backend.js';

before(setupBackends);

// acc * m / 2^(31 - shift) as the integer reference's scalar functions compute it (each checked against a BigInt
// model of TFLite's int64 arithmetic in test/int/quantize.test.ts), by the kernel's mode index: 'away', 'ties-up',
// 'single'.
const REFERENCE = [multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierTiesUp, multiplyByQuantizedMultiplierSingleRounding];
const reference = (acc: number, m: number, shift: number, mode: number): number => REFERENCE[mode]!(acc, m, shift);

for (const backend of ['cpu', 'native'])
  test(`${backend}: rescale equals the integer reference for every rounding, shifts -31..7, 31-bit multipliers`, async () => {
    useBackend(backend);
    const { acc, params, channels } = rescaleCases(lcg(11));
    const t = rescaleExact(tf.tensor(acc, [acc.length / channels, channels]), tf.tensor1d(params, 'int32'));
    const got = (await t.data()) as Float32Array;
    t.dispose();
    let near = 0;
    for (let i = 0; i < acc.length; i++) {
      const c = 3 * (i % channels);
      const want = Math.fround(reference(acc[i]!, params[c]!, params[c + 1]!, params[c + 2]!)); // a float32 output
      assert.equal(got[i], want, `acc ${acc[i]}, multiplier ${params[c]}, shift ${params[c + 1]}, mode ${params[c + 2]}`);
      // the same with the multiplier rounded to float32: how many values the case set would catch being wrong
      if (Math.fround(reference(acc[i]!, Math.min(Math.fround(params[c]!), 2 ** 31 - 1), params[c + 1]!, params[c + 2]!)) !== want) near++;
    }
    assert.ok(near > 100, `only ${near} values tell a float32-rounded multiplier apart`);
  });

for (const backend of ['cpu', 'native'])
  test(`${backend}: ADD equals the integer reference on every input pair of random scale triples`, async () => {
    useBackend(backend);
    const { v, w, rescales } = addCases(lcg(12));
    for (const { s1, s2, so, r } of rescales) {
      const t = addExact(tf.tensor(v), tf.tensor(w), tf.tensor1d(addParams(r), 'int32'));
      const got = (await t.data()) as Float32Array;
      t.dispose();
      for (let i = 0; i < v.length; i++) assert.equal(got[i], addRaw(r, v[i]!, w[i]!), `scales ${s1} ${s2} ${so}: ${v[i]} + ${w[i]}`);
    }
  });
