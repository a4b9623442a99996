// Seeded streams for the data layer: each item (clip, split, word) gets its own, so results never depend on order.
import { createHash } from 'node:crypto';
import { mulberry32, shuffleInPlace, type Rng } from '../util/rng.js';

export { mulberry32, type Rng };

// A 32-bit seed derived from any parts.
export function seedFrom(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
}

export function rngFor(...parts: (string | number)[]): Rng {
  return mulberry32(seedFrom(...parts));
}

export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

export function randInt(rng: Rng, lo: number, hiInclusive: number): number {
  return lo + Math.floor(rng() * (hiInclusive - lo + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

// Fisher–Yates in place; returns the same array so it chains.
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  shuffleInPlace(items, rng);
  return items;
}
