// Radix-2 FFT for the MFCC frontend: a real frame of N samples -> its N/2+1 power-spectrum bins.

// Precomputed tables for one size; reused for every frame of every clip.
export class RealFft {
  readonly half: number; // N/2: the complex FFT length that carries the real frame
  private readonly rev: Uint32Array; // (N/2) bit-reversal permutation
  private readonly cos: Float64Array; // (N/2) cos(2πk/N), k < N/2
  private readonly sin: Float64Array; // (N/2) sin(2πk/N)
  private readonly re: Float64Array; // (N/2) scratch
  private readonly im: Float64Array; // (N/2) scratch

  constructor(readonly n: number) {
    if (n < 4 || (n & (n - 1)) !== 0) throw new Error(`FFT size ${n} is not a power of two >= 4`);
    const h = n / 2;
    this.half = h;
    this.rev = new Uint32Array(h);
    const bits = Math.log2(h);
    for (let i = 0; i < h; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.cos = new Float64Array(h);
    this.sin = new Float64Array(h);
    for (let k = 0; k < h; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    this.re = new Float64Array(h);
    this.im = new Float64Array(h);
  }

  // In-place complex FFT of length N/2 on (re, im); twiddles for N/2 are every second entry of the N table.
  private complexHalf(): void {
    const { re, im, rev, half: m } = this;
    for (let i = 0; i < m; i++) {
      const j = rev[i];
      if (j > i) {
        [re[i], re[j]] = [re[j], re[i]];
        [im[i], im[j]] = [im[j], im[i]];
      }
    }
    for (let size = 2; size <= m; size <<= 1) {
      const halfSize = size >> 1;
      const step = (2 * m) / size; // index stride into the length-N twiddle table
      for (let start = 0; start < m; start += size) {
        for (let k = 0; k < halfSize; k++) {
          const c = this.cos[k * step];
          const s = -this.sin[k * step];
          const a = start + k;
          const b = a + halfSize;
          const tr = re[b] * c - im[b] * s;
          const ti = re[b] * s + im[b] * c;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }

  // |X[k]|^2 for k = 0..N/2 of the DFT X[k] = Σ x[n] e^{-2πikn/N}; `frame` is zero-padded to N.
  power(frame: ArrayLike<number>, out: Float64Array = new Float64Array(this.half + 1)): Float64Array {
    const { re, im, half: m } = this;
    // Pack even samples into re and odd into im: one N/2 complex FFT computes the N-point real DFT.
    for (let i = 0; i < m; i++) {
      re[i] = 2 * i < frame.length ? frame[2 * i] : 0;
      im[i] = 2 * i + 1 < frame.length ? frame[2 * i + 1] : 0;
    }
    this.complexHalf();
    for (let k = 0; k <= m; k++) {
      const a = k % m;
      const b = (m - k) % m;
      // E[k] and O[k]: DFTs of the even and odd samples, recovered from Z[k] and conj(Z[m-k]).
      const er = 0.5 * (re[a] + re[b]);
      const ei = 0.5 * (im[a] - im[b]);
      const or = 0.5 * (im[a] + im[b]);
      const oi = -0.5 * (re[a] - re[b]);
      const c = k === m ? -1 : this.cos[k]; // twiddle e^{-2πik/N}; at k = N/2 it is -1
      const s = k === m ? 0 : -this.sin[k];
      const xr = er + or * c - oi * s;
      const xi = ei + or * s + oi * c;
      out[k] = xr * xr + xi * xi;
    }
    return out;
  }
}
