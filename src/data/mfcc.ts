// The KWS MFCC frontend (49 frames x 10 coefficients); docs/frontend.md states every step for firmware.
// The computation is float32 arithmetic in a fixed order on tables rounded to float32 once (mfccTables), so that
// firmware-harness/frontend/pqk_mfcc.c, given the same tables, produces the same bits on the device: the features a
// model was trained on are the features it receives.
import { complexFft, powerInPlace, twiddles } from './fft.js';
import type { MfccParams } from './types.js';

export const KWS_MFCC: MfccParams = {
  sampleRate: 16000,
  clipSamples: 16000,
  windowMs: 40,
  hopMs: 20,
  fftSize: 1024,
  melBands: 40,
  lowHz: 20,
  highHz: 4000,
  coefficients: 10,
  frames: 49,
};

export const LOG_FLOOR = 1e-6; // log(mel + 1e-6): keeps silent bands finite

export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700); // HTK mel scale
}

export function windowSamples(p: MfccParams): number {
  return Math.round((p.sampleRate * p.windowMs) / 1000);
}

export function hopSamples(p: MfccParams): number {
  return Math.round((p.sampleRate * p.hopMs) / 1000);
}

// Periodic Hann: w[n] = 0.5 - 0.5 cos(2πn/L), n = 0..L-1 (as tf.signal.hann_window's default).
export function hannWindow(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let n = 0; n < length; n++) w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / length);
  return w;
}

// (melBands, fftSize/2 + 1) triangular weights, linear in mel, peak 1, no area normalisation.
export function melFilterbank(p: MfccParams): Float64Array[] {
  const bins = p.fftSize / 2 + 1;
  const lo = hzToMel(p.lowHz);
  const hi = hzToMel(p.highHz);
  const edges = Array.from({ length: p.melBands + 2 }, (_, i) => lo + ((hi - lo) * i) / (p.melBands + 1));
  const binMel = Array.from({ length: bins }, (_, k) => hzToMel((k * p.sampleRate) / p.fftSize));
  return Array.from({ length: p.melBands }, (_, b) => {
    const row = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const up = (binMel[k] - edges[b]) / (edges[b + 1] - edges[b]);
      const down = (edges[b + 2] - binMel[k]) / (edges[b + 2] - edges[b + 1]);
      row[k] = Math.max(0, Math.min(up, down));
    }
    return row;
  });
}

// (coefficients, melBands) orthonormal DCT-II rows.
export function dctMatrix(coefficients: number, bands: number): Float64Array[] {
  return Array.from({ length: coefficients }, (_, j) => {
    const scale = Math.sqrt((j === 0 ? 1 : 2) / bands);
    const row = new Float64Array(bands);
    for (let b = 0; b < bands; b++) row[b] = scale * Math.cos((Math.PI * j * (b + 0.5)) / bands);
    return row;
  });
}

// [first, last + 1) of the non-zero weights; [0, 0) for an empty row.
function nonZeroRange(row: Float64Array): [number, number] {
  let lo = 0;
  let hi = row.length;
  while (lo < hi && row[lo] === 0) lo++;
  while (hi > lo && row[hi - 1] === 0) hi--;
  return [lo, hi];
}

function checkParams(p: MfccParams): void {
  const frames = 1 + Math.floor((p.clipSamples - windowSamples(p)) / hopSamples(p));
  if (frames !== p.frames) throw new Error(`MFCC params give ${frames} frames, params say ${p.frames}`);
  if (windowSamples(p) > p.fftSize) throw new Error(`MFCC window ${windowSamples(p)} is longer than fftSize ${p.fftSize}`);
  if (p.highHz > p.sampleRate / 2) throw new Error(`MFCC highHz ${p.highHz} is above Nyquist`);
}

// Every constant of the computation, rounded to float32 once: what the C bundle's frontend tables hold.
export interface MfccTables {
  params: MfccParams;
  window: Float32Array; // (windowSamples) periodic Hann divided by 32768: int16 sample x window = scaled sample
  cos: Float32Array; // (fftSize / 2) cos(2πk / fftSize)
  sin: Float32Array; // (fftSize / 2) sin(2πk / fftSize)
  melStart: Uint16Array; // (melBands) first bin with a non-zero weight
  melLength: Uint16Array; // (melBands) bins with non-zero weights
  melOffset: Uint16Array; // (melBands) where band b's weights start in melWeights
  melWeights: Float32Array; // the non-zero weights, band after band
  dct: Float32Array; // (coefficients x melBands) orthonormal DCT-II, row-major
  logFloor: number; // float32(1e-6)
}

export function mfccTables(params: MfccParams = KWS_MFCC): MfccTables {
  checkParams(params);
  const window = Float32Array.from(hannWindow(windowSamples(params)), (w) => w / 32768);
  const { cos, sin } = twiddles(params.fftSize);
  const mel = melFilterbank(params);
  const ranges = mel.map(nonZeroRange);
  const melStart = Uint16Array.from(ranges, (r) => r[0]);
  const melLength = Uint16Array.from(ranges, (r) => r[1] - r[0]);
  const melOffset = new Uint16Array(params.melBands);
  for (let b = 1; b < params.melBands; b++) melOffset[b] = melOffset[b - 1] + melLength[b - 1];
  const melWeights = new Float32Array(melOffset[params.melBands - 1] + melLength[params.melBands - 1]);
  mel.forEach((row, b) => melWeights.set(row.subarray(ranges[b][0], ranges[b][1]), melOffset[b]));
  const dct = new Float32Array(params.coefficients * params.melBands);
  dctMatrix(params.coefficients, params.melBands).forEach((row, j) => dct.set(row, j * params.melBands));
  return { params, window, cos, sin, melStart, melLength, melOffset, melWeights, dct, logFloor: Math.fround(LOG_FLOOR) };
}

const F = Math.fround;
const LN2_F = F(Math.LN2);
const LN_C3 = F(1 / 3);
const LN_C5 = F(1 / 5);
const LN_C7 = F(1 / 7);
const LN_C9 = F(1 / 9);
const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

// Natural log of a positive normal float32 in float32 arithmetic (pqk_mfcc.c's pqk_mfcc_ln, bit for bit):
// x = 2^k m with m in [√2/2, √2], ln m = 2 atanh(s) = 2s (1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9), s = (m - 1)/(m + 1).
// Within 2 ulp of the true log; what matters is that both sides compute the same.
export function lnF32(x: number): number {
  bitsF32[0] = x;
  let bits = bitsU32[0];
  let k = (bits >>> 23) - 127;
  bits = (bits & 0x7fffff) | 0x3f800000;
  if (bits > 0x3fb504f3) {
    bits -= 0x00800000;
    k += 1;
  }
  bitsU32[0] = bits;
  const f = F(bitsF32[0] - 1);
  const s = F(f / F(2 + f));
  const z = F(s * s);
  const r = F(z * F(LN_C3 + F(z * F(LN_C5 + F(z * F(LN_C7 + F(z * LN_C9)))))));
  const s2 = F(2 * s);
  return F(F(k * LN2_F) + F(s2 + F(s2 * r)));
}

export interface Mfcc {
  params: MfccParams;
  tables: MfccTables;
  // (frames * coefficients), frame-major: out[t * coefficients + j]. Input int16, or float scaled like x / 32768
  // (a float input that is not a multiple of 2^-15 is used as it is: only int16 input has a firmware equivalent).
  compute(samples: Int16Array | Float32Array, out?: Float32Array): Float32Array;
  // (melBands) log mel energies of one frame of windowSamples samples (float scale), before the DCT.
  logMel(frame: ArrayLike<number>): Float32Array;
}

export function createMfcc(params: MfccParams = KWS_MFCC): Mfcc {
  const t = mfccTables(params);
  const L = t.window.length;
  const hop = hopSamples(params);
  const m = params.fftSize / 2;
  const re = new Float32Array(m);
  const im = new Float32Array(m);
  const lm = new Float32Array(params.melBands);
  // The clip in int16 units (x 32768: exact for int16 and for floats on the 2^-15 grid), zero-padded or trimmed to
  // one clip; a frame's sample times window / 32768 is then one float32 rounding, as the C frontend's
  // (float)sample * window[n].
  const clip = new Float32Array(params.clipSamples);
  const logMelAt = (base: number): Float32Array => {
    for (let i = 0; i < m; i++) {
      const n0 = 2 * i;
      re[i] = n0 < L ? F(clip[base + n0] * t.window[n0]) : 0;
      im[i] = n0 + 1 < L ? F(clip[base + n0 + 1] * t.window[n0 + 1]) : 0;
    }
    complexFft(re, im, t.cos, t.sin);
    powerInPlace(re, im, t.cos, t.sin);
    for (let b = 0; b < params.melBands; b++) {
      let e = 0;
      const k0 = t.melStart[b];
      const w0 = t.melOffset[b];
      for (let i = 0; i < t.melLength[b]; i++) {
        const k = k0 + i;
        e = F(e + F(t.melWeights[w0 + i] * (k === m ? im[0] : re[k])));
      }
      lm[b] = lnF32(F(e + t.logFloor));
    }
    return lm;
  };
  const load = (samples: ArrayLike<number>, scale: number): void => {
    clip.fill(0);
    const len = Math.min(samples.length, clip.length);
    for (let i = 0; i < len; i++) clip[i] = samples[i] * scale;
  };
  const logMel = (frame: ArrayLike<number>): Float32Array => {
    load(frame, 32768);
    return Float32Array.from(logMelAt(0));
  };
  const compute = (samples: Int16Array | Float32Array, out = new Float32Array(params.frames * params.coefficients)): Float32Array => {
    load(samples, samples instanceof Int16Array ? 1 : 32768);
    for (let f = 0; f < params.frames; f++) {
      const l = logMelAt(f * hop);
      for (let j = 0; j < params.coefficients; j++) {
        let c = 0;
        const row = j * params.melBands;
        for (let b = 0; b < params.melBands; b++) c = F(c + F(t.dct[row + b] * l[b]));
        out[f * params.coefficients + j] = c;
      }
    }
    return out;
  };
  return { params, tables: t, compute, logMel };
}
