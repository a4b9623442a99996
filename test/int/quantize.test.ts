// Multipliers and rounding against an independent BigInt model of TFLite's int64 arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseQuantParams,
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierSingleRounding,
  multiplyByQuantizedMultiplierTiesUp,
  quantizeMultiplier,
  quantizeValue,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../../src/int/quantize.js';
import { rng } from './helpers.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { steRoundAway } from '../../src/compress/quant/fake-quant.js';

const I32_MIN = -(2n ** 31n);

function srdhmBig(a: bigint, b: bigint): bigint {
  if (a === I32_MIN && b === I32_MIN) return 2n ** 31n - 1n;
  const ab = a * b;
  const nudge = ab >= 0n ? 2n ** 30n : 1n - 2n ** 30n;
  return (ab + nudge) / 2n ** 31n; // BigInt division truncates towards zero, as C does
}

function rdpBig(x: bigint, e: bigint): bigint {
  const mask = (1n << e) - 1n;
  const threshold = (mask >> 1n) + (x < 0n ? 1n : 0n);
  return (x >> e) + ((x & mask) > threshold ? 1n : 0n);
}

function mbqmBig(x: number, m: number, s: number): number {
  const left = BigInt(Math.max(s, 0));
  const xs = BigInt.asIntN(32, BigInt(x) << left);
  return Number(rdpBig(srdhmBig(xs, BigInt(m)), BigInt(Math.max(-s, 0))));
}

// frexp + round(q * 2^31) done on the double's exact binary value.
function quantizeMultiplierBig(real: number): { multiplier: number; shift: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, real);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const mant = exp === 0 ? bits & (2n ** 52n - 1n) : (bits & (2n ** 52n - 1n)) | (2n ** 52n);
  const e2 = exp === 0 ? -1074 : exp - 1075; // real = mant * 2^e2
  const bitLen = mant.toString(2).length;
  let shift = e2 + bitLen; // real = (mant / 2^bitLen) * 2^shift, fraction in [0.5, 1)
  const drop = BigInt(bitLen - 31); // q * 2^31 = mant / 2^drop
  let q = drop <= 0n ? mant << -drop : (mant + (1n << (drop - 1n))) >> drop;
  if (q === 2n ** 31n) [q, shift] = [q / 2n, shift + 1];
  return shift < -31 ? { multiplier: 0, shift: 0 } : { multiplier: Number(q), shift };
}

test('quantizeMultiplier equals the exact binary computation on edge and random values', () => {
  const edges = [0.5, 0.49999999, 1 - 1e-9, 1, 1e-10, 2 ** -31, 2 ** -32, 0.75, 1.5, 3.9999999999, 2 ** -31 * 0.9999999999, 0.0001234];
  const r = rng(1);
  const values = [...edges, ...Array.from({ length: 20000 }, () => 2 ** (-34 + r() * 40) * (0.5 + r()))];
  for (const v of values) assert.deepEqual(quantizeMultiplier(v), quantizeMultiplierBig(v), `real ${v}`);
  assert.deepEqual(quantizeMultiplier(0.5), { multiplier: 2 ** 30, shift: 0 });
  assert.deepEqual(quantizeMultiplier(1 - 1e-12), { multiplier: 2 ** 30, shift: 1 }); // rounds up to 2^31, renormalised
  assert.deepEqual(quantizeMultiplier(1e-10), { multiplier: 0, shift: 0 }); // below 2^-31: flushed
  assert.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
});

test('multiplyByQuantizedMultiplier equals the BigInt model on random int32 inputs', () => {
  const r = rng(2);
  for (let i = 0; i < 50000; i++) {
    const x = Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 32)));
    const xi = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, x));
    const m = 2 ** 30 + Math.floor(r() * 2 ** 30);
    const s = Math.floor(r() * 40) - 32; // -32 .. 7
    const shift = Math.max(-31, s);
    assert.equal(multiplyByQuantizedMultiplier(xi, m, shift), mbqmBig(xi, m, shift), `x=${xi} m=${m} s=${shift}`);
  }
});

test('saturatingRoundingDoublingHighMul: saturation and signed nudges', () => {
  assert.equal(saturatingRoundingDoublingHighMul(-(2 ** 31), -(2 ** 31)), 2 ** 31 - 1);
  const r = rng(3);
  for (let i = 0; i < 20000; i++) {
    const a = Math.floor((r() - 0.5) * 2 ** 32);
    const b = Math.floor((r() - 0.5) * 2 ** 32);
    assert.equal(saturatingRoundingDoublingHighMul(a, b), Number(srdhmBig(BigInt(a), BigInt(b))), `${a} * ${b}`);
  }
  // a*b = ±2^30 exactly: half of one unit, rounds away from zero on both sides
  assert.equal(saturatingRoundingDoublingHighMul(2 ** 15, 2 ** 15), 1);
  assert.equal(saturatingRoundingDoublingHighMul(-(2 ** 15), 2 ** 15), 0);
});

test('roundingDivideByPOT: ties go away from zero for positive and negative values', () => {
  assert.equal(roundingDivideByPOT(5, 1), 3);
  assert.equal(roundingDivideByPOT(-5, 1), -3);
  assert.equal(roundingDivideByPOT(6, 2), 2); // 1.5
  assert.equal(roundingDivideByPOT(-6, 2), -2); // -1.5
  assert.equal(roundingDivideByPOT(-7, 2), -2); // -1.75
  assert.equal(roundingDivideByPOT(-5, 2), -1); // -1.25
  assert.equal(roundingDivideByPOT(2 ** 31 - 1, 31), 1);
  assert.equal(roundingDivideByPOT(-(2 ** 31), 31), -1);
  const r = rng(4);
  for (let i = 0; i < 20000; i++) {
    const x = Math.floor((r() - 0.5) * 2 ** 32);
    const e = Math.floor(r() * 32);
    assert.equal(roundingDivideByPOT(x, e), Number(rdpBig(BigInt(x), BigInt(e))));
  }
});

test('ties-up (ruy GEMM) and single-rounding variants equal their BigInt definitions', () => {
  const r = rng(5);
  for (let i = 0; i < 30000; i++) {
    const x = Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 31)));
    const m = 2 ** 30 + Math.floor(r() * 2 ** 30);
    const shift = Math.floor(r() * 32) - 31;
    const ab = BigInt(x) * BigInt(m);
    const high = (ab + 2n ** 30n) >> 31n; // floor: equals SRDHM
    const e = BigInt(-shift);
    const tiesUp = e === 0n ? high : (high + (1n << (e - 1n))) >> e;
    assert.equal(multiplyByQuantizedMultiplierTiesUp(x, m, shift), Number(tiesUp), `x=${x} m=${m} s=${shift}`);
    const t = BigInt(31 - shift);
    assert.equal(multiplyByQuantizedMultiplierSingleRounding(x, m, shift), Number((ab + (1n << (t - 1n))) >> t));
  }
  // -3.5 exactly: ties up gives -3, the reference rounding gives -4
  assert.equal(multiplyByQuantizedMultiplierTiesUp(-14, 2 ** 30, -1), -3);
  assert.equal(multiplyByQuantizedMultiplier(-14, 2 ** 30, -1), -4);
  assert.equal(multiplyByQuantizedMultiplierTiesUp(14, 2 ** 30, -1), 4);
  assert.equal(multiplyByQuantizedMultiplier(14, 2 ** 30, -1), 4);
});

test('chooseQuantParams widens to include zero and nudges the zero point', () => {
  assert.deepEqual(chooseQuantParams(-1, 1), { scale: Math.fround(2 / 255), zeroPoint: -1 }); // -0.5 rounds away from 0
  const pos = chooseQuantParams(0.5, 2.55);
  assert.equal(pos.zeroPoint, -128);
  assert.equal(pos.scale, Math.fround(2.55 / 255));
  const neg = chooseQuantParams(-2.55, -1);
  assert.equal(neg.zeroPoint, 127);
  const mid = chooseQuantParams(-0.2, 0.8); // zero point -128 + 0.2 * 255
  assert.equal(mid.zeroPoint, -77);
  assert.deepEqual(chooseQuantParams(0, 0), { scale: 1, zeroPoint: 0 });
});

test('one input rule: the float32 quotient rounded half away from zero, on the host and in the QAT forward', async () => {
  // x / scale is 22.4999998 in double but exactly 22.5 in float32, where TFLite's QUANTIZE divides.
  const [x, scale] = [1.2060041427612305, 0.05360018461942673];
  assert.equal(quantizeValue(x, scale, 0), 23);
  assert.equal(quantizeValue(-2.798295021057129, 0.0788252130150795, 0), -36);
  assert.equal(quantizeValue(x, scale, 10), 33);
  const t = tf.tensor1d([2.5, -2.5, 0.49999997, -0.49999997, 1.4999999, 0.5, -0.5, 127.5]);
  assert.deepEqual(
    Array.from(await steRoundAway(t).data(), (v) => v + 0),
    [3, -3, 0, 0, 1, 1, -1, 128],
  );
  t.dispose();
  const q = steRoundAway(tf.div(tf.scalar(x), tf.scalar(scale)));
  assert.equal((await q.data())[0], 23, 'the QAT forward rounds the same input the same way');
  q.dispose();
});
