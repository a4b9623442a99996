// Inputs for the fixed-point rounding tests: multipliers across [1e-6, 4] with the awkward ones on purpose (powers of
// two and their float32 neighbours, significands of few bits), accumulators with ties constructed on purpose.
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
