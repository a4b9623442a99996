// Which channels of each activation tensor survive export. A channel can be dropped exactly when every weight
// that reads it is zero in its mask: then its value never reaches an output, whatever its producer computes.
import type { Model } from '../../models/params.js';

function sliceAllZero(mask: Float32Array, shape: number[], axis: number, c: number): boolean {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const outer = mask.length / (n * inner);
  for (let o = 0; o < outer; o++) {
    const base = (o * n + c) * inner;
    for (let i = 0; i < inner; i++) if (mask[base + i] !== 0) return false;
  }
  return true;
}

// Kept channel indices by tensor name (only tensors that lose channels are present).
export async function keptChannelsByTensor(model: Model): Promise<Map<string, number[]>> {
  const keep = new Map<string, number[]>();
  for (const g of model.spec.channelGroups) {
    const masks = await Promise.all(g.consumers.map(async (c) => ({ ...c, p: model.layers.get(c.weight)! })));
    const datas = await Promise.all(masks.map((m) => m.p.mask.data() as Promise<Float32Array>));
    const kept: number[] = [];
    for (let c = 0; c < g.size; c++) {
      const dead = masks.every((m, i) => sliceAllZero(datas[i], m.p.mask.shape, m.axis, c));
      if (!dead) kept.push(c);
    }
    if (kept.length === 0) kept.push(0);
    if (kept.length === g.size) continue;
    for (const p of g.producers) keep.set(p.weight, kept);
    for (const p of g.passthrough) keep.set(p.weight, kept);
  }
  // Channel-preserving nodes carry their input's kept channels.
  for (const n of model.spec.nodes) {
    if ((n.kind === 'avgpool' || n.kind === 'maxpool' || n.kind === 'pad' || n.kind === 'flatten') && keep.has(n.input))
      keep.set(n.name, keep.get(n.input)!);
  }
  return keep;
}
