// Seeded weights for the sparsity tests.
import { mulberry32, type Rng } from '../../src/util/rng.js';
import type { PrunableKind, PrunableWeight } from '../../src/compress/sparsity/index.js';

export { mulberry32, type Rng };

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// Values uniform in (-scale, scale), dense mask; `levels` > 0 rounds values to that many steps to create ties.
export function weight(
  rng: Rng,
  name: string,
  kind: PrunableKind,
  shape: number[],
  opts: { role?: PrunableWeight['role']; scale?: number; levels?: number } = {},
): PrunableWeight {
  const scale = opts.scale ?? 1;
  const values = Float32Array.from({ length: size(shape) }, () => {
    const u = rng() * 2 - 1;
    return scale * (opts.levels ? Math.round(u * opts.levels) / opts.levels : u);
  });
  return { name, kind, shape, values, mask: new Float32Array(values.length).fill(1), role: opts.role };
}

// Zeros a random `fraction` of a mask, as an earlier pruning step would have.
export function withRandomZeros(rng: Rng, w: PrunableWeight, fraction: number): PrunableWeight {
  return { ...w, mask: Float32Array.from(w.mask, (m) => (rng() < fraction ? 0 : m)) };
}

export function zeros(mask: Float32Array): number {
  return mask.reduce((s, m) => s + (m === 0 ? 1 : 0), 0);
}

// Every entry pruned before is still pruned after.
export function neverResurrects(before: Float32Array, after: Float32Array): boolean {
  return before.every((m, i) => m !== 0 || after[i] === 0);
}

export function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const v = map.get(key);
  if (v === undefined) throw new Error(`missing ${String(key)}`);
  return v;
}
