// Sparsity of the prunable weights, per layer and overall, as read from their masks.
import { checkWeight, zerosOf } from './policy.js';
import type { PrunableKind, PrunableWeight } from './types.js';

export interface LayerSparsity {
  name: string;
  kind: PrunableKind;
  size: number;
  zeros: number;
  sparsity: number; // zeros / size
}

export interface SparsityReport {
  layers: LayerSparsity[]; // in the order given
  overall: { size: number; zeros: number; sparsity: number }; // over the prunable weights only (no biases, BN)
}

export function sparsityReport(weights: readonly PrunableWeight[]): SparsityReport {
  const layers = weights.map((w): LayerSparsity => {
    checkWeight(w);
    const zeros = zerosOf(w.mask);
    const size = w.mask.length;
    return { name: w.name, kind: w.kind, size, zeros, sparsity: size ? zeros / size : 0 };
  });
  const size = layers.reduce((s, l) => s + l.size, 0);
  const zeros = layers.reduce((s, l) => s + l.zeros, 0);
  return { layers, overall: { size, zeros, sparsity: size ? zeros / size : 0 } };
}
