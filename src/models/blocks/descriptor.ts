// What pqk knows of one layer block (the units a model spec is made of, models/spec.ts), in one object: its inputs,
// its output shape, how its output is quantized, whether channel pruning walks through it, its float forward, its
// quantization-aware forward (the integer reference's arithmetic, compress/quant/qat.ts) and the TFLite ops it
// becomes (compress/quant/convert.ts). Each block kind has a file in this folder; table.ts lists them and the spec's
// shape inference, the float, QAT and teacher forwards and the conversion dispatch through that list. A weight block
// (conv, depthwise, dense) adds what its kernel is: the weight layout, the channel axis, the MACs, the op it writes.
// docs/adding-an-op.md says when a new TFLite op needs a block too.
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, ConvOptions, OpCode, OpOptionsMap } from '../../int/graph.js';
import type { IntTensor, QatState } from '../../compress/quant/qat-core.js';
import type { Emitter, TensorRef } from '../../compress/quant/emit.js';
import type { Model } from '../params.js';
import type { ActName, NodeSpec, Pad, WeightNodeSpec } from '../spec.js';

export type BlockKind = NodeSpec['kind'];
export type BlockOf<K extends BlockKind> = Extract<NodeSpec, { kind: K }>;

export interface BlockDescriptor<K extends BlockKind = BlockKind> {
  kinds: readonly K[];
  // The tensors the block reads, by name, in order.
  inputs(n: BlockOf<K>): string[];
  // Output shape ([H, W, C] or [units]) from the input shapes; `where` names the block in errors.
  shape(n: BlockOf<K>, ins: number[][], where: string): number[];
  // The output keeps its (first) input's quantization, as TFLite requires of int8 pools, pads, reshapes and
  // concatenations; every other block requantizes and owns an activation range.
  keepsQuantization: boolean;
  // Its inputs share one quantization (TFLite's int8 CONCATENATION does not rescale them).
  sharesQuantization?: boolean;
  // Output channel c is input channel c: channel groups walk through the block, which carries its input's kept
  // channels (pools, pads, standalone activations, an expand of a vector to a 1x1 map).
  passesChannels: boolean;
  // Float forward of a block without weights (a weight block's forward depends on whose weights it runs: float,
  // student or teacher, models/forward.ts and compress/).
  float?(n: BlockOf<K>, xs: tf.Tensor[]): tf.Tensor;
  // The teacher of PQK's phase 2 fake-quantizes the block's float output onto its observed range.
  teacherQuantizes?(n: BlockOf<K>): boolean;
  // Quantization-aware forward of a block without weights, in the integer domain.
  qat?(model: Model, n: BlockOf<K>, xs: IntTensor[], st: QatState): IntTensor;
  // Writes the block's TFLite ops and tensors; `keep` is the block's kept output channels (null: all).
  emit?(b: Emitter, model: Model, n: BlockOf<K>, xs: TensorRef[], keep: number[] | null): Promise<TensorRef>;
  weights?: K extends WeightNodeSpec['kind'] ? WeightBlock<K> : never;
}

// The kernel of a weight block.
export interface WeightBlock<K extends WeightNodeSpec['kind']> {
  // Weight shape in the tfjs layout (conv (kh, kw, in, out), depthwise (kh, kw, in, mult), dense (in, out)).
  shape(n: BlockOf<K>, inShape: number[]): number[];
  // The convolution (or matmul) of an input with a (masked, quantized) kernel of that shape.
  apply(n: BlockOf<K>, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
  // Multiply-accumulates of one inference for an output shape and a weight shape.
  macs(out: number[], ws: number[]): number;
  // Output channels for a weight shape.
  outChannels(ws: number[]): number;
  // The shape a per-output-channel vector is reshaped to, to scale the weights; the weight's input-channel axis.
  channelShape(ws: number[]): number[];
  inAxis: number;
  // The int8 weights in TFLite's layout and the tensor's quantized dimension.
  tfliteLayout(q: Int8Array, ws: number[]): { data: Int8Array; shape: number[] };
  quantizedDim: number;
  // The op the block becomes, with its options.
  op(n: BlockOf<K>, act: Activation): OpHead;
}

// An op without its tensors: what a weight block writes.
export type OpHead = { [O in OpCode]: { op: O; options: OpOptionsMap[O] } }[OpCode];

// The single input of most blocks.
export const oneInput = (n: { input: string }): string[] => [n.input];

export const ACT: Record<ActName, Activation> = { none: 'NONE', relu: 'RELU', relu6: 'RELU6' };

// Output size of one axis of a window op (conv, depthwise, pool) with pqk's padding.
export function convOut(size: number, k: number, s: number, pad: Pad): number {
  return pad === 'same' ? Math.ceil(size / s) : Math.floor((size - k) / s) + 1;
}

// [H, W] of a window op's output, then `c` channels.
export function windowShape(
  n: { kernel?: [number, number]; size?: [number, number]; stride: [number, number]; padding: Pad },
  inShape: number[],
  c: number,
): number[] {
  const k = n.kernel ?? n.size!;
  return [convOut(inShape[0]!, k[0], n.stride[0], n.padding), convOut(inShape[1]!, k[1], n.stride[1], n.padding), c];
}

// A conv's or depthwise's TFLite options.
export function convOptions(n: { stride: [number, number]; padding: Pad }, act: Activation): ConvOptions {
  return {
    padding: n.padding === 'same' ? 'SAME' : 'VALID',
    strideH: n.stride[0],
    strideW: n.stride[1],
    dilationH: 1,
    dilationW: 1,
    activation: act,
  };
}

export function activate(x: tf.Tensor, act: ActName): tf.Tensor {
  if (act === 'relu') return tf.relu(x);
  if (act === 'relu6') return tf.clipByValue(x, 0, 6);
  return x;
}

// x * relu6(x + 3) / 6.
export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.div(tf.mul(x, tf.clipByValue(tf.add(x, 3), 0, 6)), 6);
}

// Pads height and width of an NHWC tensor ([top, left, bottom, right]) with `value`.
export function padHw(x: tf.Tensor, pads: [number, number, number, number], value: number): tf.Tensor {
  const [t, l, b, r] = pads;
  return tf.pad(
    x as tf.Tensor4D,
    [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ],
    value,
  );
}
