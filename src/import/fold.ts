// Folding a bias, per-channel scale, batch norm or activation into the weight block before it, keeping its float
// output unchanged. pqk's batch norm has a fixed epsilon; a different one is carried by the stored variance.
import { UserError } from '../errors.js';
import { BN_EPSILON } from '../models/params.js';
import type { ActName, WeightNodeSpec } from '../models/spec.js';
import type { HostTensor, Prim } from './prims.js';

export interface BlockWeights {
  w: HostTensor;
  b?: Float32Array; // (out) when the block has no batch norm
  bn?: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array };
}

export type Absorbable = Extract<Prim, { op: 'bias' | 'scale' | 'bn' | 'act' | 'identity' }>;

// A weight block being grown: y = act(BN(x * w + bias)) for conv/depthwise, y = act(x * w + bias) for dense.
export interface Block {
  spec: WeightNodeSpec;
  w: HostTensor; // the last axis (depthwise: last two) indexes output channels
  bias: Float32Array; // (out)
  bn?: BlockWeights['bn'];
  act: ActName;
}

// A per-channel vector for `n` channels; a single value (a scalar constant) applies to all.
export function perChannel(v: Float32Array, n: number, p: Prim): Float32Array {
  if (v.length === n) return v;
  if (v.length === 1) return new Float32Array(n).fill(v[0]);
  throw new UserError(`${p.source}: ${v.length} values for ${n} channels`);
}

function scaleOutputs(blk: Block, s: Float32Array): void {
  const n = blk.bias.length;
  const w = Float32Array.from(blk.w.data);
  for (let i = 0; i < w.length; i++) w[i] *= s[i % n];
  blk.w = { data: w, shape: blk.w.shape };
  blk.bias = blk.bias.map((b, j) => b * s[j]);
}

// Folds one op into a block; false when the block cannot take it (an activation is already applied, a second BN).
export function absorb(blk: Block, p: Absorbable): boolean {
  if (p.op === 'identity') return true;
  if (blk.act !== 'none') return false;
  const n = blk.bias.length;
  if (p.op === 'act') blk.act = p.act;
  else if (p.op === 'bias') {
    const b = perChannel(p.b, n, p);
    const target = blk.bn ? blk.bn.beta : blk.bias;
    for (let i = 0; i < n; i++) target[i] += b[i];
  } else if (p.op === 'scale') {
    const s = perChannel(p.s, n, p);
    if (blk.bn) {
      blk.bn.gamma = blk.bn.gamma.map((g, j) => g * s[j]);
      blk.bn.beta = blk.bn.beta.map((b, j) => b * s[j]);
    } else scaleOutputs(blk, s);
  } else {
    if (blk.bn) return false;
    const [gamma, beta, mean, variance] = [p.gamma, p.beta, p.mean, p.variance].map((v) => perChannel(v, n, p));
    if (blk.spec.kind === 'dense') {
      // Dense blocks have no batch norm: fold it into the kernel and bias.
      scaleOutputs(
        blk,
        gamma.map((g, j) => g / Math.sqrt(variance[j] + p.epsilon)),
      );
      blk.bias = blk.bias.map((b, j) => b - (mean[j] * gamma[j]) / Math.sqrt(variance[j] + p.epsilon) + beta[j]);
    } else {
      // BN(x*w + bias) == BN'(x*w) with mean' = mean - bias.
      const bias = blk.bias;
      blk.bn = {
        gamma: Float32Array.from(gamma),
        beta: Float32Array.from(beta),
        mean: mean.map((m, i) => m - bias[i]),
        variance: variance.map((v) => v + p.epsilon - BN_EPSILON),
      };
    }
  }
  return true;
}
