// Pooling, MEAN (all three TFLite paths), ADD, SOFTMAX, QUANTIZE / DEQUANTIZE, PAD, CONCATENATION on hand-worked values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runModel } from '../../src/ops/interpreter.js';
import { prepareMean } from '../../src/int/mean.js';
import type { QModel, QOp } from '../../src/int/graph.js';
import type { Flavor } from '../../src/int/common.js';
import {
  addModel,
  concatModel,
  meanModel,
  mulModel,
  padModel,
  poolModel,
  quantizeModel,
  shapeOpModel,
  softmaxModel,
  unaryModel,
} from './helpers.js';

function run(m: QModel, input: number[] | Float32Array): number[] {
  const x = input instanceof Float32Array ? input : Int8Array.from(input);
  return Array.from(runModel(m, x).outputs[0]);
}

test('average pool rounds half away from zero and counts only in-image taps', () => {
  const q: [number, number] = [0.1, 0];
  assert.deepEqual(run(poolModel('AVERAGE_POOL_2D', [1, 1, 4, 1], [1, 1, 2, 1], q, [1, 2], [1, 2], 'VALID'), [1, 2, -1, -2]), [2, -2]);
  assert.deepEqual(run(poolModel('AVERAGE_POOL_2D', [1, 1, 4, 1], [1, 1, 2, 1], q, [1, 2], [1, 2], 'VALID'), [1, 1, -1, -1]), [1, -1]);
  // SAME, width 3, filter 2, stride 2: windows [3, 4] -> 3.5 -> 4 and [6] alone -> 6
  assert.deepEqual(run(poolModel('AVERAGE_POOL_2D', [1, 1, 3, 1], [1, 1, 2, 1], q, [1, 2], [1, 2], 'SAME'), [3, 4, 6]), [4, 6]);
  // 3 taps: 5 / 3 = 1.67 -> 2, -4 / 3 = -1.33 -> -1
  assert.deepEqual(
    run(poolModel('AVERAGE_POOL_2D', [1, 1, 3, 2], [1, 1, 1, 2], q, [1, 3], [1, 1], 'VALID'), [1, 0, 2, -2, 2, -2]),
    [2, -1],
  );
});

test('max pool and its fused RELU clamp at the zero point', () => {
  const q: [number, number] = [0.1, -10];
  assert.deepEqual(run(poolModel('MAX_POOL_2D', [1, 1, 4, 1], [1, 1, 2, 1], q, [1, 2], [1, 2], 'VALID'), [-50, -70, 3, 2]), [-50, 3]);
  assert.deepEqual(
    run(poolModel('MAX_POOL_2D', [1, 1, 4, 1], [1, 1, 2, 1], q, [1, 2], [1, 2], 'VALID', 'RELU'), [-50, -70, 3, 2]),
    [-10, 3],
  );
});

// Input 2x2, scale 0.5, zero point 1; output scale 0.25, zero point -2.
// 4-D integer path: sum(x - 1) = 7, * (0.5 / 0.25) = 14, / 4 = 3.5 -> 4, - 2 = 2.
// Float path: mean 2.75 * 2 - 1 * 2 = 3.5 -> roundf 4, - 2 = 2. Negative data [-1, -1, -1, 0] gives -3.5 -> -4 -> -6.
test('MEAN follows the TFLite 2.9 path for its shape and quantization', () => {
  const inQ: [number, number] = [0.5, 1];
  const outQ: [number, number] = [0.25, -2];
  const keep = meanModel([1, 2, 2, 1], [1, 2], true, inQ, outQ);
  const flat = meanModel([1, 2, 2, 1], [1, 2], false, inQ, outQ);
  const same = meanModel([1, 2, 2, 1], [2, 1], false, inQ, inQ);
  const path = (m: QModel, flavor: Flavor = 'x86-64'): string => prepareMean({ model: m, op: m.ops[0], node: 0, flavor }).path;
  assert.deepEqual([path(keep), path(flat), path(same)], ['integer-4d', 'float-rescaling', 'integer-truncating']);
  assert.deepEqual(
    [path(keep, 'arm64'), path(flat, 'arm64'), path(same, 'arm64')],
    ['optimized-4d', 'float-rescaling', 'integer-truncating'],
  );
  for (const m of [keep, flat]) {
    assert.deepEqual(run(m, [1, 2, 3, 5]), [2]);
    assert.deepEqual(run(m, [-1, -1, -1, 0]), [-6]);
  }
  assert.deepEqual(run(same, [1, 2, 3, 5]), [2]); // 2.75 truncates
  assert.deepEqual(run(same, [-1, -2, -3, -5]), [-2]); // -2.75 truncates towards zero
  // Reduction over the channel axis with 2 channels: means of each pixel.
  const chan = meanModel([1, 1, 2, 2], [3], false, [1, 0], [1, 0]);
  assert.deepEqual(run(chan, [4, 7, -4, -7]), [5, -5]);
});

// s1 = 0.5, s2 = 0.25, s_out = 0.5, zero points 0: 3*0.5 + 2*0.25 = 2.0 -> 4; 0.5 + 0.25 = 0.75 -> 1.5 -> 2.
test('ADD rescales both inputs through the 20-bit left shift', () => {
  const m = (b: number[], shape2 = [1, 1, 1, b.length]): QModel =>
    addModel([1, 1, 1, 3], shape2, [1, 1, 1, 3], [0.5, 0], [0.25, 0], [0.5, 0], Int8Array.from(b));
  assert.deepEqual(run(m([2, 1, -1]), [3, 1, -1]), [4, 2, -2]);
  assert.deepEqual(run(m([4], [1]), [3, 1, -1]), [5, 3, 1]); // broadcast of one value
  const relu = addModel([1, 2], [1, 2], [1, 2], [0.5, 0], [0.25, 0], [0.5, 0], Int8Array.from([127, -128]), 'RELU');
  assert.deepEqual(run(relu, [127, -128]), [127, 0]);
});

test('SOFTMAX uses the float table: exact on ties, close to the real softmax elsewhere', () => {
  assert.deepEqual(run(softmaxModel([1, 4], [0.1, 0]), [5, 5, 5, 5]), [-64, -64, -64, -64]); // 256/4 - 128
  assert.deepEqual(run(softmaxModel([1, 2], [0.1, 0]), [-7, -7]), [0, 0]);
  assert.deepEqual(run(softmaxModel([1, 2], [1, 0]), [127, -128]), [127, -128]); // exp(-255) underflows
  const m = softmaxModel([2, 10], [0.07, 3]);
  const x = Array.from({ length: 20 }, (_, i) => ((i * 37) % 200) - 100);
  const out = run(m, x);
  for (let r = 0; r < 2; r++) {
    const row = x.slice(r * 10, r * 10 + 10).map((v) => Math.exp(0.07 * v));
    const sum = row.reduce((a, b) => a + b, 0);
    row.forEach((e, j) => assert.ok(Math.abs(out[r * 10 + j] - (Math.round((256 * e) / sum) - 128)) <= 1));
  }
});

test('QUANTIZE rounds float / scale half away from zero; int8 requantize; DEQUANTIZE', () => {
  const q = quantizeModel(6, [0.5, 3]);
  assert.deepEqual(run(q, Float32Array.from([0.25, -0.25, 0.74, 100, -100, 0])), [4, 2, 4, 127, -128, 3]);
  // arm64 runs whole groups of 8 through NEON (x * (1 / scale), ties to even); the 9th value takes the scalar path.
  const arm = quantizeModel(9, [0.5, 0]);
  const ties = Float32Array.from([1.25, -1.25, 0.75, -0.75, 1.75, 0.25, -0.25, 2.25, 1.25]); // x / 0.5 = k + 0.5
  assert.deepEqual(Array.from(runModel(arm, ties, { flavor: 'arm64' }).outputs[0]), [2, -2, 2, -2, 4, 0, 0, 4, 3]);
  assert.deepEqual(Array.from(runModel(arm, ties).outputs[0]), [3, -3, 2, -2, 4, 1, -1, 5, 3]);
  const re: QModel = {
    ...quantizeModel(3, [0.25, 10]),
    tensors: [
      { name: 'in', shape: [1, 3], dtype: 'int8', scale: [0.5], zeroPoint: [0] },
      { name: 'out', shape: [1, 3], dtype: 'int8', scale: [0.25], zeroPoint: [10] },
    ],
  };
  assert.deepEqual(run(re, [3, -3, 100]), [16, 4, 127]);
  const dq: QModel = {
    tensors: [
      { name: 'in', shape: [3], dtype: 'int8', scale: [0.1], zeroPoint: [1] },
      { name: 'out', shape: [3], dtype: 'float32', scale: [], zeroPoint: [] },
    ],
    ops: [{ op: 'DEQUANTIZE', inputs: [0], outputs: [1], options: {} }],
    inputs: [0],
    outputs: [1],
    metadata: {},
  };
  assert.deepEqual(run(dq, [3, 1, -127]), [Math.fround(0.1) * 2, 0, Math.fround(Math.fround(0.1) * -128)]);
});

test('PAD fills the border with the zero point and copies the values unchanged; its mistakes name the node', () => {
  // 1x2x2x1 [[1, 2], [3, 4]], one row above and one column on the right, zero point -5.
  assert.deepEqual(run(padModel([1, 2, 2, 1], [0, 0, 1, 0, 0, 1, 0, 0], [0.1, -5]), [1, 2, 3, 4]), [-5, -5, -5, 1, 2, -5, 3, 4, -5]);
  // Rank 1, padding the only dimension on both sides; rank 2 with nothing to pad is a copy.
  assert.deepEqual(run(padModel([3], [2, 1], [0.5, 7]), [-128, 0, 127]), [7, 7, -128, 0, 127, 7]);
  assert.deepEqual(run(padModel([2, 2], [0, 0, 0, 0], [0.5, 0]), [9, -9, 8, -8]), [9, -9, 8, -8]);
  const negative = padModel([1, 2, 2, 1], [0, 0, 1, 0, 0, 0, 0, 0], [0.1, 0]);
  (negative.tensors[1]!.data as Int32Array)[2] = -1;
  assert.throws(() => run(negative, [1, 2, 3, 4]), /node 0 \(PAD, output 'out'\): negative padding \[0, 0, -1, 0, 0, 0, 0, 0\]/);
  const wrongOut = padModel([1, 2, 2, 1], [0, 0, 1, 0, 0, 0, 0, 0], [0.1, 0]);
  wrongOut.tensors[2]!.shape = [1, 2, 2, 1];
  assert.throws(() => run(wrongOut, [1, 2, 3, 4]), /tensor 'out' has shape \[1, 2, 2, 1\], expected \[1, 3, 2, 1\]/);
  const rank5 = padModel([1, 1, 1, 1, 2], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1], [0.1, 0]);
  assert.throws(() => run(rank5, [1, 2]), /PAD of a rank-5 tensor: pqk pads ranks 1 to 4/);
});

test("CONCATENATION copies each input's block per outer index; its mistakes name the node", () => {
  const q: [number, number] = [0.1, 3];
  // The model input [[1, 2], [3, 4]] joined with a constant of shape `second` holding `values`.
  const withConst = (second: number[], axis: number, values: number[]): QModel =>
    concatModel([[2, 2], second], axis, q, [Int8Array.from(values)]);
  const x = [1, 2, 3, 4];
  assert.deepEqual(run(withConst([2, 1], 1, [5, 6]), x), [1, 2, 5, 3, 4, 6]);
  assert.deepEqual(run(withConst([1, 2], -2, [7, 8]), x), [1, 2, 3, 4, 7, 8]); // axis 0, counted from the end
  const rescaled = withConst([2, 1], 1, [5, 6]);
  rescaled.tensors[1]!.zeroPoint = [0];
  assert.throws(
    () => run(rescaled, x),
    /node 0 \(CONCATENATION, output 'out'\): input 'c1' has scale .* zero point 0, the output .* and 3: int8 CONCATENATION does not rescale/,
  );
  const relu = withConst([2, 1], 1, [5, 6]);
  relu.ops[0] = { ...relu.ops[0]!, options: { axis: 1, activation: 'RELU' } } as QOp;
  assert.throws(() => run(relu, x), /fused activation RELU: TFLite's int8 CONCATENATION takes none/);
  assert.throws(() => run(withConst([3, 1], 1, [5, 6, 7]), x), /input 'c1' \[3, 1\] does not match the output \[2, 3\] outside axis 1/);
  assert.throws(() => run(withConst([2, 1], 2, [5, 6]), x), /axis 2 is outside the output's 2 dimensions/);
});

test('MUL rescales the product by s1 * s2 / s_out as MultiplyByQuantizedMultiplier rounds, broadcasts a per-channel gate, clamps its activation', () => {
  // 0.5 x 0.25 / 0.125 = 1: the products themselves; a [1, 1, 1, 2] gate over a 1x1x2x2 map, then RELU.
  const gate = (act: 'NONE' | 'RELU') => mulModel([1, 1, 2, 2], [1, 1, 1, 2], [0.5, 0], [0.25, 0], [0.125, 0], Int8Array.of(2, -3), act);
  assert.deepEqual(run(gate('NONE'), [3, -4, 5, 10]), [6, 12, 10, -30]);
  assert.deepEqual(run(gate('RELU'), [3, -4, 5, 10]), [6, 12, 10, 0]);
  // Rescale 1/2 (multiplier 2^30, no shift) with zero points: (4 - 1) x (3 - 2) / 2 = 1.5 -> 2 and (-2 - 1) x 1 / 2 =
  // -1.5 -> -1 (the doubling high multiply rounds its ties upwards), then + 10; 126 x 125 / 2 saturates.
  const half = mulModel([1, 3], [1, 3], [0.5, 1], [0.25, 2], [0.25, 10], Int8Array.of(3, 3, 127), 'NONE');
  assert.deepEqual(run(half, [4, -2, 127]), [12, 9, 127]);
  const bad = mulModel([1, 2, 2, 1], [1, 1, 3, 1], [0.5, 0], [0.25, 0], [0.125, 0], Int8Array.of(1, 2, 3));
  assert.throws(() => run(bad, [1, 2, 3, 4]), /node 0 \(MUL, output 'out'\): cannot broadcast \[1, 1, 3, 1\] to \[1, 2, 2, 1\]/);
});

test('LOGISTIC lands on 1/256 steps from -128 (both flavours on these values); HARD_SWISH is x * relu6(x + 3) / 6', () => {
  // Input scale 1/16: 0 -> 0.5, +-1 -> 0.731 / 0.269 (187 / 69 of 256), +-8 saturate.
  const lg = unaryModel('LOGISTIC', [1, 5], [1 / 16, 0], [0, 0]);
  for (const flavor of ['x86-64', 'tflm'] as Flavor[])
    assert.deepEqual(Array.from(runModel(lg, Int8Array.of(0, 16, -16, 127, -128), { flavor }).outputs[0]), [0, 59, -59, 127, -128]);
  const wrong = unaryModel('LOGISTIC', [1, 2], [1 / 16, 0], [0, 0]);
  wrong.tensors[1]!.zeroPoint = [0];
  assert.throws(
    () => run(wrong, [1, 2]),
    /LOGISTIC, output 'out'\): output scale 0.00390625 and zero point 0: int8 LOGISTIC needs 1\/256 and -128/,
  );
  // Scales 1/16 in and out: x = 1 -> 2/3 (10.67 -> 11), 3 -> 3, -3 -> 0, -1 -> -1/3 (-5.33 -> -5), 4 -> 4, 7.94 -> 7.94, -8 -> 0.
  const hs = unaryModel('HARD_SWISH', [1, 7], [1 / 16, 0], [1 / 16, 0]);
  assert.deepEqual(run(hs, [16, 48, -48, -16, 64, 127, -128]), [11, 48, 0, -5, 64, 127, 0]);
});

test('SQUEEZE and EXPAND_DIMS copy the values and refuse a shape their options or axis do not give', () => {
  assert.deepEqual(run(shapeOpModel('SQUEEZE', [1, 1, 1, 3], [1, 2], [0.1, 0]), [1, -2, 3]), [1, -2, 3]);
  assert.deepEqual(run(shapeOpModel('EXPAND_DIMS', [1, 3], -1, [0.1, 0]), [4, 5, -6]), [4, 5, -6]);
  assert.throws(
    () => run(shapeOpModel('SQUEEZE', [1, 2, 1, 3], [1], [0.1, 0], [1, 1, 6]), [0, 0, 0, 0, 0, 0]),
    /squeeze dimension 1 of input \[1,2,1,3\] is 2, not 1/,
  );
  assert.throws(
    () => run(shapeOpModel('SQUEEZE', [1, 1, 3], [], [0.1, 0], [1, 3]), [0, 0, 0]),
    /output shape \[1,3\] is not \[3\], input \[1,1,3\] squeezed/,
  );
  assert.throws(() => run(shapeOpModel('SQUEEZE', [1, 3], [4], [0.1, 0], [3]), [0, 0, 0]), /squeeze dimension 4 is outside a rank-2 input/);
  assert.throws(
    () => run(shapeOpModel('EXPAND_DIMS', [1, 3], 3, [0.1, 0], [1, 3, 1]), [0, 0, 0]),
    /axis 3 is outside \[-3, 2\] for input \[1,3\]/,
  );
  assert.throws(
    () => run(shapeOpModel('EXPAND_DIMS', [1, 3], 1, [0.1, 0], [1, 3, 1]), [0, 0, 0]),
    /EXPAND_DIMS.*output shape \[1,3,1\] is not \[1,1,3\]/,
  );
});
