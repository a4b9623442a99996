import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentClip, bandLimit, changeSpeed, cutNoise, mixAtSnr, silenceClip, timeShift } from '../../src/data/augment.js';
import { randInt, uniform } from '../../src/util/rng.js';
import { mulberry32 } from '../../src/util/rng.js';

const ramp = Float32Array.from({ length: 10 }, (_, i) => (i + 1) / 10);

test('time shift moves samples and zero-fills', () => {
  assert.deepEqual([...timeShift(ramp, 3)].map((v) => Math.round(v * 10)), [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...timeShift(ramp, -2)].map((v) => Math.round(v * 10)), [3, 4, 5, 6, 7, 8, 9, 10, 0, 0]);
});

test('noise is mixed at the requested SNR', () => {
  const rng = mulberry32(3);
  const x = Float32Array.from({ length: 16000 }, (_, i) => 0.3 * Math.sin(i / 5));
  const n = Float32Array.from({ length: 16000 }, () => rng() - 0.5);
  const y = mixAtSnr(x, n, 10);
  let ps = 0;
  let pn = 0;
  for (let i = 0; i < x.length; i++) {
    ps += x[i] * x[i];
    pn += (y[i] - x[i]) ** 2;
  }
  assert.ok(Math.abs(10 * Math.log10(ps / pn) - 10) < 0.01, `SNR ${10 * Math.log10(ps / pn)}`);
});

test('augmentation and silence are deterministic by seed and bounded', () => {
  const x = Float32Array.from({ length: 16000 }, (_, i) => 0.5 * Math.sin(i / 7));
  const noise = [Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 1.3))];
  const cfg = { shiftMs: 100, noiseProb: 1, snrDb: [5, 20] as [number, number] };
  assert.deepEqual(augmentClip(mulberry32(7), x, 16000, cfg, noise), augmentClip(mulberry32(7), x, 16000, cfg, noise));
  assert.notDeepEqual(augmentClip(mulberry32(7), x, 16000, cfg, noise), augmentClip(mulberry32(8), x, 16000, cfg, noise));
  const s = silenceClip(mulberry32(1), noise, 16000, [0.5, 0.5]);
  assert.equal(s.length, 16000);
  assert.ok(s.every((v) => Math.abs(v) <= 0.5 + 1e-6));
  assert.ok(s.some((v) => Math.abs(v) > 0.4), 'noise shorter than a clip loops, scaled by the gain');
  assert.ok(silenceClip(mulberry32(1), [], 100, [0, 1]).every((v) => v === 0));
});

// Sign changes of a signal: twice its frequency times its duration for a pure tone.
function crossings(x: Float32Array, from = 0, to = x.length): number {
  let n = 0;
  for (let i = from + 1; i < to; i++) if (x[i - 1]! < 0 !== x[i]! < 0) n++;
  return n;
}
const tone = (hz: number, n = 16000, rate = 16000): Float32Array => Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * (i + 0.5)) / rate));
function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
}

test('a speed change scales every frequency and keeps the clip length', () => {
  for (const f of [0.85, 1.25]) {
    const y = changeSpeed(tone(1000), 16000, f);
    assert.equal(y.length, 16000);
    // the middle 0.6 s, clear of the padding or cut at the ends: 1000 x f Hz
    assert.ok(Math.abs(crossings(y, 3200, 12800) / (2 * 0.6) - 1000 * f) < 5, `factor ${f}: ${crossings(y, 3200, 12800) / 1.2} Hz`);
  }
  // 1.25 x 16 kHz = 20 kHz: a 1 s clip lasts 0.8 s, centred, zeros around it
  const fast = changeSpeed(tone(1000), 16000, 1.25);
  assert.equal(rms(fast, 0, 1500), 0);
  assert.ok(rms(fast, 2000, 14000) > 0.3);
});

test('a band limit removes what the narrower channel cannot carry and keeps the rest', () => {
  const low = bandLimit(tone(1000), 16000, 8000);
  const high = bandLimit(tone(6000), 16000, 8000);
  assert.equal(low.length, 16000);
  assert.ok(Math.abs(rms(low, 1000, 15000) - 0.5 / Math.SQRT2) < 0.01, `1 kHz kept: rms ${rms(low, 1000, 15000)}`);
  assert.ok(rms(high, 1000, 15000) < 0.01, `6 kHz through an 8 kHz channel: rms ${rms(high, 1000, 15000)}`);
  assert.ok(rms(bandLimit(tone(5000), 16000, 12000), 1000, 15000) > 0.3, '5 kHz passes a 12 kHz channel');
});

test('speed and band limits come after the shift and noise draws: without them the copies are as before', () => {
  const x = Float32Array.from({ length: 16000 }, (_, i) => 0.5 * Math.sin(i / 7));
  const noise = [Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * 1.3))];
  const cfg = { shiftMs: 100, noiseProb: 1, snrDb: [5, 20] as [number, number] };
  for (let seed = 1; seed <= 5; seed++) {
    // the shift, the noise cut and the SNR, drawn in that order from the clip's stream
    const r = mulberry32(seed);
    const shift = randInt(r, -1600, 1600);
    assert.ok(r() < 1);
    const n = cutNoise(r, noise, 16000);
    const want = mixAtSnr(timeShift(x, shift), n, uniform(r, 5, 20));
    assert.deepEqual(augmentClip(mulberry32(seed), x, 16000, cfg, noise), want);
    // a speed range of exactly 1 and a band-limit chance of 0 draw after those and change nothing
    assert.deepEqual(augmentClip(mulberry32(seed), x, 16000, { ...cfg, speed: [1, 1], bandLimitProb: 0 }, noise), want);
    assert.notDeepEqual(augmentClip(mulberry32(seed), x, 16000, { ...cfg, speed: [0.9, 1.1] }, noise), want);
  }
});
