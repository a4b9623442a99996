// Bridge between the model's mask variables and the sparsity functions: pull weights and masks to the host once per
// pruning step, compute new masks, push them back.
import * as tf from '@tensorflow/tfjs-core';
import { channelMasks, nmMasks, sparsityReport, unstructuredMasks, type PrunableWeight } from '../sparsity/index.js';
import type { SparsityPattern } from '../../targets/types.js';
import { BN_EPSILON, type LayerParams, type Model } from '../../models/params.js';
import { channelShape } from '../quant/fake-quant.js';

export interface PruneOptions {
  pattern: SparsityPattern;
  scope: 'per-layer' | 'global'; // unstructured only
  skipFirst: boolean;
  skipLast: boolean;
  perLayer?: Record<string, number>;
  norm: 'l1' | 'l2'; // channel only
  importance?: Importance; // default 'folded'
}

// What a weight's magnitude is measured on. 'raw': the kernel as stored. 'folded': the kernel with its batch norm
// folded in (w * gamma / sqrt(var + eps)), which is what the integer model multiplies by: every conv here is followed
// by batch norm, which rescales each output channel, so raw magnitudes say little about a channel's contribution and
// cannot be compared across layers.
export type Importance = 'raw' | 'folded';

function importanceValues(p: LayerParams, importance: Importance): tf.Tensor {
  if (importance === 'raw' || !p.bn) return p.w;
  return tf.tidy(() => tf.mul(p.w, tf.reshape(tf.div(p.bn!.gamma, tf.sqrt(tf.add(p.bn!.variance, BN_EPSILON))), channelShape(p.spec.kind, p.w.shape))));
}

export async function prunableWeights(model: Model, importance: Importance = 'raw'): Promise<PrunableWeight[]> {
  const names = [...model.layers.keys()];
  const out: PrunableWeight[] = [];
  for (const [i, name] of names.entries()) {
    const p = model.layers.get(name)!;
    const v = importanceValues(p, importance);
    const values = Float32Array.from((await v.data()) as Float32Array);
    if (v !== p.w) v.dispose();
    out.push({
      name,
      kind: p.spec.kind,
      shape: p.w.shape,
      values,
      mask: Float32Array.from((await p.mask.data()) as Float32Array),
      role: i === 0 ? 'first' : i === names.length - 1 ? 'last' : 'hidden',
    });
  }
  return out;
}

function nm(pattern: SparsityPattern): [number, number] {
  const [n, m] = pattern.split(':').map(Number);
  return [n, m];
}

// Prune to `level` (ignored for N:M, whose level the pattern fixes) and write the masks into the model.
export async function pruneModel(model: Model, level: number, o: PruneOptions): Promise<Map<string, number>> {
  const weights = await prunableWeights(model, o.importance ?? 'folded');
  const policy = { skipFirst: o.skipFirst, skipLast: o.skipLast, perLayer: o.perLayer };
  const res =
    o.pattern === 'unstructured'
      ? unstructuredMasks(weights, level, { ...policy, scope: o.scope })
      : o.pattern === 'channel'
        ? channelMasks(weights, model.spec.channelGroups, level, { norm: o.norm })
        : nmMasks(weights, ...nm(o.pattern), policy);
  for (const [name, mask] of res.masks) {
    const p = model.layers.get(name)!;
    p.mask.assign(tf.tensor(mask, p.mask.shape));
  }
  return res.sparsity;
}

export async function modelSparsity(model: Model): Promise<{ perLayer: Record<string, number>; overall: number; nonzeroWeights: number; weights: number }> {
  const rep = sparsityReport(await prunableWeights(model));
  const perLayer: Record<string, number> = {};
  for (const l of rep.layers) perLayer[l.name] = l.sparsity;
  return { perLayer, overall: rep.overall.sparsity, nonzeroWeights: rep.overall.size - rep.overall.zeros, weights: rep.overall.size };
}
