// The two arithmetics pqk reproduces on its integer models, on exact negative and positive .5 ties: TFLite Micro's
// reference kernels ('tflm', which CMSIS-NN's equal; what pqk's firmware computes on every Cortex-M target) round
// CONV_2D and FULLY_CONNECTED ties away from zero and run the gemmlowp fixed-point SOFTMAX; x86-64 TFLite 2.9 (ruy)
// rounds those ties upwards and computes SOFTMAX in float32. The expected values are worked out by hand; the TFLite
// library itself confirms the x86-64 ones, and the C interpreter (host build, plain and optimized kernels) gives each
// flavour's values when asked for it.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { QModel } from '../../src/int/graph.js';
import { runBatch } from '../../src/ops/interpreter.js';
import { TfliteRuntime } from '../../src/runtimes/tflite.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { addModel, convModel, fcModel, softmaxModel } from '../int/helpers.js';
import { buildHarness, runHost } from './harness.js';

before(buildHarness);

interface TieCase {
  name: string;
  model: QModel;
  input: number[];
  tflm: number[];
  x86: number[];
}

// Real multiplier 0.5 * 0.5 / 1 = 0.25: the high multiply is exact and the rounding shift meets x.5 exactly.
const cases: TieCase[] = [
  {
    name: 'FULLY_CONNECTED before softmax (no activation): acc -2 and 2 times 0.25',
    model: fcModel(1, 1, 2, [0.5, 0], [1, 0], Int8Array.from([1, -1]), [0.5], Int32Array.from([0, 0])),
    input: [-2],
    tflm: [-1, 1],
    x86: [0, 1],
  },
  {
    name: 'FULLY_CONNECTED with a bias and an output zero point: acc -6 + 4 = -2 and 6 + 4 = 10 times 0.25, + 3',
    model: fcModel(1, 1, 2, [0.5, 0], [1, 3], Int8Array.from([3, -3]), [0.5], Int32Array.from([4, 4])),
    input: [-2],
    tflm: [3 + -1, 3 + 3], // 10 * 0.25 = 2.5 -> 3 in both
    x86: [3 + 0, 3 + 3],
  },
  {
    name: 'CONV_2D 1x1 without ReLU, two channels of opposite sign',
    model: convModel({
      kind: 'CONV_2D',
      inShape: [1, 1, 2, 1],
      outC: 2,
      kH: 1,
      kW: 1,
      strideH: 1,
      strideW: 1,
      padding: 'VALID',
      activation: 'NONE',
      inScale: 0.5,
      inZeroPoint: 0,
      outScale: 1,
      outZeroPoint: 0,
      wScales: [0.5, 0.5],
      w: Int8Array.from([1, -1]),
      b: Int32Array.from([0, 0]),
    }),
    input: [-2, 2],
    tflm: [-1, 1, 1, -1],
    x86: [0, 1, 1, 0],
  },
  {
    name: 'DEPTHWISE_CONV_2D rounds ties away from zero in both',
    model: convModel({
      kind: 'DEPTHWISE_CONV_2D',
      inShape: [1, 1, 1, 2],
      outC: 2,
      kH: 1,
      kW: 1,
      strideH: 1,
      strideW: 1,
      padding: 'VALID',
      activation: 'NONE',
      inScale: 0.5,
      inZeroPoint: 0,
      outScale: 1,
      outZeroPoint: 0,
      wScales: [0.5, 0.5],
      w: Int8Array.from([1, 1]),
      b: Int32Array.from([0, 0]),
    }),
    input: [-2, 2],
    tflm: [-1, 1],
    x86: [-1, 1],
  },
  {
    name: 'ADD of both signs rounds ties away from zero in both: 0.5a + 0.5b onto scale 1',
    model: addModel([1, 4], [1, 4], [1, 4], [0.5, 0], [0.5, 0], [1, 0], Int8Array.from([0, 0, 2, -2])),
    input: [-1, 1, -5, 5],
    tflm: [-1, 1, -2, 2],
    x86: [-1, 1, -2, 2],
  },
];

describe('TFLite Micro and x86-64 TFLite arithmetic on exact ties', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const input = [Int8Array.from(c.input)];
      assert.deepEqual(Array.from(runBatch(c.model, input, 'tflm')[0]), c.tflm, 'tflm reference');
      assert.deepEqual(Array.from(runBatch(c.model, input, 'x86-64')[0]), c.x86, 'x86-64 reference');
      const bytes = writeTflite(c.model);
      assert.deepEqual(Array.from((await new TfliteRuntime().run(bytes, input)).outputs[0]), c.x86, 'TFLite 2.9 itself');
      for (const optimized of [false, true]) {
        assert.deepEqual(Array.from((await runHost(bytes, input, optimized)).outputs[0]), c.tflm, `pqk micro, optimized ${optimized}`);
        assert.deepEqual(
          Array.from((await runHost(bytes, input, optimized, 'x86-64')).outputs[0]),
          c.x86,
          `pqk micro x86-64 rounding, optimized ${optimized}`,
        );
      }
    });
  }

  it('SOFTMAX: the fixed-point reference stays within 1 LSB of the real softmax, and where it differs from the float kernel', async () => {
    const m = softmaxModel([16, 12], [0.0625, 0]);
    const inputs = Array.from({ length: 8 }, (_, s) => Int8Array.from({ length: 16 * 12 }, (_, i) => ((i * 37 + s * 101) % 256) - 128));
    const tflm = runBatch(m, inputs, 'tflm');
    const x86 = runBatch(m, inputs, 'x86-64');
    let differ = 0;
    inputs.forEach((x, s) => {
      for (let r = 0; r < 16; r++) {
        const row = Array.from(x.subarray(r * 12, r * 12 + 12), (v) => Math.exp(0.0625 * v));
        const sum = row.reduce((a, b) => a + b, 0);
        row.forEach((e, j) => {
          const want = Math.min(127, Math.round((256 * e) / sum) - 128);
          assert.ok(Math.abs(tflm[s][r * 12 + j] - want) <= 1, `sample ${s} row ${r} col ${j}: ${tflm[s][r * 12 + j]} vs ${want}`);
          if (tflm[s][r * 12 + j] !== x86[s][r * 12 + j]) differ++;
        });
      }
    });
    // Both are within 1 LSB of the real value, so they rarely disagree (30 of 2.4 M random values): here at column 6
    // of the first row and column 1 of the second, where the real value is close to a .5 boundary.
    assert.equal(differ, 0);
    const near = softmaxModel([2, 12], [0.02, 0]);
    const rows = [Int8Array.from([68, -1, -20, 8, -10, 59, 4, -4, -10, 39, 12, 36, 26, -14, 16, 13, 23, 9, 31, 27, -6, 32, 22, 1])];
    const wantTflm = [
      -76, -115, -119, -112, -117, -84, -114, -116, -117, -99, -111, -101, -102, -116, -107, -108, -104, -110, -100, -102, -115, -99, -104,
      -112,
    ];
    const wantX86 = wantTflm.map((v, i) => (i === 6 ? -113 : i === 13 ? -117 : v));
    assert.deepEqual(Array.from(runBatch(near, rows, 'tflm')[0]), wantTflm);
    assert.deepEqual(Array.from(runBatch(near, rows, 'x86-64')[0]), wantX86);
    const nearBytes = writeTflite(near);
    assert.deepEqual(Array.from((await new TfliteRuntime().run(nearBytes, rows)).outputs[0]), wantX86, 'TFLite 2.9 itself');
    assert.deepEqual(Array.from((await runHost(nearBytes, rows)).outputs[0]), wantTflm, 'pqk micro');
    assert.deepEqual(Array.from((await runHost(nearBytes, rows, false, 'x86-64')).outputs[0]), wantX86, 'pqk micro, x86-64 rounding');
    // A uniform row is exactly 1/4 in both: 64 - 128.
    assert.deepEqual(Array.from(runBatch(softmaxModel([1, 4], [0.1, 0]), [Int8Array.from([5, 5, 5, 5])], 'tflm')[0]), [-64, -64, -64, -64]);
    const bytes = writeTflite(m);
    for (const optimized of [false, true]) {
      assert.deepEqual(
        (await runHost(bytes, inputs, optimized)).outputs.map((o) => Array.from(o)),
        tflm.map((o) => Array.from(o)),
        `pqk micro, optimized ${optimized}`,
      );
      assert.deepEqual(
        (await runHost(bytes, inputs, optimized, 'x86-64')).outputs.map((o) => Array.from(o)),
        x86.map((o) => Array.from(o)),
      );
    }
  });
});
