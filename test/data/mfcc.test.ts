import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMfcc, KWS_MFCC } from '../../src/data/mfcc.js';

const P = KWS_MFCC;

// Independent MFCC of one frame: naive DFT, Hz-domain triangle evaluation, direct DCT-II sum.
function naiveFrameMfcc(frame: Float64Array): number[] {
  const N = 1024;
  const L = 640;
  const x = Array.from({ length: L }, (_, n) => frame[n] * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / L)));
  const power: number[] = [];
  for (let k = 0; k <= N / 2; k++) {
    let re = 0;
    let im = 0;
    for (let n = 0; n < L; n++) {
      re += x[n] * Math.cos((2 * Math.PI * k * n) / N);
      im -= x[n] * Math.sin((2 * Math.PI * k * n) / N);
    }
    power.push(re * re + im * im);
  }
  const mel = (f: number): number => 2595 * Math.log10(1 + f / 700);
  const step = (mel(4000) - mel(20)) / 41;
  const logMel: number[] = [];
  for (let b = 0; b < 40; b++) {
    const [l, c, r] = [mel(20) + b * step, mel(20) + (b + 1) * step, mel(20) + (b + 2) * step];
    let e = 0;
    for (let k = 0; k <= N / 2; k++) {
      const m = mel((k * 16000) / N);
      if (m > l && m < r) e += power[k] * (m <= c ? (m - l) / (c - l) : (r - m) / (r - c));
    }
    logMel.push(Math.log(e + 1e-6));
  }
  return Array.from({ length: 10 }, (_, j) => {
    let s = 0;
    for (let b = 0; b < 40; b++) s += logMel[b] * Math.cos((Math.PI * j * (b + 0.5)) / 40);
    return s * Math.sqrt((j === 0 ? 1 : 2) / 40);
  });
}

function chirpNoise(n: number): Float32Array {
  // Deterministic wide-band test signal: a chirp plus a cheap LCG noise.
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = 0.4 * Math.sin(2 * Math.PI * (100 + (i / n) * 3000) * (i / 16000)) + 0.1 * (s / 2147483648 - 0.5);
  }
  return x;
}

test('MFCC equals a naive DFT / mel / DCT computation on one frame', () => {
  const x = chirpNoise(16000);
  const out = createMfcc().compute(x);
  assert.equal(out.length, 49 * 10);
  for (const t of [0, 7, 48]) {
    const frame = Float64Array.from(x.subarray(t * 320, t * 320 + 640));
    const want = naiveFrameMfcc(frame);
    for (let j = 0; j < 10; j++) assert.ok(Math.abs(out[t * 10 + j] - want[j]) < 1e-3, `frame ${t} coef ${j}: ${out[t * 10 + j]} vs ${want[j]}`);
  }
});

test('silence gives c0 = sqrt(40) ln(1e-6) and zero higher coefficients', () => {
  const out = createMfcc().compute(new Int16Array(16000));
  for (let t = 0; t < 49; t++) {
    assert.ok(Math.abs(out[t * 10] - Math.sqrt(40) * Math.log(1e-6)) < 1e-4);
    for (let j = 1; j < 10; j++) assert.ok(Math.abs(out[t * 10 + j]) < 1e-4);
  }
});

test('a 1 kHz sine peaks in the mel band centred nearest 1 kHz and is the same in every frame', () => {
  const sine = (amp: number): Float32Array => Float32Array.from({ length: 16000 }, (_, i) => amp * Math.sin((2 * Math.PI * 1000 * i) / 16000));
  const mfcc = createMfcc();
  const lm = mfcc.logMel(sine(0.5).subarray(0, 640));
  const mel = (f: number): number => 2595 * Math.log10(1 + f / 700);
  const centres = Array.from({ length: 40 }, (_, b) => mel(20) + ((b + 1) * (mel(4000) - mel(20))) / 41);
  const nearest = centres.reduce((best, c, b) => (Math.abs(c - mel(1000)) < Math.abs(centres[best] - mel(1000)) ? b : best), 0);
  const peak = lm.reduce((best, v, b) => (v > lm[best] ? b : best), 0);
  assert.equal(peak, nearest);
  // Sine power (A·Σw/2)² = (0.5·320/2)² = 6400 lands on bin 64 (1 kHz exactly) and splits over the two bands around it.
  const lm2 = mfcc.logMel(sine(1).subarray(0, 640));
  assert.ok(Math.abs(lm2[peak] - lm[peak] - Math.log(4)) < 1e-6, 'doubling amplitude adds ln 4 to the peak band');
  const out = mfcc.compute(sine(0.5));
  // 320-sample hop is a whole number of 16-sample periods, so every frame sees the same samples.
  for (let t = 1; t < 49; t++) for (let j = 0; j < 10; j++) assert.ok(Math.abs(out[t * 10 + j] - out[j]) < 1e-4);
});

test('clips are zero-padded or trimmed to 16000 samples; int16 input is scaled by 1/32768', () => {
  const mfcc = createMfcc();
  const x = chirpNoise(20000);
  const padded = new Float32Array(16000);
  padded.set(x.subarray(0, 8000));
  assert.deepEqual(mfcc.compute(x.subarray(0, 8000)), mfcc.compute(padded));
  assert.deepEqual(mfcc.compute(x), mfcc.compute(x.subarray(0, 16000)));
  const ints = Int16Array.from(x.subarray(0, 16000), (v) => Math.round(v * 32768));
  const floats = Float32Array.from(ints, (v) => v / 32768);
  assert.deepEqual(mfcc.compute(ints), mfcc.compute(floats));
  assert.equal(P.frames, 49);
});
