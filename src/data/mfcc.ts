// The KWS MFCC frontend (49 frames x 10 coefficients); docs/frontend.md states every step for firmware.
import { RealFft } from './fft.js';
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

export interface Mfcc {
  params: MfccParams;
  // (frames * coefficients), frame-major: out[t * coefficients + j]. Input int16, or float scaled like x / 32768.
  compute(samples: Int16Array | Float32Array, out?: Float32Array): Float32Array;
  // (melBands) log mel energies of one frame of windowSamples samples (float scale), before the DCT.
  logMel(frame: ArrayLike<number>): Float64Array;
}

export function createMfcc(params: MfccParams = KWS_MFCC): Mfcc {
  checkParams(params);
  const win = hannWindow(windowSamples(params));
  const hop = hopSamples(params);
  const fft = new RealFft(params.fftSize);
  const mel = melFilterbank(params);
  const dct = dctMatrix(params.coefficients, params.melBands);
  // Each triangle covers a few bins; summing only those makes the filterbank ~40x cheaper.
  const support = mel.map(nonZeroRange);
  const framed = new Float64Array(win.length);
  const power = new Float64Array(params.fftSize / 2 + 1);
  const logMel = (frame: ArrayLike<number>): Float64Array => {
    for (let n = 0; n < win.length; n++) framed[n] = (n < frame.length ? frame[n] : 0) * win[n];
    fft.power(framed, power);
    return Float64Array.from(mel, (row, b) => {
      let e = 0;
      for (let k = support[b][0]; k < support[b][1]; k++) e += row[k] * power[k];
      return Math.log(e + LOG_FLOOR);
    });
  };
  const compute = (samples: Int16Array | Float32Array, out = new Float32Array(params.frames * params.coefficients)): Float32Array => {
    const scale = samples instanceof Int16Array ? 1 / 32768 : 1;
    // Pad with zeros or trim to exactly one clip.
    const clip = new Float64Array(params.clipSamples);
    for (let i = 0; i < Math.min(samples.length, clip.length); i++) clip[i] = samples[i] * scale;
    for (let t = 0; t < params.frames; t++) {
      const lm = logMel(clip.subarray(t * hop, t * hop + win.length));
      for (let j = 0; j < params.coefficients; j++) {
        let c = 0;
        for (let b = 0; b < lm.length; b++) c += dct[j][b] * lm[b];
        out[t * params.coefficients + j] = c;
      }
    }
    return out;
  };
  return { params, compute, logMel };
}
