// Edge cases of the optimized kernel variants (widened-weight GEMM for CONV_2D, unrolled 3x3 DEPTHWISE_CONV_2D,
// channel-group AVERAGE_POOL_2D): channel counts that are not multiples of 4, odd depths and odd pixel counts, padding taps, strides, and the
// int4 / depth-multiplier models that fall back to the other optimized paths. Each op's output equals the integer
// reference on the host (plain and optimized), and the whole chain does on the M4 (DSP) and M55 (Helium) boards.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBatch } from '../../src/int/interpreter.js';
import type { QModel } from '../../src/int/graph.js';
import { QemuRuntime } from '../../src/runtimes/qemu.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { buildHarness, compareBatches, randomInputs, runHost } from './harness.js';
import { GraphBuilder } from './models.js';

before(buildHarness);

/** 5x7 pixels (35, odd) of 7 channels through every shape the optimized paths special-case. */
function edgeModel(seed: number): QModel {
  const g = new GraphBuilder(seed);
  const x = g.activation([1, 5, 7, 7], 0.05, g.int(-20, 20));
  let h = g.conv(x, 5, [1, 1], [1, 1], 'SAME', 'NONE'); // pointwise: depth 7, 5 rows (odd)
  h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'NONE'); // 3x3: one group of 4 channels and one left over
  h = g.pool('AVERAGE_POOL_2D', h, [3, 3], [1, 1], 'SAME'); // windows of 4, 6 and 9 values; 4 + 1 channels
  h = g.conv(h, 12, [3, 3], [1, 1], 'SAME', 'RELU'); // im2col: depth 45, padding taps
  h = g.depthwise(h, [3, 3], [2, 2], 'VALID', 'NONE'); // 3x3 with stride 2, 12 channels
  h = g.conv(h, 9, [1, 1], [1, 1], 'VALID', 'NONE'); // pointwise: depth 12 (a zero-padded group), 2x3 pixels
  h = g.conv(h, 6, [1, 1], [2, 2], 'SAME', 'RELU6'); // 1x1 with stride 2: the gathered path
  h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'NONE', 'int4'); // int4 3x3: the packed path
  h = g.conv(h, 7, [1, 1], [1, 1], 'SAME', 'NONE', 'int4'); // int4 pointwise: the packed path
  h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'NONE', 'int8', 2); // multiplier 2: the generic channel loop
  return g.build(x, h);
}

describe('optimized kernel variants', () => {
  const model = edgeModel(41);
  const inputs = randomInputs(model, 12, 13);

  it('equal the integer reference after every op on the host, plain and optimized', async () => {
    for (let k = 0; k < model.ops.length; k++) {
      const prefix: QModel = { ...model, ops: model.ops.slice(0, k + 1), outputs: [model.ops[k].outputs[0]] };
      const bytes = writeTflite(prefix);
      const want = runBatch(prefix, inputs, 'tflm');
      const plain = await runHost(bytes, inputs);
      const fast = await runHost(bytes, inputs, true);
      assert.equal(fast.status, 0, fast.error);
      const { mismatches, distinct } = compareBatches(fast.outputs, want);
      assert.equal(mismatches, 0, `optimized, after op ${k} (${model.ops[k].op})`);
      assert.deepEqual(plain.outputs, fast.outputs, `plain, after op ${k}`);
      assert.ok(distinct >= 3, `op ${k} outputs take only ${distinct} values`);
    }
  });

  it('widen int8 weights into the arena only for the optimized build', async () => {
    const bytes = writeTflite(model);
    const plain = await runHost(bytes, []);
    const opt = await runHost(bytes, [], true);
    // int8 CONV_2D weights as int16, depth padded to 8 and rows to 2: 7->5, 45->12, 12->9, 1x1 stride 2 12->6;
    // 3x3 depthwise: (channels / 4) groups of 9 taps x 8 bytes + 4 starting sums, 5 and 12 channels.
    const align = (n: number): number => Math.ceil(n / 16) * 16;
    const wide = [[8, 6], [48, 12], [16, 10], [16, 6]].reduce((a, [d, r]) => a + align(2 * d * r), 0) + align(88) + align(3 * 88);
    assert.equal(opt.persistent_bytes, plain.persistent_bytes + wide);
  });

  for (const cpu of ['cortex-m4', 'cortex-m55'] as const) {
    it(`give the plain kernels' bytes and the reference on qemu:${cpu}`, async () => {
      const runtime = new QemuRuntime(cpu, { countInstructions: false });
      for (const k of cpu === 'cortex-m4' ? [1, 2, 5, model.ops.length - 1] : [model.ops.length - 1]) {
        const prefix: QModel = { ...model, ops: model.ops.slice(0, k + 1), outputs: [model.ops[k].outputs[0]] };
        const bytes = writeTflite(prefix);
        const fast = await runtime.run(bytes, inputs, { optimized: true });
        assert.equal(compareBatches(fast.outputs, runBatch(prefix, inputs, 'tflm')).mismatches, 0, `after op ${k}`);
        assert.deepEqual(fast.outputs, (await runtime.run(bytes, inputs)).outputs, `plain, after op ${k}`);
      }
    });
  }
});
