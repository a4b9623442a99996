// The MFCC frontend's FFT in float32 arithmetic, operation for operation what firmware-harness/frontend/pqk_mfcc.c
// computes: every product, sum and quotient rounded to float32 (Math.fround) in the C expression order, so the C
// frontend on any IEEE-754 single-precision machine gives these exact bits. Do not reorder an expression here
// without the same change there.
const F = Math.fround;

// One size's float32 twiddles: cos(2πk/N) and sin(2πk/N) for k < N/2, computed in float64 and rounded once.
export function twiddles(n: number): { cos: Float32Array; sin: Float32Array } {
  if (n < 4 || (n & (n - 1)) !== 0) throw new Error(`FFT size ${n} is not a power of two >= 4`);
  const h = n / 2;
  const cos = new Float32Array(h);
  const sin = new Float32Array(h);
  for (let k = 0; k < h; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  return { cos, sin };
}

// In-place complex FFT of length m = N/2 on (re, im), radix 2, decimation in time; twiddles of the length-N table
// at stride N/size.
export function complexFft(re: Float32Array, im: Float32Array, cos: Float32Array, sin: Float32Array): void {
  const m = re.length;
  for (let i = 1, j = 0; i < m; i++) {
    let bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i];
      re[i] = re[j];
      re[j] = tr;
      const ti = im[i];
      im[i] = im[j];
      im[j] = ti;
    }
  }
  for (let size = 2; size <= m; size <<= 1) {
    const half = size >> 1;
    const step = (2 * m) / size;
    for (let start = 0; start < m; start += size) {
      for (let k = 0; k < half; k++) {
        const c = cos[k * step];
        const s = -sin[k * step];
        const a = start + k;
        const b = a + half;
        const tr = F(F(re[b] * c) - F(im[b] * s));
        const ti = F(F(re[b] * s) + F(im[b] * c));
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] = re[a] + tr;
        im[a] = im[a] + ti;
      }
    }
  }
}

// |X[k]|² of bin k of the N-point real DFT, from the N/2-point complex FFT Z of the even (re) and odd (im) samples.
function binPower(re: Float32Array, im: Float32Array, cos: Float32Array, sin: Float32Array, k: number): number {
  const m = re.length;
  const a = k % m;
  const b = (m - k) % m;
  const er = F(0.5 * F(re[a] + re[b]));
  const ei = F(0.5 * F(im[a] - im[b]));
  const or = F(0.5 * F(im[a] + im[b]));
  const oi = F(-0.5 * F(re[a] - re[b]));
  const c = k === m ? -1 : cos[k]; // twiddle e^{-2πik/N}; at k = N/2 it is -1
  const s = k === m ? 0 : -sin[k];
  const xr = F(F(er + F(or * c)) - F(oi * s));
  const xi = F(F(ei + F(or * s)) + F(oi * c));
  return F(F(xr * xr) + F(xi * xi));
}

// After complexFft: the power spectrum P[0..m] written over the FFT in place, P[k] in re[k] for k < m and P[m] in
// im[0]. Bins k and m - k read the same four values, so each pair is computed before it is overwritten.
export function powerInPlace(re: Float32Array, im: Float32Array, cos: Float32Array, sin: Float32Array): void {
  const m = re.length;
  const p0 = binPower(re, im, cos, sin, 0);
  const pm = binPower(re, im, cos, sin, m);
  re[0] = p0;
  im[0] = pm;
  for (let k = 1; k < m - k; k++) {
    const pk = binPower(re, im, cos, sin, k);
    const pmk = binPower(re, im, cos, sin, m - k);
    re[k] = pk;
    re[m - k] = pmk;
  }
  re[m >> 1] = binPower(re, im, cos, sin, m >> 1);
}
