// A model is a small graph of pqk layer blocks. The spec is pure data (JSON-serialisable, stored in checkpoints);
// the parameters live in ./params.ts. Tensor layouts follow tfjs: NHWC activations, conv filter [kh, kw, in, out],
// depthwise filter [kh, kw, in, mult], dense kernel [in, out]. What each block kind does (shape, quantization,
// forwards, TFLite ops) is its descriptor in ./blocks/.
import { blockOf, blocks, weightsOf } from './blocks/table.js';

// One slice of a weight along an axis; `expand` says how a consumer wider than the group reads channel i:
// 'interleaved' = index j reads channel j % size (flatten of an NHWC map), 'blocked' = j reads channel floor(j / r)
// where r = axisLength / size (the outputs c*mult + m of a depthwise conv with multiplier r).
export interface ChannelSliceRef {
  weight: string;
  axis: number;
  expand?: 'interleaved' | 'blocked';
}

// Channels that must be pruned together to keep the graph consistent.
export interface ChannelGroup {
  id: string;
  size: number; // number of channels
  producers: ChannelSliceRef[]; // slices that produce channel i (conv/dense output axis); scored
  passthrough: ChannelSliceRef[]; // depthwise slices that carry channel i along; pruned with the group, not scored
  consumers: ChannelSliceRef[]; // slices that read channel i (next conv/dense input axis)
}

export type ActName = 'none' | 'relu' | 'relu6';
export type Pad = 'same' | 'valid';

export interface ConvSpec {
  kind: 'conv';
  name: string;
  input: string;
  filters: number;
  kernel: [number, number];
  stride: [number, number];
  padding: Pad;
  bn: boolean; // batch norm after the conv (folded into it for QAT and export)
  activation: ActName;
}

export interface DepthwiseSpec {
  kind: 'depthwise';
  name: string;
  input: string;
  multiplier: number;
  kernel: [number, number];
  stride: [number, number];
  padding: Pad;
  bn: boolean;
  activation: ActName;
}

export interface DenseSpec {
  kind: 'dense';
  name: string;
  input: string;
  units: number;
  activation: ActName;
}

export interface PoolSpec {
  kind: 'avgpool' | 'maxpool';
  name: string;
  input: string;
  size: [number, number];
  stride: [number, number];
  padding: Pad;
}

export interface AddSpec {
  kind: 'add';
  name: string;
  inputs: [string, string];
  activation: ActName;
}

// Zero padding of height and width (an imported model's explicit padding, e.g. PyTorch's symmetric pad 1 before a
// stride-2 conv, which TFLite's SAME cannot express): [top, left, bottom, right]. Channels pass through.
export interface PadSpec {
  kind: 'pad';
  name: string;
  input: string;
  pads: [number, number, number, number];
}

// An activation TFLite runs as an op of its own (it cannot fuse into a conv): 'sigmoid' (LOGISTIC, onto the fixed
// int8 quantization 1/256, -128) or 'hard_swish' (x * relu6(x + 3) / 6, HARD_SWISH, onto its own range).
export interface ActivationSpec {
  kind: 'activation';
  name: string;
  input: string;
  fn: 'sigmoid' | 'hard_swish';
}

// The elementwise product of two tensors of one rank, NumPy-broadcast (a [1, 1, C] gate over an [H, W, C] map, as
// squeeze-and-excitation multiplies; x * sigmoid(x), as swish does), then a fused activation: TFLite's MUL.
export interface MulSpec {
  kind: 'mul';
  name: string;
  inputs: [string, string];
  activation: ActName;
}

// Tensors of equal leading dimensions joined along their last (channel) axis, in order. TFLite's int8 CONCATENATION
// does not rescale: its inputs are quantized as its output is, from the union of their ranges (sharedQuantization).
export interface ConcatSpec {
  kind: 'concat';
  name: string;
  inputs: string[];
}

// A vector as a 1x1 map ([C] -> [1, 1, C]), as EXPAND_DIMS / unsqueeze make a squeeze-and-excitation gate: the
// inverse of a flatten of a 1x1 map, a RESHAPE in the .tflite.
export interface ExpandSpec {
  kind: 'expand';
  name: string;
  input: string;
}

// An int8 tensor moved onto a quantization of its own (TFLite's QUANTIZE, int8 -> int8), the identity in float: how a
// tensor whose quantization is fixed (a sigmoid's 1/256, -128) joins a concatenation, whose inputs share one.
export interface RequantizeSpec {
  kind: 'requantize';
  name: string;
  input: string;
}

export interface FlattenSpec {
  kind: 'flatten';
  name: string;
  input: string;
}

export type NodeSpec =
  | ConvSpec
  | DepthwiseSpec
  | DenseSpec
  | PoolSpec
  | AddSpec
  | MulSpec
  | ConcatSpec
  | ActivationSpec
  | PadSpec
  | FlattenSpec
  | ExpandSpec
  | RequantizeSpec;
export type WeightNodeSpec = ConvSpec | DepthwiseSpec | DenseSpec;

export interface ModelSpec {
  name: string; // 'ds-cnn', 'resnet', 'mlp', or 'imported'
  inputShape: number[]; // [H, W, C]
  numClasses: number;
  nodes: NodeSpec[]; // topological order; the model input is named 'input'
  output: string; // name of the logits node
  channelGroups: ChannelGroup[]; // channels that channel pruning may remove together
}

export function isWeightNode(n: NodeSpec): n is WeightNodeSpec {
  return blockOf(n).weights !== undefined;
}

export function nodeInputs(n: NodeSpec): string[] {
  return blockOf(n).inputs(n);
}

// Blocks whose output keeps their (first) input's quantization, as TFLite requires of int8 pools, pads, reshapes and
// concatenations; every other block, and the input, requantizes and owns an activation range.
export function keepsQuantization(kind: NodeSpec['kind']): boolean {
  return blocks()[kind].keepsQuantization;
}

// Tensors whose output is requantized (and so needs a range): the input, and every node that does not keep its input's
// quantization.
export function quantizedTensors(spec: ModelSpec): string[] {
  return ['input', ...spec.nodes.filter((n) => !keepsQuantization(n.kind)).map((n) => n.name)];
}

// Blocks whose output channel c is their input's channel c (pools, pads, standalone activations, a vector's expand to
// a 1x1 map): channel groups walk through them and they carry their input's kept channels.
export function passesChannels(kind: NodeSpec['kind']): boolean {
  return blocks()[kind].passesChannels;
}

const sharedCache = new WeakMap<ModelSpec, Map<string, string[]>>();

// The ranges each quantized tensor is quantized from: the tensors a concat joins (traced through the nodes that keep
// their input's quantization) share one scale and zero point, from the union of their observed ranges. By range
// name ('input' and every node that requantizes), only those that share; the members in spec order.
export function sharedQuantization(spec: ModelSpec): Map<string, string[]> {
  const cached = sharedCache.get(spec);
  if (cached) return cached;
  const parent = new Map<string, string>();
  const find = (t: string): string => {
    const p = parent.get(t);
    if (p === undefined || p === t) return t;
    const r = find(p);
    parent.set(t, r);
    return r;
  };
  const owner = new Map<string, string>([['input', 'input']]);
  for (const n of spec.nodes) {
    const ins = nodeInputs(n).map((i) => owner.get(i) ?? i);
    if (!keepsQuantization(n.kind)) owner.set(n.name, n.name);
    else owner.set(n.name, ins[0]!);
    if (blockOf(n).sharesQuantization) for (const i of ins.slice(1)) if (find(i) !== find(ins[0]!)) parent.set(find(i), find(ins[0]!));
  }
  const sets = new Map<string, string[]>();
  for (const t of quantizedTensors(spec)) {
    const r = find(t);
    sets.set(r, [...(sets.get(r) ?? []), t]);
  }
  const shared = new Map<string, string[]>();
  for (const members of sets.values()) if (members.length > 1) for (const m of members) shared.set(m, members);
  sharedCache.set(spec, shared);
  return shared;
}

export { convOut } from './blocks/descriptor.js';

// Output shape [H, W, C] (or [units]) of every node, by name; 'input' included.
export function inferShapes(spec: ModelSpec): Map<string, number[]> {
  const shapes = new Map<string, number[]>([['input', spec.inputShape]]);
  for (const n of spec.nodes) {
    const ins = nodeInputs(n).map((i) => {
      const s = shapes.get(i);
      if (!s) throw new Error(`model ${spec.name}: node '${n.name}' reads unknown tensor '${i}'`);
      return s;
    });
    shapes.set(n.name, blockOf(n).shape(n, ins, `model ${spec.name}: ${n.kind} '${n.name}'`));
  }
  return shapes;
}

// Weight shape of a weight node given its input shape.
export function weightShape(n: WeightNodeSpec, inShape: number[]): number[] {
  return weightsOf(n).shape(n, inShape);
}

export function outChannels(n: WeightNodeSpec, inShape: number[]): number {
  return weightsOf(n).outChannels(weightShape(n, inShape));
}

// Multiply-accumulates of one inference (dense count, before any pruning).
export function countMacs(spec: ModelSpec): number {
  const shapes = inferShapes(spec);
  let macs = 0;
  for (const n of spec.nodes) {
    if (!isWeightNode(n)) continue;
    const out = shapes.get(n.name)!;
    macs += weightsOf(n).macs(out, weightShape(n, shapes.get(n.input)!));
  }
  return macs;
}

// The channel groups of a model whose spec came without them (an imported model): for each conv or dense layer, its
// output channels may be pruned when every path from them, through depthwise layers of multiplier 1 (pruned along),
// pools, pads and flattens, ends in conv or dense layers that read them (pruned on their input axis). A path into an add,
// a mul, a concat, a depthwise of another multiplier or the model output keeps the layer's channels whole (no group);
// a standalone activation passes them through.
export function deriveChannelGroups(spec: Omit<ModelSpec, 'channelGroups'>): ChannelGroup[] {
  const shapes = inferShapes({ ...spec, channelGroups: [] });
  const readers = new Map<string, NodeSpec[]>();
  for (const n of spec.nodes) for (const i of nodeInputs(n)) readers.set(i, [...(readers.get(i) ?? []), n]);
  const groups: ChannelGroup[] = [];
  for (const p of spec.nodes) {
    if (p.kind !== 'conv' && p.kind !== 'dense') continue;
    const size = p.kind === 'conv' ? p.filters : p.units;
    const passthrough: ChannelSliceRef[] = [];
    const consumers: ChannelSliceRef[] = [];
    // Walks from tensor t, whose last axis carries the group's channels; `flat` once a flatten spread them.
    const walk = (t: string, flat: boolean): boolean => {
      if (t === spec.output) return false;
      const rs = readers.get(t) ?? [];
      if (rs.length === 0) return false;
      return rs.every((r) => {
        if (r.kind === 'conv') return consumers.push({ weight: r.name, axis: 2 }) > 0;
        if (r.kind === 'dense')
          return consumers.push(flat ? { weight: r.name, axis: 0, expand: 'interleaved' } : { weight: r.name, axis: 0 }) > 0;
        if (r.kind === 'depthwise' && r.multiplier === 1) return passthrough.push({ weight: r.name, axis: 2 }) > 0 && walk(r.name, flat);
        if (passesChannels(r.kind)) return walk(r.name, flat);
        if (r.kind === 'flatten') {
          const s = shapes.get(t)!;
          return walk(r.name, flat || (s.length === 3 && s[0]! * s[1]! > 1));
        }
        return false;
      });
    };
    if (walk(p.name, false)) {
      groups.push({ id: `g-${p.name}`, size, producers: [{ weight: p.name, axis: p.kind === 'conv' ? 3 : 1 }], passthrough, consumers });
    }
  }
  return groups;
}
