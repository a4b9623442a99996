// Training-time augmentation (time shift, background noise at a random SNR) and silence clips cut from noise.
import { type Rng, pick, randInt, uniform } from '../util/rng.js';

export interface AugmentConfig {
  shiftMs: number; // random time shift in ±shiftMs, zero-filled
  noiseProb: number; // chance that a training clip gets background noise
  snrDb: [number, number]; // SNR range of the mixed noise, uniform in dB
  copies?: number; // augmented copies of each training clip (default 1); _silence_ grows to match
}

export const DEFAULT_AUGMENT: AugmentConfig = { shiftMs: 100, noiseProb: 0.8, snrDb: [5, 20] };

// Shifts by `shift` samples (positive: later), keeping the length; vacated samples become zero.
export function timeShift(x: Float32Array, shift: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i - shift;
    if (j >= 0 && j < x.length) out[i] = x[j];
  }
  return out;
}

// A `length`-sample segment of a noise recording at a random offset (looped when the recording is shorter).
export function cutNoise(rng: Rng, noise: readonly Float32Array[], length: number): Float32Array {
  const src = pick(rng, noise);
  const start = src.length > length ? randInt(rng, 0, src.length - length) : 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = src[(start + i) % src.length];
  return out;
}

function power(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s / Math.max(1, x.length);
}

// x + g·n with g chosen so that power(x) / power(g·n) is `snrDb`; clipped to [-1, 1].
export function mixAtSnr(x: Float32Array, n: Float32Array, snrDb: number): Float32Array {
  const px = power(x);
  const pn = power(n);
  const out = Float32Array.from(x);
  if (px === 0 || pn === 0) return out;
  const g = Math.sqrt(px / (pn * 10 ** (snrDb / 10)));
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-1, Math.min(1, x[i] + g * n[i]));
  return out;
}

// One augmented copy of a training clip; `rng` is the clip's own stream, so results do not depend on order.
export function augmentClip(rng: Rng, x: Float32Array, sampleRate: number, cfg: AugmentConfig, noise: readonly Float32Array[]): Float32Array {
  const maxShift = Math.round((cfg.shiftMs * sampleRate) / 1000);
  let out = timeShift(x, randInt(rng, -maxShift, maxShift));
  if (noise.length > 0 && rng() < cfg.noiseProb) out = mixAtSnr(out, cutNoise(rng, noise, out.length), uniform(rng, cfg.snrDb[0], cfg.snrDb[1]));
  return out;
}

// A `_silence_` clip: background noise scaled by a random gain in [lo, hi]; all zeros without noise recordings.
export function silenceClip(rng: Rng, noise: readonly Float32Array[], length: number, gain: [number, number]): Float32Array {
  if (noise.length === 0) return new Float32Array(length);
  const seg = cutNoise(rng, noise, length);
  const g = uniform(rng, gain[0], gain[1]);
  for (let i = 0; i < seg.length; i++) seg[i] *= g;
  return seg;
}
