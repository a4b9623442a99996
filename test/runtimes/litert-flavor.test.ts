// LiteRT.js against the integer reference in its own flavour: int4 DS-CNN bit-exact end to end; int8 op by op
// within 1 LSB (its XNNPACK kernels requantize in float32), and the other flavours really differ from it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBatch } from '../../src/ops/interpreter.js';
import { verifyOps } from '../../src/pipeline/verify-ops.js';
import { LiteRtRuntime } from '../../src/runtimes/litert.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { mulberry32 } from '../../src/util/rng.js';
import { dscnnModel } from '../firmware/models.js';
import * as H from '../int/helpers.js';

function inputs(n: number, size: number, seed: number): Int8Array[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Int8Array.from({ length: size }, () => Math.floor(rng() * 256) - 128));
}

function diffCount(a: Int8Array[], b: Int8Array[]): number {
  let n = 0;
  a.forEach((x, i) => x.forEach((v, j) => (n += v === b[i][j] ? 0 : 1)));
  return n;
}

test('LiteRT runs an int4 DS-CNN exactly as the litert-flavoured integer reference', async () => {
  const m = dscnnModel(11, { weights: 'int4' });
  const xs = inputs(40, 490, 5);
  const got = (await new LiteRtRuntime().run(writeTflite(m), xs)).outputs;
  assert.equal(diffCount(got, runBatch(m, xs, 'litert')), 0);
});

test('LiteRT int8 kernels are within 1 LSB of the litert flavour op by op, and x86-64 rounding is not theirs', async () => {
  const m = dscnnModel(12, { weights: 'int8' });
  const xs = inputs(30, 490, 6);
  const checks = await verifyOps(m, xs, new LiteRtRuntime(), 'litert');
  for (const c of checks) assert.ok(c.maxDiff <= 1, `node ${c.node} ${c.op}: max diff ${c.maxDiff}`);
  const x86 = await verifyOps(m, xs, new LiteRtRuntime(), 'x86-64');
  const conv = (cs: typeof checks) => cs.filter((c) => c.op === 'CONV_2D').reduce((s, c) => s + c.mismatches, 0);
  assert.ok(conv(x86) > 10 * Math.max(1, conv(checks)), `x86-64 flavour: ${conv(x86)} conv mismatches, litert: ${conv(checks)}`);
});

test('LiteRT runs MUL (a broadcast gate, rescaled in float32), LOGISTIC and HARD_SWISH as the litert-flavoured integer reference', async () => {
  const every = [Int8Array.from({ length: 256 }, (_, i) => i - 128)];
  const gate = H.mulModel([1, 4, 8, 8], [1, 1, 1, 8], [0.05, 3], [1 / 256, -128], [0.04, -5], inputs(1, 8, 9)[0]!, 'NONE');
  const models = [
    gate,
    H.unaryModel('LOGISTIC', [1, 256], [0.047, 12], [0, 0]),
    H.unaryModel('HARD_SWISH', [1, 256], [0.031, -40], [0.027, -90]),
  ];
  for (const m of models) {
    const xs = m === gate ? inputs(4, 256, 10) : every;
    const got = (await new LiteRtRuntime().run(writeTflite(m), xs)).outputs;
    assert.equal(diffCount(got, runBatch(m, xs, 'litert')), 0, m.ops[0]!.op);
    // XNNPACK's MUL rescales in float32 and rounds half to even: TFLite's fixed-point MUL differs on some products.
    if (m === gate) assert.ok(diffCount(got, runBatch(m, xs, 'x86-64')) > 0, 'MUL in the x86-64 flavour');
  }
});
