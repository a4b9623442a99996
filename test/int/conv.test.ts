// CONV_2D and DEPTHWISE_CONV_2D on hand-worked numbers, padding with extreme zero points, saturation, int4 weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runModel } from '../../src/ops/interpreter.js';
import { convModel, type ConvSpec } from './helpers.js';

const base: Omit<ConvSpec, 'w' | 'b' | 'wScales'> = {
  kind: 'CONV_2D',
  inShape: [1, 2, 2, 1],
  outC: 1,
  kH: 2,
  kW: 2,
  strideH: 1,
  strideW: 1,
  padding: 'VALID',
  activation: 'NONE',
  inScale: 0.5,
  inZeroPoint: 1,
  outScale: 0.5,
  outZeroPoint: -3,
};

function run(spec: ConvSpec, input: number[]): number[] {
  return Array.from(runModel(convModel(spec), Int8Array.from(input)).outputs[0]);
}

// Worked by hand. Input 2x2x1, zero point 1: [3, 5, -1, 1] - 1 = [2, 4, -2, 0]. Filter [1, 2, 3, -1], scale 0.25.
// Sum = 2*1 + 4*2 + (-2)*3 + 0*(-1) = 4. Multiplier 0.5 * 0.25 / 0.5 = 0.25 -> Q31 2^30, shift -1.
// Bias 10: acc 14 -> 14 * 0.25 = 3.5 -> 4 (both roundings) -> + zero point -3 = 1.
// Bias -18: acc -14 -> -3.5: CONV_2D (ruy GEMM, ties up) gives -3 -> -6; DEPTHWISE (common.h, ties away) -4 -> -7.
test('2x2 conv and depthwise worked by hand, including the negative tie', () => {
  const w = Int8Array.from([1, 2, 3, -1]);
  const input = [3, 5, -1, 1];
  assert.deepEqual(run({ ...base, w, b: Int32Array.from([10]), wScales: [0.25] }, input), [1]);
  assert.deepEqual(run({ ...base, w, b: Int32Array.from([-18]), wScales: [0.25] }, input), [-6]);
  const dw = { ...base, kind: 'DEPTHWISE_CONV_2D' as const, w, wScales: [0.25] };
  assert.deepEqual(run({ ...dw, b: Int32Array.from([10]) }, input), [1]);
  assert.deepEqual(run({ ...dw, b: Int32Array.from([-18]) }, input), [-7]);
});

// 3x3 ones filter, SAME, on a 2x2 image: every window covers all four pixels, padded taps count as the zero point.
// Scales 1 -> multiplier 1.0 = 2^30 with shift 1, so outputs are the raw sums plus the output zero point.
test('SAME padding contributes nothing at input zero points -128 and 127', () => {
  const spec = (zp: number): ConvSpec => ({
    ...base,
    kH: 3,
    kW: 3,
    padding: 'SAME',
    inScale: 1,
    inZeroPoint: zp,
    outScale: 1,
    outZeroPoint: 5,
    w: new Int8Array(9).fill(1),
    b: new Int32Array(1),
    wScales: [1],
  });
  assert.deepEqual(run(spec(-128), [-127, -126, -125, -124]), [15, 15, 15, 15]); // 1+2+3+4 = 10
  assert.deepEqual(run(spec(127), [126, 125, 124, 123]), [-5, -5, -5, -5]); // -10
  assert.deepEqual(run({ ...spec(-128), kind: 'DEPTHWISE_CONV_2D', w: new Int8Array(9).fill(1) }, [-128, -128, -128, -127]), [6, 6, 6, 6]);
});

test('outputs saturate at -128 and 127 and fused activations clamp', () => {
  const w = Int8Array.from([127, 127, 127, 127]);
  const spec = { ...base, w, wScales: [0.25], inZeroPoint: -128, outZeroPoint: 0 };
  assert.deepEqual(run({ ...spec, b: new Int32Array(1) }, [127, 127, 127, 127]), [127]);
  assert.deepEqual(run({ ...spec, b: Int32Array.from([-1000000]) }, [127, 127, 127, 127]), [-128]);
  // RELU6 with output scale 0.5, zero point -3: upper bound -3 + 6 / 0.5 = 9, lower bound -3
  const relu6 = { ...spec, activation: 'RELU6' as const, outZeroPoint: -3 };
  assert.deepEqual(run({ ...relu6, b: new Int32Array(1) }, [127, 127, 127, 127]), [9]);
  assert.deepEqual(run({ ...relu6, b: Int32Array.from([-1000000]) }, [127, 127, 127, 127]), [-3]);
});

// int4 weights take the same arithmetic; -8 is allowed. Input [2, 4, -2, 0] after the zero point.
// Per-channel: channel 0 weights [-8, 7, 0, 1] scale 0.25 -> sum -16 + 28 = 12 -> 12 * 0.25 = 3 -> 3 - 3 = 0.
// Channel 1 weights [1, 1, 1, 1] scale 1.0 -> sum 4 -> 4 * 1.0 = 4 -> 4 - 3 = 1.
test('int4 per-channel weights', () => {
  const spec: ConvSpec = {
    ...base,
    outC: 2,
    wType: 'int4',
    w: Int8Array.from([-8, 7, 0, 1, 1, 1, 1, 1]),
    wScales: [0.25, 1],
    b: new Int32Array(2),
  };
  assert.deepEqual(run(spec, [3, 5, -1, 1]), [0, 1]);
  assert.throws(() => run({ ...spec, w: Int8Array.from([-9, 7, 0, 1, 1, 1, 1, 1]) }, [3, 5, -1, 1]), /outside int4/);
});

// Stride 2, dilation 2 and depth multiplier 2 against sums written out by hand (all scales 1).
test('strides, dilation and depth multiplier', () => {
  const input = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // 3x3x1, zero point 0
  const common = {
    ...base,
    inShape: [1, 3, 3, 1] as [number, number, number, number],
    inScale: 1,
    inZeroPoint: 0,
    outScale: 1,
    outZeroPoint: 0,
    wScales: [1],
  };
  const dilated = { ...common, dilationH: 2, dilationW: 2, w: Int8Array.from([1, 1, 1, 1]), b: new Int32Array(1) };
  assert.deepEqual(run(dilated, input), [1 + 3 + 7 + 9]);
  const strided = { ...common, strideH: 2, strideW: 2, padding: 'SAME' as const, w: Int8Array.from([1, 0, 0, 1]), b: new Int32Array(1) };
  assert.deepEqual(run(strided, input), [1 + 5, 3, 7, 9]); // windows at (0,0), (0,2), (2,0), (2,2)
  const mult = {
    ...common,
    kind: 'DEPTHWISE_CONV_2D' as const,
    outC: 2,
    kH: 1,
    kW: 1,
    w: Int8Array.from([2, -1]),
    wScales: [1, 1],
    b: Int32Array.from([0, 100]),
  };
  assert.deepEqual(
    run(mult, input),
    input.flatMap((v) => [2 * v, 100 - v]),
  );
});
