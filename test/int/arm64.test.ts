// The 'arm64' flavor against TensorFlow Lite 2.9's arm64 library under qemu-aarch64 (cortex-a53): the kernels
// whose rounding differs from x86-64 (ruy single rounding, NEON depthwise and MEAN output stages) must match bit
// for bit, and the x86-64 flavor must be seen to differ where the two builds disagree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QModel } from '../../src/int/graph.js';
import { runBatch } from '../../src/ops/interpreter.js';
import { syntheticDsCnn } from '../../src/ops/synthetic.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { Arm64Runtime } from '../../src/runtimes/arm64.js';
import * as H from './helpers.js';

const runtime = new Arm64Runtime({ countInstructions: false });

async function compare(m: QModel, inputs: Int8Array[]): Promise<{ arm64: number; x86: number }> {
  const theirs = (await runtime.run(writeTflite(m), inputs)).outputs;
  const count = (flavor: 'arm64' | 'x86-64'): number =>
    runBatch(m, inputs, flavor).reduce((bad, out, i) => bad + out.reduce((b, v, j) => b + (v !== theirs[i][j] ? 1 : 0), 0), 0);
  return { arm64: count('arm64'), x86: count('x86-64') };
}

function inputs(r: () => number, m: QModel, n: number): Int8Array[] {
  return Array.from({ length: n }, () =>
    H.randInt8(
      r,
      m.tensors[m.inputs[0]].shape.reduce((a, d) => a * d, 1),
    ),
  );
}

test('arm64 flavor matches TFLite arm64 on depthwise output-stage groups, MEAN, requantize and a DS-CNN', async () => {
  const r = H.rng(201);
  let x86Differs = 0;
  // 13 channels: 8 rescaled in NEON (ties up), 5 by MultiplyByQuantizedMultiplier; depth multiplier 2 on 8.
  for (const [c, mult, k] of [
    [13, 1, 5],
    [8, 2, 3],
    [24, 1, 3],
  ] as const) {
    const spec = H.randomConvSpec(r, 'DEPTHWISE_CONV_2D', [1, 9, 9, c], c * mult, k);
    const m = H.convModel({ ...spec, strideW: spec.strideH });
    const res = await compare(m, inputs(r, m, 4));
    assert.equal(res.arm64, 0, `depthwise c${c} x${mult} k${k}`);
    x86Differs += res.x86;
  }
  // MEAN keep_dims over H, W with 20 channels: 16 in NEON, 4 scalar.
  const inQ: [number, number] = [0.05, 7];
  const mean = H.meanModel([1, 5, 5, 20], [1, 2], true, inQ, [0.03, -9]);
  const meanRes = await compare(mean, inputs(r, mean, 6));
  assert.equal(meanRes.arm64, 0, 'MEAN');
  x86Differs += meanRes.x86;
  // int8 -> int8 QUANTIZE over 75 values: 64 rescaled in NEON (ties up), 11 by MultiplyByQuantizedMultiplier.
  const requant: QModel = {
    tensors: [H.act('in', [1, 75], 0.0437, 11), H.act('out', [1, 75], 0.0291, -6)],
    ops: [{ op: 'QUANTIZE', inputs: [0], outputs: [1], options: {} }],
    inputs: [0],
    outputs: [1],
    metadata: {},
  };
  const requantRes = await compare(requant, inputs(r, requant, 8));
  assert.equal(requantRes.arm64, 0, 'int8 QUANTIZE');
  x86Differs += requantRes.x86;
  for (const pooling of ['AVERAGE_POOL_2D', 'MEAN'] as const) {
    const m = syntheticDsCnn({ seed: 11, pooling });
    const res = await compare(m, inputs(r, m, 8));
    assert.equal(res.arm64, 0, `DS-CNN ${pooling}`);
    x86Differs += res.x86;
  }
  assert.ok(x86Differs > 0, 'the x86-64 flavor should differ from arm64 somewhere in these cases');
});

test('MUL (a broadcast gate), LOGISTIC and HARD_SWISH match TFLite arm64 in the arm64 flavor', async () => {
  const r = H.rng(202);
  const every = [Int8Array.from({ length: 256 }, (_, i) => i - 128)];
  const gate = H.mulModel([1, 4, 8, 8], [1, 1, 1, 8], [0.05, 3], [1 / 256, -128], [0.04, -5], H.randInt8(r, 8), 'RELU');
  assert.equal((await compare(gate, inputs(r, gate, 4))).arm64, 0, 'MUL');
  for (const [inQ, outQ] of [
    [
      [0.047, 12],
      [0.027, -90],
    ],
    [
      [0.2, -100],
      [0.15, -120],
    ],
    [
      [0.004, 0],
      [0.003, -20],
    ],
  ] as [number, number][][]) {
    assert.equal((await compare(H.unaryModel('LOGISTIC', [1, 256], inQ!, [0, 0]), every)).arm64, 0, `LOGISTIC ${inQ}`);
    assert.equal((await compare(H.unaryModel('HARD_SWISH', [1, 256], inQ!, outQ!), every)).arm64, 0, `HARD_SWISH ${inQ} ${outQ}`);
  }
});

test('arm64 runs a one-column GEMM with 4 or more outputs and depth 8 or more as its NEON GEMV (ties up), smaller ones in ruy (one rounding)', async () => {
  const r = H.rng(203);
  let x86Differs = 0;
  // FULLY_CONNECTED of batch 1: 3 outputs (ruy), depth 6 (ruy), 8 x 20 (GEMV).
  for (const [inD, outD] of [
    [20, 3],
    [6, 8],
    [20, 8],
  ] as const) {
    const ws = [0.004];
    const inQ: [number, number] = [0.05, 3];
    const m = H.fcModel(
      1,
      inD,
      outD,
      inQ,
      [inQ[0] * ws[0]! * Math.sqrt(inD) * 30, 2],
      H.randInt8(r, inD * outD, -127, 127),
      ws,
      Int32Array.from({ length: outD }, () => H.randInt(r, -3000, 3000)),
      'NONE',
    );
    const res = await compare(m, inputs(r, m, 200));
    assert.equal(res.arm64, 0, `FULLY_CONNECTED ${inD} -> ${outD}`);
    x86Differs += res.x86;
  }
  // CONV_2D with one output pixel (a squeeze-and-excitation conv on a 1x1 map): GEMV with 6 outputs, ruy with 3.
  for (const outC of [6, 3]) {
    const spec = H.randomConvSpec(r, 'CONV_2D', [1, 1, 1, 16], outC, 1);
    const m = H.convModel({ ...spec, padding: 'VALID', strideH: 1, strideW: 1 });
    const res = await compare(m, inputs(r, m, 200));
    assert.equal(res.arm64, 0, `CONV_2D 1x1x16 -> ${outC}`);
    x86Differs += res.x86;
  }
  assert.ok(x86Differs > 0, 'the x86-64 flavor should differ from arm64 where ruy runs');
});
