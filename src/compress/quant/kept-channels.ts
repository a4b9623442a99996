// Which channels of each activation tensor survive export. A channel can be dropped exactly when every weight
// that reads it is zero in its mask: then its value never reaches an output, whatever its producer computes.
import type { Model } from '../../models/params.js';
import { passesChannels } from '../../models/spec.js';
import { forEachInChannel, resolveGroup } from '../sparsity/slices.js';

// Kept channel indices by tensor name (only tensors that lose channels are present).
export async function keptChannelsByTensor(model: Model): Promise<Map<string, number[]>> {
  const keep = new Map<string, number[]>();
  for (const g of model.spec.channelGroups) {
    // A consumer may read channel c at several indices (a dense layer after a flatten of an H x W map: every c + k*C).
    const weights = [...g.producers, ...g.passthrough, ...g.consumers].map((c) => ({
      name: c.weight,
      shape: model.layers.get(c.weight)!.mask.shape,
    }));
    const slices = resolveGroup(g, weights).consumers;
    const datas = await Promise.all(slices.map((s) => model.layers.get(s.weight)!.mask.data() as Promise<Float32Array>));
    const kept: number[] = [];
    for (let c = 0; c < g.size; c++) {
      let dead = true;
      slices.forEach((s, i) => forEachInChannel(s, c, (flat) => (dead &&= datas[i]![flat] === 0)));
      if (!dead) kept.push(c);
    }
    if (kept.length === 0) kept.push(0);
    if (kept.length === g.size) continue;
    for (const p of g.producers) keep.set(p.weight, kept);
    for (const p of g.passthrough) keep.set(p.weight, kept);
  }
  // Channel-preserving nodes carry their input's kept channels; a flatten of an H x W x C map keeps, at every
  // position p, the entries p * C + c of its kept channels (what the dense layer reading it keeps of its rows).
  for (const n of model.spec.nodes) {
    if (n.kind === 'concat') {
      // Each input's kept channels, offset by the channels of the inputs before it.
      if (!n.inputs.some((i) => keep.has(i))) continue;
      let offset = 0;
      const kept: number[] = [];
      for (const i of n.inputs) {
        const shape = model.shapes.get(i)!;
        const c = shape[shape.length - 1]!;
        kept.push(...(keep.get(i) ?? Array.from({ length: c }, (_, k) => k)).map((k) => k + offset));
        offset += c;
      }
      keep.set(n.name, kept);
      continue;
    }
    if (n.kind === 'add' || n.kind === 'mul' || !keep.has(n.input)) continue;
    const kept = keep.get(n.input)!;
    if (passesChannels(n.kind)) keep.set(n.name, kept);
    else if (n.kind === 'flatten') {
      const shape = model.shapes.get(n.input)!;
      const c = shape[shape.length - 1]!;
      const positions = shape.length === 3 ? shape[0]! * shape[1]! : 1;
      keep.set(n.name, Array.from({ length: positions }, (_, p) => kept.map((k) => p * c + k)).flat());
    }
  }
  return keep;
}
