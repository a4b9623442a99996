// Training-time augmentation (speed, channel bandwidth, time shift, background noise at a random SNR) and silence
// clips cut from noise.
import { resample } from './dsp.js';
import { type Rng, pick, randInt, uniform } from '../util/rng.js';

export interface AugmentConfig {
  shiftMs: number; // random time shift in ±shiftMs, zero-filled
  noiseProb: number; // chance that a training clip gets background noise
  snrDb: [number, number]; // SNR range of the mixed noise, uniform in dB
  copies?: number; // augmented copies of each training clip (default 1); _silence_ grows to match
  // Played faster or slower by a factor drawn log-uniformly from this range: tempo, pitch and formants move together,
  // as between speakers of different vocal-tract lengths (a factor of 1.12 is about +2 semitones).
  speed?: [number, number];
  bandLimitProb?: number; // chance that a clip passes through a narrower channel (8, 11 or 12 kHz sampling)
}

export const BAND_LIMIT_RATES: readonly number[] = [8000, 11000, 12000];

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

// `x` (rate `rate`) played `factor` times faster, cut or zero-padded about its centre to its own length. The rate it
// is taken to have is rounded to 100 Hz, which keeps the resampler's filters few.
export function changeSpeed(x: Float32Array, rate: number, factor: number): Float32Array {
  const y = resample(x, Math.round((rate * factor) / 100) * 100, rate);
  return fitCentred(y, x.length);
}

// `x` through a channel sampled at `channelRate` (down and back up: nothing above its Nyquist frequency survives).
export function bandLimit(x: Float32Array, rate: number, channelRate: number): Float32Array {
  return fitCentred(resample(resample(x, rate, channelRate), channelRate, rate), x.length);
}

function fitCentred(y: Float32Array, n: number): Float32Array {
  if (y.length === n) return y;
  const out = new Float32Array(n);
  if (y.length > n) out.set(y.subarray((y.length - n) >> 1, ((y.length - n) >> 1) + n));
  else out.set(y, (n - y.length) >> 1);
  return out;
}

// One augmented copy of a training clip; `rng` is the clip's own stream, so results do not depend on order. The
// shift and noise are drawn first, in the order they always were, so a config without speed or band limiting gives
// the same copies as before those existed.
export function augmentClip(rng: Rng, x: Float32Array, sampleRate: number, cfg: AugmentConfig, noise: readonly Float32Array[]): Float32Array {
  const maxShift = Math.round((cfg.shiftMs * sampleRate) / 1000);
  const shift = randInt(rng, -maxShift, maxShift);
  let mix: { n: Float32Array; snrDb: number } | undefined;
  if (noise.length > 0 && rng() < cfg.noiseProb) {
    const n = cutNoise(rng, noise, x.length);
    mix = { n, snrDb: uniform(rng, cfg.snrDb[0], cfg.snrDb[1]) };
  }
  let voice = x;
  if (cfg.speed) voice = changeSpeed(voice, sampleRate, Math.exp(uniform(rng, Math.log(cfg.speed[0]), Math.log(cfg.speed[1]))));
  if (cfg.bandLimitProb !== undefined && rng() < cfg.bandLimitProb) voice = bandLimit(voice, sampleRate, pick(rng, BAND_LIMIT_RATES));
  const out = timeShift(voice, shift);
  return mix ? mixAtSnr(out, mix.n, mix.snrDb) : out;
}

// A `_silence_` clip: background noise scaled by a random gain in [lo, hi]; all zeros without noise recordings.
export function silenceClip(rng: Rng, noise: readonly Float32Array[], length: number, gain: [number, number]): Float32Array {
  if (noise.length === 0) return new Float32Array(length);
  const seg = cutNoise(rng, noise, length);
  const g = uniform(rng, gain[0], gain[1]);
  for (let i = 0; i < seg.length; i++) seg[i] *= g;
  return seg;
}
