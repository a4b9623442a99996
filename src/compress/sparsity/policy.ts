// Which weights a pruning step may touch and at what level, plus helpers every mask function shares.
import type { MaskResult, PolicyOptions, PrunableWeight } from './types.js';

export function checkLevel(level: number, what: string): void {
  if (!(level >= 0 && level <= 1)) throw new RangeError(`${what}: sparsity level ${level} is outside [0, 1]`);
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// A weight whose values, mask and shape disagree would silently prune the wrong entries.
export function checkWeight(w: PrunableWeight): void {
  const n = sizeOf(w.shape);
  if (w.values.length !== n || w.mask.length !== n) {
    throw new RangeError(
      `weight ${w.name}: shape [${w.shape.join(', ')}] has ${n} entries, ` + `values ${w.values.length}, mask ${w.mask.length}`,
    );
  }
}

// An override naming no weight is a typo that would leave a layer at the wrong level.
export function checkOverrides(
  names: Iterable<string>,
  overrides: Record<string, number> | undefined,
  what: 'perLayer' | 'perGroup',
): void {
  if (!overrides) return;
  const known = new Set(names);
  for (const [key, level] of Object.entries(overrides)) {
    const thing = what === 'perGroup' ? 'group' : 'weight';
    if (!known.has(key)) throw new RangeError(`${what}: override '${key}' names no ${thing}`);
    checkLevel(level, `${what}.${key}`);
  }
}

// Level a weight is pruned to: its override if any, 0 for a skipped first/last layer, else the step's level.
export function targetLevel(w: PrunableWeight, level: number, opts: PolicyOptions): number {
  const override = opts.perLayer?.[w.name];
  if (override !== undefined) return override;
  if (opts.skipFirst && w.role === 'first') return 0;
  if (opts.skipLast && w.role === 'last') return 0;
  return level;
}

export function zerosOf(mask: Float32Array): number {
  let zeros = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) zeros++;
  return zeros;
}

export function sparsityOf(mask: Float32Array): number {
  return mask.length === 0 ? 0 : zerosOf(mask) / mask.length;
}

// Validates the weights once and starts a result with a copy of every existing mask.
export function startResult(weights: readonly PrunableWeight[]): MaskResult {
  const masks = new Map<string, Float32Array>();
  for (const w of weights) {
    checkWeight(w);
    if (masks.has(w.name)) throw new RangeError(`weight ${w.name} appears twice`);
    masks.set(
      w.name,
      Float32Array.from(w.mask, (m) => (m === 0 ? 0 : 1)),
    );
  }
  return { masks, sparsity: new Map() };
}

export function finishResult(result: MaskResult): MaskResult {
  for (const [name, mask] of result.masks) result.sparsity.set(name, sparsityOf(mask));
  return result;
}

// The weights with their masks replaced, for chaining pruning steps without a model in between.
export function withMasks(weights: readonly PrunableWeight[], masks: ReadonlyMap<string, Float32Array>): PrunableWeight[] {
  return weights.map((w) => ({ ...w, mask: masks.get(w.name) ?? w.mask }));
}
