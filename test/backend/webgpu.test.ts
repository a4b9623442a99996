// The webgpu backend on this machine's adapter (Mesa's software Vulkan driver here, installed by setup): it starts and
// names its adapter; the WGSL integer requantization (backend/exact-rescale.ts) equals the integer reference on random
// accumulators, ties and extreme multipliers and shifts; and the float32 ops the QAT step composes its rounding from
// (division by powers of two, floor, log, pow) give the cpu backend's results bit for bit on the driver.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { addExact, addParams, rescaleExact, rescaleValues } from '../../src/backend/exact-rescale.js';
import { quantAddValues } from '../../src/backend/quant-add.js';
import { fixedPointRoundOps, type FixedPointRounding } from '../../src/backend/fixed-point.js';
import { backendLabel, describeAdapter, initBackend, type BackendChoice } from '../../src/backend/select.js';
import { quantizeMultiplier } from '../../src/int/quantize.js';
import { accumulator, addCases, lcg, multiplier, rescaleCases } from './fixed-point-data.js';

let choice: BackendChoice;
before(async () => {
  choice = await initBackend('webgpu');
});

async function on(backend: string, f: () => tf.Tensor): Promise<Float32Array> {
  await initBackend(backend);
  const t = f();
  const v = Float32Array.from((await t.data()) as Float32Array);
  t.dispose();
  return v;
}

function firstDifference(got: Float32Array, want: Float32Array): number {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return i;
  return -1;
}

describe('webgpu backend', () => {
  it('starts when asked for and names its adapter: vendor, architecture, driver', () => {
    assert.equal(choice.name, 'webgpu');
    assert.ok(choice.adapter, 'the adapter is reported');
    assert.ok(choice.adapter.description.length > 0, 'the driver is named');
    assert.ok(choice.reason.includes(`driver ${choice.adapter.description}`), choice.reason);
    assert.equal(backendLabel(choice), `webgpu (${describeAdapter(choice.adapter)})`);
    assert.match(describeAdapter(choice.adapter), /^(software adapter|GPU): [^;]+, driver /);
  });

  it('WGSL rescale equals the integer reference: every rounding, shifts -31..7, multipliers from 2^30 to 2^31 - 1, both signs', async () => {
    const { acc, params, channels } = rescaleCases(lcg(11));
    const got = await on('webgpu', () => rescaleExact(tf.tensor(acc, [acc.length / channels, channels]), tf.tensor1d(params, 'int32')));
    const want = rescaleValues(acc, params);
    const i = firstDifference(got, want);
    assert.equal(
      i,
      -1,
      i < 0 ? '' : `acc ${acc[i]} params ${params.slice(3 * (i % channels), 3 * (i % channels) + 3)}: ${got[i]} vs ${want[i]}`,
    );
  });

  it('WGSL ADD equals the integer reference on every input pair of random scale triples', async () => {
    const { v, w, rescales } = addCases(lcg(12));
    for (const { s1, s2, so, r } of rescales) {
      const p = addParams(r);
      const got = await on('webgpu', () => addExact(tf.tensor(v), tf.tensor(w), tf.tensor1d(p, 'int32')));
      const want = quantAddValues(r, v, w); // the QAT ADD's own reference on the CPU backends
      const i = firstDifference(got, want);
      assert.equal(i, -1, i < 0 ? '' : `scales ${s1} ${s2} ${so}: ${v[i]} + ${w[i]}: ${got[i]} vs ${want[i]}`);
    }
  });

  for (const rounding of ['ties-up', 'away', 'single'] as FixedPointRounding[])
    it(`the QAT step's composed float32 rounding (${rounding}) is the cpu backend's, bit for bit, on this driver`, async () => {
      const rnd = lcg(rounding.length);
      const c = 64;
      const m = Float32Array.from({ length: c }, () => multiplier(rnd));
      const acc = Float32Array.from({ length: 256 * c }, (_, i) => accumulator(m[i % c]!, rnd));
      const run = () => fixedPointRoundOps(tf.tensor(acc, [256, c]), tf.tensor(m), rounding);
      const [got, want] = [await on('webgpu', run), await on('cpu', run)];
      const i = firstDifference(got, want);
      assert.equal(
        i,
        -1,
        i < 0 ? '' : `acc ${acc[i]} m ${m[i % c]} (${JSON.stringify(quantizeMultiplier(m[i % c]!))}): ${got[i]} vs ${want[i]}`,
      );
    });
});
