// Types shared by the sparsity functions. Layouts are tfjs's, so weights pulled from a tfjs model need no transposes:
// conv2d filter [kh, kw, inC, outC]; depthwise filter [kh, kw, inC, mult] (output channel c*mult + m); dense [in, out].
// A mask has the weight's size and layout; 1 = kept, 0 = pruned.

export type PrunableKind = 'conv' | 'depthwise' | 'dense';

export interface PrunableWeight {
  name: string;
  kind: PrunableKind;
  shape: number[]; // tfjs layout, see above
  values: Float32Array; // (prod(shape)) row-major
  mask: Float32Array; // (prod(shape)) 1 = kept, 0 = pruned
  role?: 'first' | 'last' | 'hidden';
}

// Channel groups are part of a model's spec (models/spec.ts); the sparsity functions read them.
export type { ChannelGroup, ChannelSliceRef } from '../../models/spec.js';

export interface PolicyOptions {
  skipFirst?: boolean; // leave role 'first' dense (default false)
  skipLast?: boolean; // leave role 'last' dense (default false)
  perLayer?: Record<string, number>; // sparsity override per weight name, wins over skipFirst/skipLast; 0 = never prune
}

export interface UnstructuredOptions extends PolicyOptions {
  scope: 'per-layer' | 'global';
}

export interface ChannelOptions {
  norm: 'l1' | 'l2';
  scores?: ReadonlyMap<string, Float64Array>; // measured channel scores by group id, used instead of weight norms
  minChannels?: number; // channels a group keeps at least (default 1)
  perGroup?: Record<string, number>; // level override per group id; 0 = never prune
}

// New masks for every weight passed in (unchanged copies for weights the policy leaves alone) and the sparsity reached.
export interface MaskResult {
  masks: Map<string, Float32Array>;
  sparsity: Map<string, number>; // zeros / size of the new mask, per weight name
}

export interface ChannelMaskResult extends MaskResult {
  keptChannels: Map<string, number[]>; // group id -> kept channel indices, ascending
}
