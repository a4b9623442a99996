// Structured channel pruning: whole channels of a group go at once, in every weight that produces, carries or reads
// them, so export can drop them physically (their biases and BN parameters go with keptChannels).
import { checkLevel, checkOverrides, finishResult, startResult } from './policy.js';
import { forEachInChannel, resolveGroup, type ResolvedGroup } from './slices.js';
import type { ChannelGroup, ChannelMaskResult, ChannelOptions, PrunableWeight } from './types.js';

type Masks = ReadonlyMap<string, Float32Array>;
type Shapes = readonly Pick<PrunableWeight, 'name' | 'shape'>[];

// A channel is live while any entry of any of its slices is kept; one with every slice zero can be dropped.
function liveChannels(g: ResolvedGroup, size: number, masks: Masks): boolean[] {
  const live = new Array<boolean>(size).fill(false);
  for (let c = 0; c < size; c++) {
    for (const s of g.all) {
      const mask = masks.get(s.weight) as Float32Array;
      forEachInChannel(s, c, (i) => {
        if (mask[i] !== 0) live[c] = true;
      });
      if (live[c]) break;
    }
  }
  return live;
}

// Channel score: the norm of each producer slice of the masked weights, summed over producers.
function channelScores(
  g: ResolvedGroup,
  size: number,
  weights: Map<string, PrunableWeight>,
  masks: Masks,
  norm: 'l1' | 'l2',
): Float64Array {
  const scores = new Float64Array(size);
  for (const s of g.producers) {
    const values = (weights.get(s.weight) as PrunableWeight).values;
    const mask = masks.get(s.weight) as Float32Array;
    for (let c = 0; c < size; c++) {
      let acc = 0;
      forEachInChannel(s, c, (i) => {
        const v = values[i] * mask[i];
        acc += norm === 'l1' ? Math.abs(v) : v * v;
      });
      scores[c] += norm === 'l1' ? acc : Math.sqrt(acc);
    }
  }
  return scores;
}

// Channels to remove: already-dead ones first (never revived), then the lowest scores, ties to the lower index.
function channelsToRemove(scores: Float64Array, live: boolean[], count: number): number[] {
  const order = Array.from(scores, (_, c) => c);
  const key = (c: number): number => (live[c] ? scores[c] : -1);
  order.sort((a, b) => key(a) - key(b) || a - b);
  const dead = live.filter((l) => !l).length;
  return order.slice(0, Math.max(count, dead));
}

// Scores and liveness read the incoming masks, so groups sharing a weight give the same result in any order.
function pruneGroup(
  group: ChannelGroup,
  level: number,
  weights: Map<string, PrunableWeight>,
  masks: Map<string, Float32Array>,
  opts: ChannelOptions,
): number[] {
  const g = resolveGroup(group, [...weights.values()]);
  const incoming = new Map([...weights].map(([name, w]) => [name, w.mask]));
  const live = liveChannels(g, group.size, incoming);
  const minChannels = Math.min(group.size, Math.max(1, opts.minChannels ?? 1));
  const count = Math.min(Math.round(level * group.size), group.size - minChannels);
  const measured = opts.scores?.get(group.id);
  if (measured && measured.length !== group.size)
    throw new RangeError(`group ${group.id}: ${measured.length} scores for ${group.size} channels`);
  const removed = channelsToRemove(measured ?? channelScores(g, group.size, weights, incoming, opts.norm), live, count);
  for (const c of removed) {
    for (const s of g.all) {
      const mask = masks.get(s.weight) as Float32Array;
      forEachInChannel(s, c, (i) => (mask[i] = 0));
    }
  }
  const gone = new Set(removed);
  return live.map((_, c) => c).filter((c) => !gone.has(c));
}

/**
 * Removes the lowest-scoring round(level * size) channels of every group (keeping at least minChannels, default 1):
 * their producer output slices, depthwise passthrough channels and consumer input slices are zeroed, nothing else.
 * Channels already removed by an earlier step stay removed and count towards the level. Every group is scored on
 * the incoming masks (masked values), so the order of `groups` does not change the result.
 */
export function channelMasks(
  weights: readonly PrunableWeight[],
  groups: readonly ChannelGroup[],
  level: number,
  opts: ChannelOptions,
): ChannelMaskResult {
  checkLevel(level, 'channelMasks');
  checkOverrides(
    groups.map((g) => g.id),
    opts.perGroup,
    'perGroup',
  );
  const result = startResult(weights);
  const byName = new Map(weights.map((w) => [w.name, w]));
  const keptChannels = new Map<string, number[]>();
  for (const group of groups) {
    if (keptChannels.has(group.id)) throw new RangeError(`group ${group.id} appears twice`);
    const groupLevel = opts.perGroup?.[group.id] ?? level;
    keptChannels.set(group.id, pruneGroup(group, groupLevel, byName, result.masks, opts));
  }
  return { ...finishResult(result), keptChannels };
}

// Kept channel indices of a group read back from masks (a channel is dropped only when all its slices are zero).
export function channelsKept(masks: Masks, group: ChannelGroup, shapes: Shapes): number[] {
  const g = resolveGroup(group, shapes);
  for (const s of g.all) {
    if (!masks.has(s.weight)) throw new RangeError(`group ${group.id}: no mask for weight ${s.weight}`);
  }
  const live = liveChannels(g, group.size, masks);
  return live.map((_, c) => c).filter((c) => live[c]);
}
