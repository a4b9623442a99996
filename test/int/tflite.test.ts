// The integer reference against TensorFlow Lite 2.9's C library (x86-64, built-in kernels): one-op models with
// seeded random shapes, quantization and data, plus a whole synthetic DS-CNN; every output byte must be equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Activation, QModel } from '../../src/int/graph.js';
import { prepareModel } from '../../src/ops/interpreter.js';
import { syntheticDsCnn } from '../../src/ops/synthetic.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { TfliteSession } from '../../src/runtimes/tflite.js';
import * as H from './helpers.js';

const ACTS: Activation[] = ['NONE', 'RELU', 'RELU6'];

function bytesOf(x: Int8Array | Float32Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

// Runs both and returns the number of differing output values.
function mismatches(m: QModel, inputs: (Int8Array | Float32Array)[]): number {
  const session = TfliteSession.open(writeTflite(m));
  const ours = prepareModel(m);
  let bad = 0;
  try {
    for (const x of inputs) {
      const theirs = new Int8Array(session.invoke([bytesOf(x)])[0].buffer);
      const mine = ours.run(x).outputs[0] as Int8Array;
      assert.equal(mine.length, theirs.length);
      for (let i = 0; i < mine.length; i++) if (mine[i] !== theirs[i]) bad++;
    }
  } finally {
    session.close();
  }
  return bad;
}

function randomInputs(r: () => number, m: QModel, n: number): Int8Array[] {
  const count = m.tensors[m.inputs[0]].shape.reduce((a, d) => a * d, 1);
  return Array.from({ length: n }, () => H.randInt8(r, count));
}

const q = (r: () => number): [number, number] => [0.005 + r() * 0.1, H.randInt(r, -128, 127)];

test('CONV_2D and DEPTHWISE_CONV_2D (int8 and int4-range weights) match TFLite', () => {
  const r = H.rng(101);
  for (let k = 0; k < 24; k++) {
    const kind = k % 2 ? 'DEPTHWISE_CONV_2D' : 'CONV_2D';
    const ci = H.randInt(r, 1, 6);
    const outC = kind === 'CONV_2D' ? H.randInt(r, 1, 9) : ci * H.randInt(r, 1, 2);
    const spec = H.randomConvSpec(
      r,
      kind,
      [1, H.randInt(r, 3, 9), H.randInt(r, 3, 9), ci],
      outC,
      H.randInt(r, 1, 3),
      k % 4 >= 2 ? 'int4' : 'int8',
    );
    const m = H.convModel({ ...spec, wType: 'int8', dilationH: k % 5 === 0 ? 2 : 1 }); // TFLite 2.9 has no int4: same values as int8
    assert.equal(mismatches(m, randomInputs(r, m, 4)), 0, `${kind} case ${k}`);
  }
});

test('FULLY_CONNECTED, pooling, ADD and SOFTMAX match TFLite', () => {
  const r = H.rng(102);
  for (let k = 0; k < 12; k++) {
    const inD = H.randInt(r, 1, 40);
    const outD = H.randInt(r, 1, 12);
    const ws = [0.002 + r() * 0.01];
    const inQ = q(r);
    const fc = H.fcModel(
      2,
      inD,
      outD,
      inQ,
      [inQ[0] * ws[0] * Math.sqrt(inD) * 30, H.randInt(r, -10, 10)],
      H.randInt8(r, inD * outD, -127, 127),
      ws,
      Int32Array.from({ length: outD }, () => H.randInt(r, -3000, 3000)),
      ACTS[k % 3],
    );
    assert.equal(mismatches(fc, randomInputs(r, fc, 4)), 0, `FULLY_CONNECTED case ${k}`);
    const [h, w, c] = [H.randInt(r, 2, 8), H.randInt(r, 2, 8), H.randInt(r, 1, 4)];
    const kind = k % 2 ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D';
    const pad = k % 3 ? 'SAME' : 'VALID';
    const f: [number, number] = [H.randInt(r, 1, Math.min(3, h)), H.randInt(r, 1, Math.min(3, w))];
    const s: [number, number] = [H.randInt(r, 1, 2), H.randInt(r, 1, 2)];
    const out = (n: number, fi: number, si: number): number => (pad === 'SAME' ? Math.ceil(n / si) : Math.floor((n - fi + si) / si));
    const pool = H.poolModel(kind, [1, h, w, c], [1, out(h, f[0], s[0]), out(w, f[1], s[1]), c], q(r), f, s, pad, ACTS[k % 3]);
    assert.equal(mismatches(pool, randomInputs(r, pool, 4)), 0, `${kind} case ${k}`);
    const shape = [1, h, w, c];
    const add = H.addModel(shape, k % 2 ? shape : [1, 1, 1, c], shape, q(r), q(r), q(r), H.randInt8(r, k % 2 ? h * w * c : c), ACTS[k % 3]);
    assert.equal(mismatches(add, randomInputs(r, add, 4)), 0, `ADD case ${k}`);
    const sm = H.softmaxModel([2, H.randInt(r, 2, 30)], [0.01 + r() * 0.3, H.randInt(r, -128, 127)], k % 4 === 3 ? 0.5 + r() : 1);
    assert.equal(mismatches(sm, randomInputs(r, sm, 8)), 0, `SOFTMAX case ${k}`);
  }
});

test('MEAN on all three of its paths, QUANTIZE on rounding boundaries, requantize and DEQUANTIZE match TFLite', () => {
  const r = H.rng(103);
  for (let k = 0; k < 18; k++) {
    const shape = [1, H.randInt(r, 1, 8), H.randInt(r, 1, 8), H.randInt(r, 1, 5)];
    const inQ = q(r);
    const m = H.meanModel(shape, k % 6 === 5 ? [3] : [1, 2], k % 2 === 0, inQ, k % 3 === 0 ? inQ : q(r));
    assert.equal(mismatches(m, randomInputs(r, m, 4)), 0, `MEAN case ${k}`);
  }
  for (let k = 0; k < 4; k++) {
    const outQ = q(r);
    const m = H.quantizeModel(100, outQ);
    const near = (): Float32Array =>
      Float32Array.from({ length: 100 }, () => (H.randInt(r, -140, 140) + 0.5 + (r() - 0.5) * 1e-5) * Math.fround(outQ[0]));
    assert.equal(mismatches(m, [near(), near()]), 0, `QUANTIZE case ${k}`);
    const requant: QModel = {
      tensors: [H.act('in', [1, 64], ...q(r)), H.act('out', [1, 64], ...q(r))],
      ops: [{ op: 'QUANTIZE', inputs: [0], outputs: [1], options: {} }],
      inputs: [0],
      outputs: [1],
      metadata: {},
    };
    assert.equal(mismatches(requant, randomInputs(r, requant, 4)), 0, `int8 QUANTIZE case ${k}`);
  }
  const dq: QModel = {
    tensors: [H.act('in', [1, 256], 0.0371, -17), { name: 'out', shape: [1, 256], dtype: 'float32', scale: [], zeroPoint: [] }],
    ops: [{ op: 'DEQUANTIZE', inputs: [0], outputs: [1], options: {} }],
    inputs: [0],
    outputs: [1],
    metadata: {},
  };
  const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  const session = TfliteSession.open(writeTflite(dq));
  const theirs = new Float32Array(session.invoke([bytesOf(all)])[0].buffer);
  session.close();
  assert.deepEqual(Array.from(prepareModel(dq).run(all).outputs[0]), Array.from(theirs));
});

test('PAD of ranks 1 to 4 with random paddings (zero included) matches TFLite', () => {
  const r = H.rng(105);
  for (let k = 0; k < 16; k++) {
    const rank = (k % 4) + 1;
    const shape = Array.from({ length: rank }, () => H.randInt(r, 1, 5));
    const paddings = Array.from({ length: 2 * rank }, () => H.randInt(r, 0, 3));
    const m = H.padModel(shape, paddings, q(r));
    assert.equal(mismatches(m, randomInputs(r, m, 3)), 0, `PAD case ${k}: [${shape}] by [${paddings}]`);
  }
});

test('CONCATENATION of 2 to 4 tensors, ranks 1 to 4, every axis (negative too), matches TFLite', () => {
  const r = H.rng(106);
  for (let k = 0; k < 16; k++) {
    const rank = (k % 4) + 1;
    const base = Array.from({ length: rank }, () => H.randInt(r, 1, 4));
    const axis = H.randInt(r, 0, rank - 1) - (k % 2 ? rank : 0);
    const ax = axis < 0 ? axis + rank : axis;
    const shapes = Array.from({ length: H.randInt(r, 2, 4) }, () => base.map((n, d) => (d === ax ? H.randInt(r, 1, 3) : n)));
    const consts = shapes.slice(1).map((s) =>
      H.randInt8(
        r,
        s.reduce((a, d) => a * d, 1),
      ),
    );
    const m = H.concatModel(shapes, axis, q(r), consts);
    assert.equal(mismatches(m, randomInputs(r, m, 3)), 0, `CONCATENATION case ${k}: ${JSON.stringify(shapes)} on axis ${axis}`);
  }
});

test('MUL (equal shapes and a [1, 1, 1, C] gate broadcast over a map), LOGISTIC and HARD_SWISH match TFLite', () => {
  const r = H.rng(107);
  const every = Int8Array.from({ length: 256 }, (_, i) => i - 128); // every int8 value, for the elementwise tables
  for (let k = 0; k < 16; k++) {
    const [h, w, c] = [H.randInt(r, 1, 6), H.randInt(r, 1, 6), H.randInt(r, 1, 5)];
    const shape = [1, h, w, c];
    // Output scales from a tenth to ten times the product of the input scales: rescales below and above 1.
    const [q1, q2] = [q(r), q(r)];
    const qo: [number, number] = [q1[0] * q2[0] * 2 ** (r() * 6.6 - 3.3) * 128, H.randInt(r, -128, 127)];
    const gate = k % 2 ? [1, 1, 1, c] : shape;
    const m = H.mulModel(
      shape,
      gate,
      q1,
      q2,
      qo,
      H.randInt8(
        r,
        gate.reduce((a, d) => a * d, 1),
      ),
      ACTS[k % 3],
    );
    assert.equal(mismatches(m, randomInputs(r, m, 4)), 0, `MUL case ${k}: [${shape}] x [${gate}]`);
    // Input scales from 1/256 to 1: LOGISTIC saturates at one end, HARD_SWISH rescales on both.
    const inQ: [number, number] = [2 ** (-8 + r() * 8), H.randInt(r, -128, 127)];
    const lg = H.unaryModel('LOGISTIC', [1, 256], inQ, [0, 0]);
    assert.equal(mismatches(lg, [every]), 0, `LOGISTIC case ${k}: input ${inQ}`);
    const hsQ: [number, number] = [inQ[0] * (0.3 + r() * 1.2), H.randInt(r, -128, 0)];
    const hs = H.unaryModel('HARD_SWISH', [1, 256], inQ, hsQ);
    assert.equal(mismatches(hs, [every]), 0, `HARD_SWISH case ${k}: input ${inQ}, output ${hsQ}`);
  }
});

test('SQUEEZE and EXPAND_DIMS move every value as TFLite does, on random shapes and axes', () => {
  const r = H.rng(109);
  for (let k = 0; k < 12; k++) {
    const shape = [1, H.randInt(r, 1, 3), 1, H.randInt(r, 1, 5)];
    const qq = q(r);
    // every size-1 dimension, or the third alone (counted from the end on odd cases)
    const sq = H.shapeOpModel('SQUEEZE', shape, k % 3 === 0 ? [] : [k % 2 ? -2 : 2], qq);
    assert.equal(mismatches(sq, randomInputs(r, sq, 2)), 0, `SQUEEZE case ${k}: [${shape}]`);
    const axis = H.randInt(r, -5, 4);
    const ex = H.shapeOpModel('EXPAND_DIMS', shape, axis, qq);
    assert.equal(mismatches(ex, randomInputs(r, ex, 2)), 0, `EXPAND_DIMS case ${k}: [${shape}] at ${axis}`);
  }
});

test('a synthetic DS-CNN end to end matches TFLite', () => {
  const r = H.rng(104);
  for (const pooling of ['AVERAGE_POOL_2D', 'MEAN'] as const) {
    const m = syntheticDsCnn({ seed: 5, pooling, weightBits: pooling === 'MEAN' ? 4 : 8 });
    assert.equal(mismatches(m, randomInputs(r, m, 10)), 0, pooling);
  }
});
