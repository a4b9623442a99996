// Inputs for the fixed-point rounding tests: multipliers across [1e-6, 4] with the awkward ones on purpose (powers of
// two and their float32 neighbours, significands of few bits), accumulators with ties constructed on purpose.
import assert from 'node:assert/strict';
import { addRescale, type AddRescale } from '../../src/int/add.js';
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// The float32 n ulps away from x (x > 0).
export function ulpStep(x: number, n: number): number {
  f32[0] = x;
  u32[0] = u32[0]! + n;
  return f32[0]!;
}

// Deterministic pseudo-random numbers in [0, 1) (an LCG, so every run sees the same inputs).
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// pow = max(2^rs, 1) with m * 2^rs in [0.5, 1), computed exactly (the kernel's and the ops' per-channel shift).
export function powOf(m: number): number {
  if (!(m > 0 && m < Infinity)) throw new Error(`powOf: ${m} is not a positive finite multiplier`);
  let p = 1;
  while (m * p < 0.5) p *= 2;
  while (m * p >= 1) p /= 2;
  return Math.max(p, 1);
}

// One multiplier of a mixed family: log-uniform, a power of two, one of its neighbours, or q * 2^e with q = j / 2^s
// of few bits (so that products with the accumulator land exactly on half integers).
export function multiplier(rnd: () => number): number {
  const e = Math.floor(rnd() * 22) - 19; // 2^e in [2^-19, 4]
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return Math.fround(Math.exp(Math.log(1e-6) + rnd() * Math.log(4e6)));
    case 1:
      return 2 ** e;
    case 2:
      return ulpStep(2 ** e, -1 - Math.floor(rnd() * 3));
    case 3:
      return ulpStep(2 ** e, 1 + Math.floor(rnd() * 3));
    default: {
      const s = 1 + Math.floor(rnd() * 6);
      const j = s === 1 ? 1 : 2 ** (s - 1) + 1 + 2 * Math.floor(rnd() * 2 ** (s - 2)); // odd, j / 2^s in [0.5, 1)
      return Math.fround((j / 2 ** s) * 2 ** e);
    }
  }
}

// An accumulator for channel multiplier m: a plain integer up to +-2^23, or one built so that a * q is exactly
// k + 0.5, or so that t = floor(a * q + 0.5) is an odd multiple of pow / 2 (the shift's tie).
export function accumulator(m: number, rnd: () => number): number {
  const sign = rnd() < 0.5 ? -1 : 1;
  const pow = powOf(m);
  const q = Math.fround(m * pow);
  const kind = Math.floor(rnd() * 3);
  if (kind === 0) return sign * Math.floor(rnd() * 2 ** Math.floor(1 + rnd() * 23));
  if (kind === 1) {
    // q = odd / 2^s exactly when its significand is short: then a = odd' * 2^(s-1) makes a * q a half integer
    let s = 0;
    while (!Number.isInteger(q * 2 ** s) && s < 24) s++;
    if (s > 0 && s <= 12) return sign * (2 * Math.floor(rnd() * 2 ** (21 - s)) + 1) * 2 ** (s - 1);
  }
  // the integer a whose float32 t is the tie target (every t is reached: consecutive a move a * q by less than 1)
  const target = pow > 1 ? ((2 * Math.floor((rnd() * 2 ** 22) / pow) + 1) * pow) / 2 : Math.floor(rnd() * 2 ** 20);
  const a0 = Math.round(target / q);
  for (let a = a0 - 3; a <= a0 + 3; a++) if (Math.floor(Math.fround(Math.fround(a * q) + 0.5)) === target) return sign * a;
  return sign * a0;
}

// Counts of the two tie kinds among (acc, m) pairs, to show the inputs exercise them.
export function tieCounts(acc: Float32Array, m: Float32Array): { product: number; shift: number } {
  let product = 0;
  let shift = 0;
  acc.forEach((a, i) => {
    const mk = m[i % m.length]!;
    const pow = powOf(mk);
    const x = Math.fround(a * Math.fround(mk * pow));
    if (Math.abs(x % 1) === 0.5) product++;
    const t = Math.floor(Math.fround(x + 0.5));
    if (pow > 1 && ((t % pow) + pow) % pow === pow / 2) shift++;
  });
  return { product, shift };
}

// Parameters and accumulators for the exact rescale kernel (backend/exact-rescale.ts): 48 channels with every
// rounding, every shift from -31 to 7 then typical ones, multipliers at 2^30, near 2^31 and with all 31 bits in use
// (a float32 holds 24 of them); accumulators of both signs up to 2^23, zero and powers of two (exact ties in the shift).
export function rescaleCases(rnd: () => number): { acc: Float32Array; params: Int32Array; channels: number } {
  const channels = 48;
  const params = new Int32Array(3 * channels);
  for (let c = 0; c < channels; c++) {
    const m = c % 6 === 0 ? 2 ** 31 - 1 - (c % 4) : c % 6 === 1 ? 2 ** 30 : 2 ** 30 + Math.floor(rnd() * 2 ** 30);
    const shift = c < 39 ? -31 + c : -1 - Math.floor(rnd() * 12);
    params.set([m, Math.min(shift, 7), c % 3], 3 * c);
  }
  const acc = Float32Array.from({ length: 4096 * channels }, (_, i) => {
    const k = i % 7;
    if (k === 0) return 0;
    if (k === 1) return (rnd() < 0.5 ? -1 : 1) * 2 ** Math.floor(rnd() * 24);
    const shift = params[3 * (i % channels) + 1]!;
    const bound = shift > 0 ? 2 ** (23 - shift) : 2 ** 23; // keep x * 2^shift inside int32 as TFLite requires
    return Math.round((rnd() * 2 - 1) * bound);
  });
  return { acc, params, channels };
}

// Every pair of int8 differences (511 x 511) and four random scale triples of an ADD with their TFLite rescale.
export function addCases(rnd: () => number): {
  v: Float32Array;
  w: Float32Array;
  rescales: { s1: number; s2: number; so: number; r: AddRescale }[];
} {
  const v = Float32Array.from({ length: 511 * 511 }, (_, i) => (i % 511) - 255);
  const w = Float32Array.from({ length: 511 * 511 }, (_, i) => Math.floor(i / 511) - 255);
  const rescales = Array.from({ length: 4 }, () => {
    const [s1, s2] = [Math.fround(0.001 + rnd() * 0.1), Math.fround(0.001 + rnd() * 0.1)];
    const so = Math.fround((s1 + s2) * (0.6 + rnd()));
    return { s1, s2, so, r: addRescale(s1, s2, so, (why) => assert.fail(why)) };
  });
  return { v, w, rescales };
}
