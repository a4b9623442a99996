// From a QAT model to the integer model (QModel): the weights, biases and scales are read back from the very tensor
// ops the QAT forward runs, so the exported integers are the ones training simulated. Channel-pruned filters are
// removed physically (smaller tensors, fewer MACs). Layouts become TFLite's.
import * as tf from '@tensorflow/tfjs-core';
import type { QModel } from '../../int/graph.js';
import { ACT } from '../../models/blocks/descriptor.js';
import { blockOf, weightsOf } from '../../models/blocks/table.js';
import type { LayerParams, Model } from '../../models/params.js';
import { isWeightNode, nodeInputs, type NodeSpec, type WeightNodeSpec } from '../../models/spec.js';
import { actParams, Emitter, type TensorRef } from './emit.js';
import { keptChannelsByTensor } from './kept-channels.js';
import { foldedKernel, isPerTensor, quantizeKernel, type QuantScheme } from './qat.js';

export interface ConvertOptions {
  scheme: QuantScheme;
  softmax: boolean; // append SOFTMAX (int8, scale 1/256, zero point -128) after the logits
  metadata: Record<string, string>;
}

export interface Converted {
  model: QModel;
  logits: number; // tensor index of the int8 logits (before softmax)
}

function pick<T extends Int8Array | Int32Array | Float32Array>(
  src: T,
  shape: number[],
  axis: number,
  keep: number[] | null,
): { data: T; shape: number[] } {
  if (!keep) return { data: src, shape };
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const out = new (src.constructor as new (k: number) => T)(outer * keep.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++)
    for (const k of keep) {
      out.set(src.subarray((a * n + k) * inner, (a * n + k + 1) * inner), o);
      o += inner;
    }
  const s = [...shape];
  s[axis] = keep.length;
  return { data: out, shape: s };
}

async function weightNode(
  b: Emitter,
  model: Model,
  n: WeightNodeSpec,
  x: TensorRef,
  inKeep: number[] | null,
  outKeep: number[] | null,
  opts: ConvertOptions,
  out: { scale: number; zeroPoint: number },
): Promise<TensorRef> {
  const p: LayerParams = model.layers.get(n.name)!;
  const bits = opts.scheme.weightBits;
  const [wi, sw, bi] = tf.tidy(() => {
    const { w, b: bias } = foldedKernel(p);
    const k = quantizeKernel(p, w, opts.scheme);
    return [k.wi, k.sw, tf.round(tf.div(bias, tf.mul(x.scale, k.sw)))];
  });
  let q = Int8Array.from((await wi.data()) as Float32Array);
  let scales = Array.from((await sw.data()) as Float32Array);
  let bias = Int32Array.from((await bi.data()) as Float32Array);
  tf.dispose([wi, sw, bi]);
  const kernel = weightsOf(n);
  let shape = [...p.w.shape];
  // Drop pruned channels: input channels first, then output channels.
  if (n.kind === 'depthwise') {
    ({ data: q, shape } = pick(q, shape, 2, inKeep));
    if (inKeep) {
      scales = inKeep.map((c) => scales[c]);
      bias = Int32Array.from(inKeep.map((c) => bias[c]));
    }
  } else {
    ({ data: q, shape } = pick(q, shape, kernel.inAxis, inKeep));
    ({ data: q, shape } = pick(q, shape, shape.length - 1, outKeep));
    if (outKeep) {
      scales = outKeep.map((c) => scales[c]);
      bias = Int32Array.from(outKeep.map((c) => bias[c]));
    }
  }
  const tl = kernel.tfliteLayout(q, shape);
  const perTensor = isPerTensor(n.kind, opts.scheme);
  const wScale = perTensor ? [scales[0]] : scales;
  const wIdx = b.add({
    name: `${n.name}/weights`,
    shape: tl.shape,
    dtype: bits === 4 ? 'int4' : 'int8',
    scale: wScale,
    zeroPoint: wScale.map(() => 0),
    quantizedDim: kernel.quantizedDim,
    data: tl.data,
  });
  const bScale = scales.map((s) => x.scale * s);
  const bIdx = b.add({
    name: `${n.name}/bias`,
    shape: [bias.length],
    dtype: 'int32',
    scale: perTensor ? [bScale[0]] : bScale,
    zeroPoint: perTensor ? [0] : bScale.map(() => 0),
    quantizedDim: 0,
    data: bias,
  });
  const outC = tl.shape[kernel.quantizedDim]!;
  const outShape = [1, ...model.shapes.get(n.name)!.slice(0, -1), outC]; // [1, H, W, C] or [1, units]
  const o = b.activation(n.name, outShape, out);
  b.ops.push({ ...kernel.op(n, ACT[n.activation]), inputs: [x.index, wIdx, bIdx], outputs: [o] } as QModel['ops'][number]);
  return { index: o, ...out, shape: outShape };
}

// The ops of a block without weights (its descriptor's).
function emitBlock(b: Emitter, model: Model, n: NodeSpec, xs: TensorRef[], keep: number[] | null): Promise<TensorRef> {
  const emit = blockOf(n).emit;
  if (!emit) throw new Error(`cannot convert node '${n.name}' (${n.kind})`);
  return emit(b, model, n, xs, keep);
}

export async function toQModel(model: Model, opts: ConvertOptions): Promise<Converted> {
  const b = new Emitter();
  const keep = await keptChannelsByTensor(model);
  const inP = await actParams(model, 'input');
  const inShape = [1, ...model.spec.inputShape];
  const refs = new Map<string, TensorRef>([
    [
      'input',
      {
        index: b.add({ name: 'input', shape: inShape, dtype: 'int8', scale: [inP.scale], zeroPoint: [inP.zeroPoint] }),
        ...inP,
        shape: inShape,
      },
    ],
  ]);
  for (const n of model.spec.nodes) {
    const xs = nodeInputs(n).map((i) => refs.get(i)!);
    const r = isWeightNode(n)
      ? await weightNode(b, model, n, xs[0]!, keep.get(n.input) ?? null, keep.get(n.name) ?? null, opts, await actParams(model, n.name))
      : await emitBlock(b, model, n, xs, keep.get(n.name) ?? null);
    refs.set(n.name, r);
  }
  const logits = refs.get(model.spec.output)!;
  let output = logits.index;
  if (opts.softmax) {
    output = b.add({ name: 'probabilities', shape: logits.shape, dtype: 'int8', scale: [1 / 256], zeroPoint: [-128] });
    b.ops.push({ op: 'SOFTMAX', inputs: [logits.index], outputs: [output], options: { beta: 1 } });
  }
  return {
    model: { tensors: b.tensors, ops: b.ops, inputs: [refs.get('input')!.index], outputs: [output], metadata: opts.metadata },
    logits: logits.index,
  };
}
