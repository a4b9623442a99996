// N:M semi-structured pruning along input channels: in every run of M consecutive input channels at most N weights
// stay, the pattern sparse tensor cores and N:M kernels read.
import { checkOverrides, finishResult, startResult, targetLevel } from './policy.js';
import type { MaskResult, PolicyOptions, PrunableWeight } from './types.js';

// Weights a group of `size` < M input channels keeps: ceil(N * size / M), in integers so 2:4 of 2 keeps exactly 1.
export function nmKeep(n: number, m: number, size: number): number {
  return Math.floor((n * size + m - 1) / m);
}

// A weight seen as (rows, inC, outC): conv [kh, kw, inC, outC] -> (kh*kw, inC, outC); dense [in, out] -> (1, in, out).
function reductionView(w: PrunableWeight): { rows: number; inC: number; outC: number } {
  const s = w.shape;
  if (w.kind === 'conv' && s.length === 4) return { rows: s[0] * s[1], inC: s[2], outC: s[3] };
  if (w.kind === 'dense' && s.length === 2) return { rows: 1, inC: s[0], outC: s[1] };
  throw new RangeError(`weight ${w.name}: ${w.kind} shape [${s.join(', ')}] is not [kh, kw, inC, outC] or [in, out]`);
}

// Keeps the `keep` best members of one group; an already-pruned member ranks below every kept one and stays pruned.
function pruneGroup(values: Float32Array, mask: Float32Array, members: number[], keep: number): void {
  const score = (i: number): number => (mask[i] === 0 ? -1 : Math.abs(values[i]));
  const ranked = members.slice().sort((a, b) => score(b) - score(a) || a - b);
  for (let r = keep; r < ranked.length; r++) mask[ranked[r]] = 0;
}

function pruneNm(w: PrunableWeight, mask: Float32Array, n: number, m: number): void {
  const { rows, inC, outC } = reductionView(w);
  const members: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outC; o++) {
      for (let c0 = 0; c0 < inC; c0 += m) {
        const size = Math.min(m, inC - c0);
        members.length = 0;
        for (let c = c0; c < c0 + size; c++) members.push((r * inC + c) * outC + o);
        pruneGroup(w.values, mask, members, size === m ? n : nmKeep(n, m, size));
      }
    }
  }
}

/**
 * N:M masks (2:4, 1:4, ...). Conv: for each (kh, kw, out), consecutive groups of M input channels keep their N largest
 * |w|; dense: groups of M along `in` for each out. Depthwise weights have no input-channel reduction and keep their
 * mask unchanged. When inC is not a multiple of M the last partial group of `size` channels keeps ceil(N * size / M).
 * Only a perLayer override of 0 matters here (the layer is left alone): the pattern fixes the level at 1 - N/M.
 */
export function nmMasks(weights: readonly PrunableWeight[], n: number, m: number, opts: PolicyOptions = {}): MaskResult {
  if (!(Number.isInteger(n) && Number.isInteger(m) && n >= 1 && n <= m)) {
    throw new RangeError(`nmMasks: ${n}:${m} is not a pattern with integers 1 <= N <= M`);
  }
  checkOverrides(
    weights.map((w) => w.name),
    opts.perLayer,
    'perLayer',
  );
  const result = startResult(weights);
  for (const w of weights) {
    if (w.kind === 'depthwise' || targetLevel(w, 1, opts) === 0) continue;
    pruneNm(w, result.masks.get(w.name) as Float32Array, n, m);
  }
  return finishResult(result);
}
