// A float .tflite (the TFLite converter's, with float32 weights or weight-only int8 ones) lowered to the primitive
// graph the tfjs formats share, so the same fuser makes pqk layer blocks of it; the original runs in TFLite 2.9's C
// library, so the import is compared with what the file computes.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors.js';
import { elementCount, type QModel, type QOp, type QTensor } from '../int/graph.js';
import type { Pad } from '../models/spec.js';
import { TfliteSession } from '../runtimes/tflite.js';
import { parseTflite } from '../tflite/reader.js';
import { writeTflite } from '../tflite/writer.js';
import type { LoadedOriginal } from './layers.js';
import { chain, nhwcPads, transpose, unsupported, type HostTensor, type Prim, type PrimBody } from './prims.js';

export const SUPPORTED_TFLITE_OPS = [
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'FULLY_CONNECTED',
  'AVERAGE_POOL_2D',
  'MAX_POOL_2D',
  'MEAN',
  'ADD',
  'MUL',
  'LOGISTIC',
  'HARD_SWISH',
  'CONCATENATION',
  'RESHAPE',
  'SQUEEZE',
  'EXPAND_DIMS',
  'PAD',
  'SOFTMAX',
  'DEQUANTIZE',
];

class Lowering {
  readonly prims: Prim[] = [];
  private readonly consts = new Map<number, HostTensor>(); // tensor index -> float values (dequantized)
  private readonly names = new Map<number, string>(); // tensor index -> prim tensor name
  private readonly kinds = new Map<number, 'map' | 'vector'>(); // what a reshaped tensor holds, by tensor index

  constructor(
    private readonly m: QModel,
    private readonly path: string,
  ) {
    m.tensors.forEach((t, i) => {
      if (t.data !== undefined) this.consts.set(i, { data: dequantized(t), shape: t.shape });
    });
  }

  private where(k: number, op: QOp): string {
    return `${this.path}: ops[${k}] ${op.op}`;
  }

  private constant(k: number, op: QOp, input: number, what: string): HostTensor {
    const c = this.consts.get(op.inputs[input] ?? -1);
    if (!c) throw new UserError(`${this.where(k, op)}: the ${what} must be a constant`);
    return c;
  }

  private activation(k: number, op: QOp, input = 0): string {
    const t = op.inputs[input] ?? -1;
    const n = this.names.get(t);
    if (n === undefined) throw new UserError(`${this.where(k, op)}: input ${input} is neither the model input nor an op's output`);
    return n;
  }

  // The op's chain of prims, named after the op: `<op>_<k>`.
  private emit(k: number, op: QOp, input: string, body: PrimBody[]): void {
    const name = `${op.op.toLowerCase()}_${k}`;
    this.prims.push(...chain(name, `ops[${k}] ${op.op}`, input, body));
    this.names.set(op.outputs[0]!, name);
  }

  private tail(k: number, op: QOp, activation: string, bias?: HostTensor): PrimBody[] {
    const out: PrimBody[] = [];
    if (bias) out.push({ op: 'bias', input: '', b: bias.data });
    if (activation === 'RELU') out.push({ op: 'act', input: '', act: 'relu' });
    else if (activation === 'RELU6') out.push({ op: 'act', input: '', act: 'relu6' });
    else if (activation !== 'NONE') throw new UserError(`${this.where(k, op)}: fused activation ${activation} is not one pqk imports`);
    return out;
  }

  private shape(i: number): number[] {
    return this.m.tensors[i]!.shape;
  }

  lower(k: number, op: QOp): void {
    const optBias = (i: number): HostTensor | undefined => ((op.inputs[i] ?? -1) >= 0 ? this.constant(k, op, i, 'bias') : undefined);
    switch (op.op) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const o = op.options;
        if (o.dilationH !== 1 || o.dilationW !== 1) throw new UserError(`${this.where(k, op)}: dilated convolutions are not imported`);
        const w = this.constant(k, op, 1, 'filter');
        const stride: [number, number] = [o.strideH, o.strideW];
        const padding: Pad = o.padding === 'SAME' ? 'same' : 'valid';
        const head: PrimBody =
          op.op === 'CONV_2D'
            ? { op: 'conv', input: '', w: transpose(w, [1, 2, 3, 0]), stride, padding } // [O, KH, KW, I] -> (kh, kw, in, out)
            : { op: 'depthwise', input: '', w: depthwiseFilter(w, this.shape(op.inputs[0]!)[3]!), stride, padding };
        this.emit(k, op, this.activation(k, op), [head, ...this.tail(k, op, o.activation, optBias(2))]);
        return;
      }
      case 'FULLY_CONNECTED': {
        let input = this.activation(k, op);
        if (this.shape(op.inputs[0]!).length !== 2) {
          this.prims.push(...chain(`flatten_${k}`, `ops[${k}] FULLY_CONNECTED`, input, [{ op: 'flatten', input: '' }]));
          input = `flatten_${k}`;
        }
        const w = transpose(this.constant(k, op, 1, 'weights'), [1, 0]); // [O, I] -> (in, out)
        this.emit(k, op, input, [{ op: 'matmul', input: '', w }, ...this.tail(k, op, op.options.activation, optBias(2))]);
        return;
      }
      case 'AVERAGE_POOL_2D':
      case 'MAX_POOL_2D': {
        const o = op.options;
        const [, h, w] = this.shape(op.inputs[0]!);
        const kind = op.op === 'AVERAGE_POOL_2D' ? 'avgpool' : 'maxpool';
        const whole = o.padding === 'VALID' && o.filterH === h && o.filterW === w;
        const pool: PrimBody = whole
          ? { op: 'gpool', input: '', kind, keepDims: true }
          : {
              op: 'pool',
              input: '',
              kind,
              size: [o.filterH, o.filterW],
              stride: [o.strideH, o.strideW],
              padding: o.padding === 'SAME' ? 'same' : 'valid',
            };
        this.emit(k, op, this.activation(k, op), [pool, ...this.tail(k, op, o.activation)]);
        return;
      }
      case 'MEAN': {
        const axes = Array.from(this.constant(k, op, 1, 'axes').data).map((a) => (a < 0 ? a + 4 : a));
        if (this.shape(op.inputs[0]!).length !== 4 || axes.sort().join() !== '1,2')
          throw new UserError(`${this.where(k, op)}: pqk imports MEAN over height and width of an NHWC tensor only`);
        this.emit(k, op, this.activation(k, op), [{ op: 'gpool', input: '', kind: 'avgpool', keepDims: op.options.keepDims }]);
        return;
      }
      case 'ADD': {
        const [a, b] = [0, 1].map((i) => this.activation(k, op, i)) as [string, string];
        this.emit(k, op, a, [{ op: 'add', inputs: [a, b] }, ...this.tail(k, op, op.options.activation)]);
        return;
      }
      case 'MUL': {
        // Of two activations (a gate, a swish); of an activation and a per-channel or scalar constant: a scale.
        const constant = [0, 1].find((i) => this.consts.has(op.inputs[i] ?? -1));
        if (constant === undefined) {
          const [a, b] = [0, 1].map((i) => this.activation(k, op, i)) as [string, string];
          this.emit(k, op, a, [{ op: 'mul', inputs: [a, b] }, ...this.tail(k, op, op.options.activation)]);
          return;
        }
        const c = this.constant(k, op, constant, 'scale');
        if (c.shape.slice(0, -1).some((d) => d !== 1))
          throw new UserError(`${this.where(k, op)}: pqk imports MUL by a per-channel or scalar constant, got one of shape [${c.shape}]`);
        this.emit(k, op, this.activation(k, op, 1 - constant), [
          { op: 'scale', input: '', s: c.data },
          ...this.tail(k, op, op.options.activation),
        ]);
        return;
      }
      case 'LOGISTIC':
      case 'HARD_SWISH':
        this.emit(k, op, this.activation(k, op), [{ op: 'nonlinear', input: '', fn: op.op === 'LOGISTIC' ? 'sigmoid' : 'hard_swish' }]);
        return;
      case 'CONCATENATION': {
        const rank = this.shape(op.outputs[0]!).length;
        const axis = op.options.axis < 0 ? op.options.axis + rank : op.options.axis;
        if (axis !== rank - 1)
          throw new UserError(
            `${this.where(k, op)}: pqk imports CONCATENATION along the last (channel) axis only, got axis ${op.options.axis}`,
          );
        const inputs = op.inputs.map((_, i) => this.activation(k, op, i));
        this.emit(k, op, inputs[0]!, [{ op: 'concat', inputs }, ...this.tail(k, op, op.options.activation)]);
        return;
      }
      case 'RESHAPE':
      case 'SQUEEZE':
      case 'EXPAND_DIMS': {
        // All three only rename a shape. pqk's blocks hold maps ([1, H, W, C]) and vectors ([1, C]): a flatten turns
        // a map into a vector, an expand a vector into a 1x1 map; a step through [1, 1, C] (converters add or drop one
        // dimension at a time) keeps what its input was.
        const input = op.inputs[0]!;
        const [inShape, out] = [this.shape(input), this.shape(op.outputs[0]!)];
        const ones = (s: number[]): boolean => s[0] === 1 && s.slice(0, -1).every((d) => d === 1);
        const kind = this.kinds.get(input) ?? (inShape.length === 4 ? 'map' : 'vector');
        let body: 'flatten' | 'expand' | undefined;
        let outKind = kind;
        if (out.length === 2 && out[0] === 1) [body, outKind] = [kind === 'map' ? 'flatten' : undefined, 'vector'];
        else if (out.length === 4 && ones(out) && kind === 'vector') [body, outKind] = ['expand', 'map'];
        else if (!(ones(out) && ones(inShape) && out.length <= 4))
          throw new UserError(
            `${this.where(k, op)}: pqk imports ${op.op} of a map to [1, N] (a flatten), of [1, C] to [1, 1, 1, C] and steps between them only, got [${inShape}] to [${out}]`,
          );
        if (body) this.emit(k, op, this.activation(k, op), [{ op: body, input: '' }]);
        else this.names.set(op.outputs[0]!, this.activation(k, op));
        this.kinds.set(op.outputs[0]!, outKind);
        return;
      }
      case 'PAD': {
        const p = this.constant(k, op, 1, 'paddings').data;
        const pads = this.shape(op.inputs[0]!).length === 4 ? nhwcPads(p) : undefined;
        if (!pads)
          throw new UserError(`${this.where(k, op)}: pqk imports PAD of height and width of an NHWC tensor only, got paddings [${[...p]}]`);
        this.emit(k, op, this.activation(k, op), [{ op: 'pad', input: '', pads }]);
        return;
      }
      case 'SOFTMAX':
        if (op.options.beta !== 1) throw new UserError(`${this.where(k, op)}: SOFTMAX with beta ${op.options.beta} is not imported`);
        this.emit(k, op, this.activation(k, op), [{ op: 'softmax', input: '' }]);
        return;
      case 'DEQUANTIZE': {
        // Weights stored as int8 or float16 and dequantized by an op: the result is a constant like any other.
        const c = this.constant(k, op, 0, 'input');
        this.consts.set(op.outputs[0]!, c);
        return;
      }
      default:
        throw unsupported(`op ${op.op}`, this.where(k, op), SUPPORTED_TFLITE_OPS);
    }
  }

  input(i: number): void {
    this.names.set(i, 'input');
  }

  output(i: number): string {
    const n = this.names.get(i);
    if (n === undefined) throw new UserError(`${this.path}: the model output is no op's output`);
    return n;
  }
}

// A constant's float values: float32 as stored, int8 / int4 / int32 through its scales (per channel along its
// quantized dimension) and zero points.
function dequantized(t: QTensor): Float32Array {
  const data = t.data!;
  if (t.dtype === 'float32') return data as Float32Array;
  if (t.scale.length === 0) return Float32Array.from(data);
  const dim = t.quantizedDim ?? 0;
  const inner = t.shape.slice(dim + 1).reduce((a, d) => a * d, 1);
  const channels = t.shape[dim] ?? 1;
  return Float32Array.from(data, (v, i) => {
    const c = t.scale.length > 1 ? Math.floor(i / inner) % channels : 0;
    return (v - (t.zeroPoint[c] ?? 0)) * t.scale[c]!;
  });
}

// TFLite's depthwise filter [1, KH, KW, C x M] holds (kh, kw, c, m) in the same order: only the shape changes.
function depthwiseFilter(w: HostTensor, channels: number): HostTensor {
  const [, kh, kw, cm] = w.shape as [number, number, number, number];
  return { data: w.data, shape: [kh, kw, channels, cm / channels] };
}

export async function loadTflite(path: string, bytes: Uint8Array): Promise<LoadedOriginal> {
  const { model } = parseTflite(bytes);
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new UserError(`${path}: ${model.inputs.length} inputs and ${model.outputs.length} outputs; pqk imports one of each`);
  const inT = model.tensors[model.inputs[0]!]!;
  if (inT.dtype !== 'float32') {
    throw new UserError(
      `${path}: an ${inT.dtype} model (input '${inT.name}' is ${inT.dtype}); pqk import takes float models. An integer model runs as it is: pqk check ${path} --target T`,
    );
  }
  if (inT.shape[0] !== 1) throw new UserError(`${path}: input '${inT.name}' has shape [${inT.shape}]; pqk imports a batch of 1`);
  const unknown = model.ops.flatMap((op, k) => (SUPPORTED_TFLITE_OPS.includes(op.op) ? [] : [`${op.op} (ops[${k}])`]));
  if (unknown.length > 0) {
    throw new UserError(
      `${path}: ${unknown.length} op${unknown.length > 1 ? 's' : ''} pqk import does not support: ${unknown.join(', ')}; it supports: ${SUPPORTED_TFLITE_OPS.join(', ')}`,
    );
  }
  const lowering = new Lowering(model, path);
  lowering.input(model.inputs[0]!);
  model.ops.forEach((op, k) => lowering.lower(k, op));
  const output = lowering.output(model.outputs[0]!);
  // The original's logits: the same file without its final SOFTMAX, written back by pqk's writer.
  const last = model.ops[model.ops.length - 1];
  const logits = last?.op === 'SOFTMAX' && last.outputs[0] === model.outputs[0];
  const run = logits
    ? writeTflite({ ...model, ops: model.ops.slice(0, -1), outputs: [last.inputs[0]!] }, { minRuntimeVersion: false })
    : bytes;
  let session: TfliteSession;
  try {
    session = TfliteSession.open(run);
  } catch (e) {
    throw new UserError(
      `${path}: TFLite 2.9 cannot run this file, so the import cannot be compared with it: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const outElems = elementCount(model.tensors[model.outputs[0]!]!.shape);
  return {
    graph: { format: 'tflite', input: 'input', inputShape: inT.shape.slice(1), output, prims: lowering.prims },
    predict: (x: tf.Tensor) => {
      const rows = x.shape[0]!;
      const data = x.dataSync() as Float32Array;
      const per = data.length / rows;
      const out = new Float32Array(rows * outElems);
      for (let r = 0; r < rows; r++) {
        const row = data.slice(r * per, (r + 1) * per);
        const [y] = session.invoke([new Uint8Array(row.buffer)]);
        out.set(new Float32Array(y!.buffer, y!.byteOffset, outElems), r * outElems);
      }
      return tf.tensor(out, [rows, outElems]);
    },
    logits,
    dispose: () => session.close(),
  };
}
