// A float .tflite (the TFLite converter's, with float32 weights or weight-only int8 ones) lowered to the primitive
// graph the tfjs formats share, so the same fuser makes pqk layer blocks of it; the original runs in TFLite 2.9's C
// library, so the import is compared with what the file computes.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors.js';
import { elementCount, type QModel, type QOp, type QTensor } from '../int/graph.js';
import { TfliteSession } from '../runtimes/tflite.js';
import { parseTflite } from '../tflite/reader.js';
import { writeTflite } from '../tflite/writer.js';
import type { LoadedOriginal } from './layers.js';
import type { FloatLowering } from '../ops/descriptor.js';
import { descriptorOf, OP_LIST } from '../ops/table.js';
import { chain, unsupported, type HostTensor, type Prim, type PrimBody } from './prims.js';

// The ops whose descriptor says how to lower them (importFloat), in the op table's order.
export const SUPPORTED_TFLITE_OPS: readonly string[] = OP_LIST.filter((d) => d.importFloat).map((d) => d.name);

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

  // What the op's descriptor sees while it lowers op k.
  private view(k: number, op: QOp): FloatLowering {
    const where = `${this.path}: ops[${k}] ${op.op}`;
    const error = (message: string): UserError => new UserError(`${where}: ${message}`);
    const chainOf = (name: string, input: string, body: PrimBody[]): void => {
      this.prims.push(...chain(name, `ops[${k}] ${op.op}`, input, body));
    };
    const out = op.outputs[0]!;
    return {
      error,
      constant: (input, what) => {
        const c = this.consts.get(op.inputs[input] ?? -1);
        if (!c) throw error(`the ${what} must be a constant`);
        return c;
      },
      isConstant: (input) => this.consts.has(op.inputs[input] ?? -1),
      activation: (input = 0) => {
        const n = this.names.get(op.inputs[input] ?? -1);
        if (n === undefined) throw error(`input ${input} is neither the model input nor an op's output`);
        return n;
      },
      shape: (tensor) => this.m.tensors[tensor]!.shape,
      emit: (input, body) => {
        const name = `${op.op.toLowerCase()}_${k}`;
        chainOf(name, input, body);
        this.names.set(out, name);
      },
      emitBefore: (prefix, input, body) => {
        chainOf(`${prefix}_${k}`, input, body);
        return `${prefix}_${k}`;
      },
      tail: (activation, bias) => {
        const body: PrimBody[] = [];
        if (bias) body.push({ op: 'bias', input: '', b: bias.data });
        if (activation === 'RELU') body.push({ op: 'act', input: '', act: 'relu' });
        else if (activation === 'RELU6') body.push({ op: 'act', input: '', act: 'relu6' });
        else if (activation !== 'NONE') throw error(`fused activation ${activation} is not one pqk imports`);
        return body;
      },
      alias: (name) => this.names.set(out, name),
      aliasConstant: (c) => this.consts.set(out, c),
      holds: (tensor) => this.kinds.get(tensor) ?? (this.m.tensors[tensor]!.shape.length === 4 ? 'map' : 'vector'),
      setHolds: (kind) => this.kinds.set(out, kind),
    };
  }

  lower(k: number, op: QOp): void {
    const lower = descriptorOf(op.op)?.importFloat;
    if (!lower) throw unsupported(`op ${op.op}`, `${this.path}: ops[${k}] ${op.op}`, SUPPORTED_TFLITE_OPS);
    lower(this.view(k, op), op as never);
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
