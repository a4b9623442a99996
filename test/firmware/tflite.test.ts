// The micro interpreter against TensorFlow Lite 2.9.0 itself (the 'tflite' runtime, built-in kernels): every op's
// output of int8 models (TFLite 2.9 has no int4 kernels), host build plain and optimized with x86-64 rounding; the
// M4 firmware, which computes TFLite Micro's arithmetic, against that flavour of the reference.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { QModel } from '../../src/int/graph.js';
import { runBatch } from '../../src/ops/interpreter.js';
import { QemuRuntime } from '../../src/runtimes/qemu.js';
import { TfliteRuntime } from '../../src/runtimes/tflite.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { buildHarness, compareBatches, prefixModel, randomInputs, runHost } from './harness.js';
import { coverageModel, dscnnModel } from './models.js';

before(buildHarness);

describe('pqk micro vs TFLite 2.9.0', () => {
  for (const seed of [1, 2, 3]) {
    it(`equals TFLite after every op of the int8 all-ops model, seed ${seed}`, async () => {
      const model = coverageModel(seed, true);
      const inputs = randomInputs(model, 30, 12);
      for (let k = 0; k < model.ops.length; k++) {
        const prefix = prefixModel(model, k);
        const bytes = writeTflite(prefix);
        const want = (await new TfliteRuntime().run(bytes, inputs)).outputs;
        for (const optimized of [false, true]) {
          const got = await runHost(bytes, inputs, optimized, 'x86-64');
          assert.equal(compareBatches(got.outputs, want).mismatches, 0, `op ${k} (${model.ops[k].op}), optimized ${optimized}`);
        }
      }
    });
  }

  it('on a DS-CNN-shaped model, TFLite equals the x86-64 reference and qemu:cortex-m4 (optimized) the TFLite Micro one', async () => {
    const model = dscnnModel(24);
    const bytes = writeTflite(model);
    const inputs = randomInputs(model, 30, 13);
    const want = await new TfliteRuntime().run(bytes, inputs);
    assert.equal(want.version, 'TFLite 2.9.0');
    assert.equal(compareBatches(want.outputs, runBatch(model, inputs, 'x86-64')).mismatches, 0);
    const got = await new QemuRuntime('cortex-m4', { countInstructions: false }).run(bytes, inputs, { optimized: true });
    const { mismatches, distinct } = compareBatches(got.outputs, runBatch(model, inputs, 'tflm'));
    assert.equal(mismatches, 0);
    assert.ok(distinct >= 4);
  });
});
