// Unstructured magnitude pruning: zero the smallest |w| until a layer (or the pool of layers) holds exactly
// round(level * n) zeros. Already-pruned entries count towards the zeros and are never brought back.
import { checkLevel, checkOverrides, finishResult, startResult, targetLevel } from './policy.js';
import type { MaskResult, PrunableWeight, UnstructuredOptions } from './types.js';

// Zeros to reach `level` over n entries; halves round up (Math.round).
export function zerosFor(level: number, n: number): number {
  return Math.round(level * n);
}

// Indices of the `count` smallest kept entries, ties at the threshold going to the lower index. A native sort of the
// kept magnitudes finds the threshold; one pass takes everything below it and the first ties at it: the same set a
// (|value|, index) comparator sort gives, several times faster on large layers.
function smallestKept(abs: Float32Array, kept: Uint8Array, count: number): number[] {
  const candidates = abs.filter((_, i) => kept[i] === 1);
  if (count <= 0 || candidates.length === 0) return [];
  const threshold = candidates.sort()[Math.min(count, candidates.length) - 1];
  let below = 0;
  for (let i = 0; i < abs.length; i++) if (kept[i] && abs[i] < threshold) below++;
  let ties = Math.min(count, candidates.length) - below;
  const out: number[] = [];
  for (let i = 0; i < abs.length; i++) {
    if (!kept[i]) continue;
    if (abs[i] < threshold) out.push(i);
    else if (abs[i] === threshold && ties > 0) {
      out.push(i);
      ties--;
    }
  }
  return out;
}

/**
 * LAMP scores (Lee et al., "Layer-adaptive sparsity for magnitude-based pruning", ICLR 2021): a kept weight u of a
 * layer scores w_u^2 / (sum of w_v^2 over the layer's kept weights v with |w_v| >= |w_u|). Within a layer the order
 * is the magnitude order; across layers the score does not depend on a layer's scale, so one global threshold cannot
 * empty a layer whose weights are merely small (a stem fed by large inputs, a layer before batch norm). Pruned
 * entries score 0. Ties in magnitude go to the lower index, as in the pruning itself.
 */
export function lampScores(values: Float32Array, mask: Float32Array): Float32Array {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (mask[i] !== 0) idx.push(i);
  idx.sort((a, b) => Math.abs(values[a]) - Math.abs(values[b]) || a - b);
  const out = new Float32Array(values.length);
  let tail = 0;
  for (let k = idx.length - 1; k >= 0; k--) {
    const w2 = values[idx[k]] * values[idx[k]];
    tail += w2;
    out[idx[k]] = tail > 0 ? w2 / tail : 0;
  }
  return out;
}

// Prunes the concatenation of `members` as one pool: one threshold, exactly round(level * total) zeros.
function prunePool(members: readonly PrunableWeight[], level: number, masks: Map<string, Float32Array>): void {
  const starts = members.map((_, k) => members.slice(0, k).reduce((s, w) => s + w.values.length, 0));
  const total = members.reduce((s, w) => s + w.values.length, 0);
  const abs = new Float32Array(total);
  const kept = new Uint8Array(total);
  let zeros = 0;
  members.forEach((w, k) => {
    const mask = masks.get(w.name) as Float32Array;
    for (let i = 0; i < mask.length; i++) {
      // A NaN has no rank: it would silently stop the pool short of its level.
      if (Number.isNaN(w.values[i])) throw new RangeError(`weight ${w.name}: value ${i} is NaN`);
      abs[starts[k] + i] = Math.abs(w.values[i]);
      kept[starts[k] + i] = mask[i] === 0 ? 0 : 1;
      zeros += 1 - kept[starts[k] + i];
    }
  });
  const more = zerosFor(level, total) - zeros;
  if (more <= 0) return; // already at or past the level: masks only ever lose entries
  let k = 0;
  for (const g of smallestKept(abs, kept, more)) {
    while (k + 1 < members.length && starts[k + 1] <= g) k++; // indices come ascending
    (masks.get(members[k].name) as Float32Array)[g - starts[k]] = 0;
  }
}

/**
 * Magnitude pruning to `level`. 'per-layer': every eligible layer ends with exactly round(level * n) zeros.
 * 'global': one threshold over all eligible layers without a perLayer override, so the pool ends with exactly
 * round(level * total) zeros (ties by layer order, then index); overridden layers are pruned per layer at their own
 * level. A layer already sparser than its target keeps its mask as it is.
 */
export function unstructuredMasks(weights: readonly PrunableWeight[], level: number, opts: UnstructuredOptions): MaskResult {
  checkLevel(level, 'unstructuredMasks');
  checkOverrides(
    weights.map((w) => w.name),
    opts.perLayer,
    'perLayer',
  );
  const result = startResult(weights);
  const pool: PrunableWeight[] = [];
  for (const w of weights) {
    const target = targetLevel(w, level, opts);
    if (target === 0) continue;
    if (opts.scope === 'global' && opts.perLayer?.[w.name] === undefined) pool.push(w);
    else prunePool([w], target, result.masks);
  }
  if (pool.length > 0) prunePool(pool, level, result.masks);
  return finishResult(result);
}
