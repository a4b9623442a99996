// The audio processing the synthetic set needs, in process and bit-reproducible (float64 arithmetic in a fixed order,
// filter taps from a fixed formula): resampling by a rational factor and a small room reverb.

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

// Blackman-windowed sinc taps for `phases` fractional positions, `half` zero crossings a side, cutoff `fc` (cycles
// per input sample), each phase normalized to unit DC gain.
function polyphaseTaps(phases: number, half: number, fc: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    const taps = new Float64Array(2 * half);
    let sum = 0;
    for (let k = 0; k < 2 * half; k++) {
      const t = k - half + 1 - frac; // distance from the output position, in input samples
      const x = 2 * fc * t;
      const sinc = t === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const w = (t + half) / (2 * half); // 0..1 across the window
      const win = 0.42 - 0.5 * Math.cos(2 * Math.PI * w) + 0.08 * Math.cos(4 * Math.PI * w);
      taps[k] = 2 * fc * sinc * win;
      sum += taps[k]!;
    }
    for (let k = 0; k < taps.length; k++) taps[k]! /= sum;
    out.push(taps);
  }
  return out;
}

const tapCache = new Map<string, { up: number; down: number; half: number; taps: Float64Array[] }>();

// Resamples `x` from rate `from` to rate `to` (integers): a polyphase windowed-sinc filter with its cutoff just below
// the lower Nyquist frequency.
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return Float32Array.from(x);
  const g = gcd(from, to);
  const key = `${from}/${to}`;
  let f = tapCache.get(key);
  if (!f) {
    const up = to / g;
    const down = from / g;
    const half = 16;
    f = { up, down, half, taps: polyphaseTaps(up, half, (0.47 * Math.min(from, to)) / from) };
    tapCache.set(key, f);
  }
  const n = Math.floor((x.length * f.up) / f.down);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const num = i * f.down; // output i sits at input position num / up
    const base = Math.floor(num / f.up);
    const taps = f.taps[num % f.up]!;
    let acc = 0;
    for (let k = 0; k < taps.length; k++) {
      const j = base + k - f.half + 1;
      if (j >= 0 && j < x.length) acc += x[j]! * taps[k]!;
    }
    out[i] = acc;
  }
  return out;
}

// Schroeder-Moorer room: parallel damped comb filters into series all-passes (the structure of Freeverb), mixed with
// the dry signal. reverberance 0..100 sets the decay, room 0..100 the delay lengths (room size); a tail of
// `tailSeconds` is appended so the decay is not cut off.
export function reverb(x: Float32Array, rate: number, reverberance: number, room: number, tailSeconds = 0.3): Float32Array {
  const scale = (rate / 44100) * (0.6 + (0.8 * room) / 100);
  const combs = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617].map((d) => Math.max(1, Math.round(d * scale)));
  const allpasses = [556, 441, 341, 225].map((d) => Math.max(1, Math.round(d * scale)));
  const feedback = 0.7 + (0.28 * reverberance) / 100;
  const damp = 0.3;
  const wet = 0.12 + (0.25 * reverberance) / 100;
  const n = x.length + Math.round(tailSeconds * rate);
  const out = new Float64Array(n);
  for (const d of combs) {
    const buf = new Float64Array(d);
    let at = 0;
    let low = 0;
    for (let i = 0; i < n; i++) {
      const y = buf[at]!;
      low = y * (1 - damp) + low * damp;
      buf[at] = (i < x.length ? x[i]! : 0) + low * feedback;
      out[i]! += y;
      at = at + 1 === d ? 0 : at + 1;
    }
  }
  for (const d of allpasses) {
    const buf = new Float64Array(d);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[at]!;
      const v = out[i]!;
      buf[at] = v + b * 0.5;
      out[i] = b - v;
      at = at + 1 === d ? 0 : at + 1;
    }
  }
  const mixed = new Float32Array(n);
  for (let i = 0; i < n; i++) mixed[i] = (i < x.length ? x[i]! : 0) + (wet / combs.length) * out[i]!;
  return mixed;
}
