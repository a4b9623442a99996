// Bridge between the model's mask variables and the sparsity functions: pull weights and masks to the host once per
// pruning step, compute new masks, push them back.
import * as tf from '@tensorflow/tfjs-core';
import { channelMasks, lampScores, nmMasks, sparsityReport, unstructuredMasks, type PrunableWeight } from '../sparsity/index.js';
import { forEachInChannel, resolveGroup } from '../sparsity/slices.js';
import type { Dataset } from '../../data/types.js';
import { forwardFloat } from '../../models/forward.js';
import { batchTensors } from '../../train/loop.js';
import { crossEntropy } from '../../train/stage.js';
import { mulberry32, permutation } from '../../util/rng.js';
import type { SparsityPattern } from '../../targets/types.js';
import { BN_EPSILON, type LayerParams, type Model } from '../../models/params.js';
import { weightsOf } from '../../models/blocks/table.js';

export interface PruneOptions {
  pattern: SparsityPattern;
  scope: 'per-layer' | 'global'; // unstructured only
  skipFirst: boolean;
  skipLast: boolean;
  perLayer?: Record<string, number>;
  norm: 'l1' | 'l2'; // channel only
  importance?: Importance; // default 'taylor'
}

// What importance is measured on. 'taylor' (the default): for channels, the measured first-order estimate of the loss
// change when a channel goes (Molchanov et al., 2019), on training batches; for single weights (unstructured, N:M)
// it means 'lamp'. 'lamp': the kernel's magnitudes, normalized per layer by LAMP (`lampScores`) so that one global
// threshold compares layers of any scale. 'raw': the kernel's magnitudes as stored. 'folded': the magnitudes of the
// kernel with its batch norm folded in (w * gamma / sqrt(var + eps)), what the integer model multiplies by; not
// comparable across layers: a layer fed by large inputs has a large BN variance and tiny folded weights (DS-CNN's stem
// on MFCCs lost 99% of its weights to a global threshold at 41.5% overall).
export type Importance = 'raw' | 'folded' | 'lamp' | 'taylor';

export interface TaylorData {
  data: Dataset;
  batches: number;
  batchSize: number;
  seed: number;
}

// Per batch, S_c = sum over every weight the channel's removal zeroes (producer, pass-through and consumer slices) of
// w_i * dL/dw_i: the first-order loss change of removing it. A channel's score is the mean of S_c^2 over batches.
export async function taylorChannelScores(model: Model, t: TaylorData): Promise<Map<string, Float64Array>> {
  const layers = [...model.layers.values()];
  const shapes = layers.map((p) => ({ name: p.spec.name, shape: p.w.shape }));
  const groups = model.spec.channelGroups.map((g) => ({ g, r: resolveGroup(g, shapes) }));
  const scores = new Map(groups.map(({ g }) => [g.id, new Float64Array(g.size)]));
  const order = permutation(t.data.train.n, mulberry32(t.seed));
  const n = Math.max(1, Math.min(t.batches, Math.floor(t.data.train.n / t.batchSize)));
  const wVars = layers.map((p) => p.w);
  for (let b = 0; b < n; b++) {
    const gw = tf.tidy(() => {
      const { x, y } = batchTensors(
        t.data.train,
        t.data.inputShape,
        order,
        b * t.batchSize,
        Math.min(t.data.train.n, (b + 1) * t.batchSize),
      );
      const { grads } = tf.variableGrads(() => crossEntropy(forwardFloat(model, x, { training: false }), y, t.data.labels.length), wVars);
      return layers.map((p) => tf.mul(grads[p.w.name]!, p.w));
    });
    const host = new Map<string, Float32Array>();
    for (const [i, p] of layers.entries()) host.set(p.spec.name, (await gw[i]!.data()) as Float32Array);
    tf.dispose(gw);
    for (const { g, r } of groups) {
      const acc = scores.get(g.id)!;
      for (let c = 0; c < g.size; c++) {
        let s = 0;
        for (const sl of r.all) {
          const v = host.get(sl.weight)!;
          forEachInChannel(sl, c, (i) => (s += v[i]!));
        }
        acc[c] += (s * s) / n;
      }
    }
  }
  return scores;
}

function importanceValues(p: LayerParams, importance: 'raw' | 'folded'): tf.Tensor {
  if (importance === 'raw' || !p.bn) return p.w;
  return tf.tidy(() =>
    tf.mul(p.w, tf.reshape(tf.div(p.bn!.gamma, tf.sqrt(tf.add(p.bn!.variance, BN_EPSILON))), weightsOf(p.spec).channelShape(p.w.shape))),
  );
}

export async function prunableWeights(model: Model, importance: 'raw' | 'folded' = 'raw'): Promise<PrunableWeight[]> {
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

// Prune to `level` (ignored for N:M, whose level the pattern fixes) and write the masks into the model. 'taylor'
// needs `taylor` (training batches) for channels; single weights take it as 'lamp'.
export async function pruneModel(model: Model, level: number, o: PruneOptions, taylor?: TaylorData): Promise<Map<string, number>> {
  const importance = o.importance ?? 'taylor';
  if (importance === 'taylor' && o.pattern === 'channel' && !taylor) throw new Error('pruneModel: taylor importance needs training data');
  const scores = importance === 'taylor' && o.pattern === 'channel' ? await taylorChannelScores(model, taylor!) : undefined;
  const lamp = (importance === 'lamp' || importance === 'taylor') && o.pattern !== 'channel'; // channels: 'lamp' reads raw norms
  const measured = await prunableWeights(model, importance === 'folded' ? 'folded' : 'raw');
  const weights = lamp ? measured.map((w) => ({ ...w, values: lampScores(w.values, w.mask) })) : measured;
  const policy = { skipFirst: o.skipFirst, skipLast: o.skipLast, perLayer: o.perLayer };
  const res =
    o.pattern === 'unstructured'
      ? unstructuredMasks(weights, level, { ...policy, scope: o.scope })
      : o.pattern === 'channel'
        ? channelMasks(weights, model.spec.channelGroups, level, { norm: o.norm, scores })
        : nmMasks(weights, ...nm(o.pattern), policy);
  setMasks(model, res.masks);
  return res.sparsity;
}

// Writes host masks into the model's mask variables.
export function setMasks(model: Model, masks: ReadonlyMap<string, Float32Array>): void {
  for (const [name, mask] of masks) {
    const p = model.layers.get(name)!;
    const t = tf.tensor(mask, p.mask.shape);
    p.mask.assign(t);
    t.dispose();
  }
}

export async function modelSparsity(
  model: Model,
): Promise<{ perLayer: Record<string, number>; overall: number; nonzeroWeights: number; weights: number }> {
  const rep = sparsityReport(await prunableWeights(model));
  const perLayer: Record<string, number> = {};
  for (const l of rep.layers) perLayer[l.name] = l.sparsity;
  return { perLayer, overall: rep.overall.sparsity, nonzeroWeights: rep.overall.size - rep.overall.zeros, weights: rep.overall.size };
}
