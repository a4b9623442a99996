import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentClip, mixAtSnr, silenceClip, timeShift } from '../../src/data/augment.js';
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
