// The primitive graph every importer lowers a model to before fusion into pqk layer blocks (Keras layers, tfjs
// GraphDef nodes fused or not, ONNX nodes, and a float .tflite's ops through their descriptors' importFloat): one op
// per conv, bias, batch norm or activation, so that every format shares one fuser.
import { UserError } from '../errors.js';

// A window op's padding (models/spec.ts Pad).
type Pad = 'same' | 'valid';

export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

interface Base {
  name: string; // the tensor this op produces: its layer / node name, or `name/op` inside a layer's chain
  owner: string; // the Keras layer or GraphDef node the op comes from
  source: string; // what the user sees in errors: 'layer conv1 (Conv2D)' or 'node conv1/Conv2D (_FusedConv2D)'
}

export type Prim = Base &
  (
    | { op: 'conv' | 'depthwise'; input: string; w: HostTensor; stride: [number, number]; padding: Pad } // conv w (kh, kw, in, out) | depthwise w (kh, kw, in, mult)
    | { op: 'matmul'; input: string; w: HostTensor } // w (in, out)
    | { op: 'bias'; input: string; b: Float32Array } // (C), or (1) for all channels
    | { op: 'scale'; input: string; s: Float32Array } // (C), or (1) for all channels
    | { op: 'bn'; input: string; gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; epsilon: number }
    | { op: 'act'; input: string; act: 'relu' | 'relu6' }
    | { op: 'pool'; input: string; kind: 'avgpool' | 'maxpool'; size: [number, number]; stride: [number, number]; padding: Pad }
    | { op: 'gpool'; input: string; kind: 'avgpool' | 'maxpool'; keepDims: boolean } // over the whole H x W map
    | { op: 'pad'; input: string; pads: [number, number, number, number] } // zeros: top, left, bottom, right
    | { op: 'add'; inputs: [string, string] }
    | { op: 'mul'; inputs: [string, string] } // elementwise, NumPy-broadcast (a [1, 1, C] gate over a map)
    | { op: 'nonlinear'; input: string; fn: 'sigmoid' | 'hard_swish' } // an activation no block can fuse
    | { op: 'concat'; inputs: string[] } // along the channel (last) axis
    | { op: 'flatten' | 'softmax'; input: string }
    | { op: 'expand'; input: string } // a vector as a 1x1 map
    | { op: 'identity'; input: string } // Dropout, Identity: passes its input through
  );

// An op before it is named and wired: mappers return these, `chain` names them.
export type PrimBody = Prim extends infer P ? (P extends Prim ? Omit<P, 'name' | 'owner' | 'source'> : never) : never;

export interface PrimGraph {
  format: 'layers' | 'graph' | 'tflite' | 'onnx';
  input: string; // name of the model input tensor
  inputShape: number[]; // [H, W, C] or [N], no batch
  output: string;
  prims: Prim[]; // topological order
}

export function primInputs(p: Prim): string[] {
  return p.op === 'add' || p.op === 'mul' || p.op === 'concat' ? [...p.inputs] : [p.input];
}

// An unsupported construct: names it, where it is, and what is supported.
export function unsupported(what: string, where: string, supported: readonly string[]): UserError {
  return new UserError(`unsupported ${what} at ${where}; pqk import supports: ${supported.join(', ')}`);
}

// Every op (or layer) type a file holds that pqk cannot import, at once: 'Tanh x2 (first at node act/Tanh)'.
export function unsupportedTypes(
  path: string,
  what: 'op' | 'layer',
  found: { type: string; where: string }[],
  supported: readonly string[],
): UserError | undefined {
  const byType = new Map<string, { count: number; first: string }>();
  for (const f of found) {
    const e = byType.get(f.type);
    if (e) e.count++;
    else byType.set(f.type, { count: 1, first: f.where });
  }
  if (byType.size === 0) return undefined;
  const list = [...byType].map(([type, e]) => `${type} x${e.count} (first at ${e.first})`).join(', ');
  return new UserError(
    `${path}: ${byType.size} ${what} type${byType.size > 1 ? 's' : ''} pqk import does not support: ${list}; pqk import supports: ${supported.join(', ')}`,
  );
}

// Paddings [[0, 0], [top, bottom], [left, right], [0, 0]] of an NHWC tensor (TFLite PAD, TensorFlow Pad) as a pad
// block's [top, left, bottom, right]; undefined when they pad the batch or the channels, or are negative.
export function nhwcPads(p: ArrayLike<number>): [number, number, number, number] | undefined {
  if (p.length !== 8 || p[0] || p[1] || p[6] || p[7] || Array.from(p).some((v) => v < 0)) return undefined;
  return [p[2]!, p[4]!, p[3]!, p[5]!];
}

// max(0, min(1, alpha x + beta)) = relu6(6 alpha x + 6 beta) / 6: a scale and bias the block before absorbs, its
// ReLU6, and a 1/6 scale (a block of its own).
export function hardSigmoid(alpha: number, beta: number): PrimBody[] {
  return [
    { op: 'scale', input: '', s: Float32Array.of(6 * alpha) },
    { op: 'bias', input: '', b: Float32Array.of(6 * beta) },
    { op: 'act', input: '', act: 'relu6' },
    { op: 'scale', input: '', s: Float32Array.of(1 / 6) },
  ];
}

// An add or mul input naming this reads the input of the prim before it in the chain (swish's x in x * sigmoid(x)).
export const BEFORE_PREV = "<the previous prim's input>";

// x * sigmoid(x) (Keras and tfjs 'swish', 'silu'): a sigmoid, then a mul of its input by its output.
export function swish(): PrimBody[] {
  return [
    { op: 'nonlinear', input: '', fn: 'sigmoid' },
    { op: 'mul', inputs: ['', BEFORE_PREV] },
  ];
}

export function fill(n: number, v: number): Float32Array {
  return new Float32Array(n).fill(v);
}

// Names a chain of ops `name/<op>`, ..., the last one `name`, each reading the one before (the first reads `input`);
// an add or mul keeps the inputs it names and reads the previous op where it names none (''), or the input of the
// previous op where it names BEFORE_PREV; a concat reads the ones it names.
export function chain(name: string, source: string, input: string, body: PrimBody[]): Prim[] {
  let [prev, beforePrev] = [input, input];
  const seen = new Map<string, number>(); // a second op of a kind in one chain is `name/<op>_2`
  return body.map((b, i) => {
    const k = (seen.get(b.op) ?? 0) + 1;
    seen.set(b.op, k);
    const p = { ...b, name: i === body.length - 1 ? name : `${name}/${b.op}${k > 1 ? `_${k}` : ''}`, owner: name, source } as Prim;
    const named = (s: string): string => (s === BEFORE_PREV ? beforePrev : s);
    if (p.op === 'add' || p.op === 'mul') p.inputs = [named(p.inputs[0]) || prev, named(p.inputs[1])];
    else if (p.op !== 'concat') p.input = prev;
    [beforePrev, prev] = [prev, p.name];
    return p;
  });
}

// Permutes the axes of a row-major tensor: result axis j is source axis perm[j].
export function transpose(t: HostTensor, perm: number[]): HostTensor {
  const shape = perm.map((p) => t.shape[p]!);
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, d) => a * d, 1));
  const out = new Float32Array(t.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let j = 0; j < shape.length; j++) src += idx[j]! * strides[perm[j]!]!;
    out[o] = t.data[src]!;
    for (let j = shape.length - 1; j >= 0; j--) {
      if (++idx[j]! < shape[j]!) break;
      idx[j] = 0;
    }
  }
  return { data: out, shape };
}
