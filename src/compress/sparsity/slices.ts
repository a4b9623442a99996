// Addressing "channel i of a group" inside a weight: the entries of the weight's slice(s) along one axis.
import { sizeOf } from './policy.js';
import type { ChannelGroup, ChannelSliceRef, PrunableWeight } from './types.js';

// A reference resolved against a weight's shape: flat index = (o * dim + a) * inner + i for axis index a.
export interface ResolvedSlice {
  weight: string;
  outer: number; // prod(shape[0 .. axis))
  dim: number; // shape[axis]
  inner: number; // prod(shape(axis .. end])
  indicesOf: (channel: number) => number[]; // axis indices that carry the group's channel
}

type ShapeOf = (name: string) => readonly number[] | undefined;

function resolve(ref: ChannelSliceRef, group: ChannelGroup, shapeOf: ShapeOf): ResolvedSlice {
  const shape = shapeOf(ref.weight);
  const where = `group ${group.id}: weight ${ref.weight}`;
  if (!shape) throw new RangeError(`${where} is not among the weights`);
  if (!(Number.isInteger(ref.axis) && ref.axis >= 0 && ref.axis < shape.length)) {
    throw new RangeError(`${where}: axis ${ref.axis} is outside shape [${shape.join(', ')}]`);
  }
  const dim = shape[ref.axis];
  const s = group.size;
  const outer = sizeOf(shape.slice(0, ref.axis));
  const slice = { weight: ref.weight, outer, dim, inner: sizeOf(shape.slice(ref.axis + 1)) };
  if (dim === s) return { ...slice, indicesOf: (c) => [c] };
  const r = dim / s;
  if (!Number.isInteger(r) || ref.expand === undefined) {
    throw new RangeError(`${where}: axis ${ref.axis} has ${dim} entries for ${s} channels (expand needs a multiple)`);
  }
  const span = Array.from({ length: r }, (_, k) => k);
  if (ref.expand === 'interleaved') return { ...slice, indicesOf: (c) => span.map((k) => k * s + c) };
  return { ...slice, indicesOf: (c) => span.map((k) => c * r + k) };
}

export interface ResolvedGroup {
  producers: ResolvedSlice[];
  passthrough: ResolvedSlice[];
  consumers: ResolvedSlice[];
  all: ResolvedSlice[];
}

export function resolveGroup(group: ChannelGroup, shapes: readonly Pick<PrunableWeight, 'name' | 'shape'>[]): ResolvedGroup {
  if (!(Number.isInteger(group.size) && group.size >= 1)) throw new RangeError(`group ${group.id}: size ${group.size}`);
  if (group.producers.length === 0) throw new RangeError(`group ${group.id}: no producers to score channels by`);
  const byName = new Map(shapes.map((w) => [w.name, w.shape]));
  const shapeOf: ShapeOf = (name) => byName.get(name);
  const producers = group.producers.map((r) => resolve(r, group, shapeOf));
  const passthrough = group.passthrough.map((r) => resolve(r, group, shapeOf));
  const consumers = group.consumers.map((r) => resolve(r, group, shapeOf));
  return { producers, passthrough, consumers, all: [...producers, ...passthrough, ...consumers] };
}

// Calls fn with every flat index of the slice that carries `channel`.
export function forEachInChannel(s: ResolvedSlice, channel: number, fn: (flat: number) => void): void {
  for (const a of s.indicesOf(channel)) {
    for (let o = 0; o < s.outer; o++) {
      const base = (o * s.dim + a) * s.inner;
      for (let i = 0; i < s.inner; i++) fn(base + i);
    }
  }
}
