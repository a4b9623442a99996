// expf as glibc (2.28 and later) computes it, so that tables TFLite fills with expf can be rebuilt bit for bit:
// x*32/ln2 = k + r, exp(x) = 2^(k/32) * poly(r) evaluated in double, one final rounding to float32.
// The table 2^(j/32) is derived exactly (integer root search) rather than copied.

const N = 32;
const SHIFT = 6755399441055744; // 0x1.8p52: adding it rounds to an integer, ties to even
const INV_LN2_N = 1.4426950408889634 * N; // 0x1.71547652b82fep0 * N
// INV_LN2_N split so that both partial products with a float32 x are exact: r = fma(INV_LN2_N, x, -kd) as the FMA
// build of glibc (the one x86-64 CPUs run) computes it, with one rounding (same form as firmware-harness's expf).
const INV_LN2_HI = 0x1715476 * 2 ** -19; // 0x1.715476p+5
const INV_LN2_LO = INV_LN2_N - INV_LN2_HI;
// poly_scaled: 0x1.c6af84b912394p-5 / N^3, 0x1.ebfce50fac4f3p-3 / N^2, 0x1.62e42ff0c52d6p-1 / N
const C0 = hexFloat('1c6af84b912394', -5) / (N * N * N);
const C1 = hexFloat('1ebfce50fac4f3', -3) / (N * N);
const C2 = hexFloat('162e42ff0c52d6', -1) / N;

// 0x1.<hex>p<exp> from its 53-bit significand written as 14 hex digits.
function hexFloat(significand: string, exp: number): number {
  return Number.parseInt(significand, 16) * 2 ** (exp - 52);
}

// 2^(j/32) rounded to nearest double: the largest m with m^32 <= 2^(j + 52*32) settles the 53-bit significand.
function pow2Fraction(j: number): number {
  const target = 1n << BigInt(j + 52 * 32);
  let lo = 1n << 52n;
  let hi = 1n << 53n;
  while (hi - lo > 1n) {
    const mid = (lo + hi) >> 1n;
    if (mid ** 32n <= target) lo = mid;
    else hi = mid;
  }
  // Round up when (m + 1/2)^32 <= 2^(j + 52*32), i.e. (2m + 1)^32 <= 2^(j + 52*32 + 32).
  const m = (2n * lo + 1n) ** 32n <= target << 32n ? lo + 1n : lo;
  return Number(m) * 2 ** -52;
}

let table: Float64Array | undefined;

function pow2Table(): Float64Array {
  if (!table) table = Float64Array.from({ length: N }, (_, j) => pow2Fraction(j));
  return table;
}

export function expf(xIn: number): number {
  const x = Math.fround(xIn);
  if (Number.isNaN(x)) return x;
  if (x > 88.72283172607422) return Infinity; // log(0x1p128)
  if (x < -103.97207641601562) return 0; // log(0x1p-150)
  const z = INV_LN2_N * x;
  const kd = z + SHIFT - SHIFT;
  const k = kd; // |k| < 150 * 32, an exact integer
  const r = INV_LN2_HI * x - kd + INV_LN2_LO * x;
  const s = pow2Table()[k & (N - 1)] * 2 ** Math.floor(k / N);
  const zz = C0 * r + C1;
  const r2 = r * r;
  let y = C2 * r + 1;
  y = zz * r2 + y;
  return Math.fround(y * s);
}
