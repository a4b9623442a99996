// An ONNX model (as torch.onnx.export writes it, opsets 11-17) lowered to the primitive graph the other formats share,
// converted from NCHW to NHWC once here: filters to (kh, kw, in, out), per-channel constants to [C], and the rows of a
// dense layer that reads a flattened NCHW map reordered to NHWC's flatten. The file is parsed with onnx-proto (the
// official onnx.proto compiled by protobufjs); the original runs in ONNX Runtime (onnxruntime-web's WebAssembly build),
// so the import is compared with what the file computes.
import * as tf from '@tensorflow/tfjs-core';
import onnxProto from 'onnx-proto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { convGeometry } from '../int/common.js';
import { convOut, type Pad } from '../models/spec.js';
import type { LoadedOriginal } from './layers.js';
import { chain, hardSigmoid, transpose, unsupported, unsupportedTypes, type HostTensor, type Prim, type PrimBody } from './prims.js';

const { onnx } = onnxProto;
type Node = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type Attr = onnxProto.onnx.IAttributeProto;
type Int = number | { toNumber(): number };
type Pads = [number, number, number, number]; // top, left, bottom, right

// Ops that become layers, and ops on constants (shape arithmetic) evaluated at import.
const LAYER_OPS = [
  'Conv',
  'BatchNormalization',
  'Relu',
  'Clip',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'ReduceMean',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Softmax',
  'Identity',
  'Dropout',
  'Pad',
  'Sigmoid',
  'HardSwish',
  'HardSigmoid',
];
const CONST_OPS = ['Constant', 'Shape', 'Gather', 'Unsqueeze', 'Concat', 'Cast']; // Concat also joins activations' channels
export const SUPPORTED_ONNX_OPS = [...LAYER_OPS, ...CONST_OPS];

// TensorProto.DataType values pqk reads.
const DT = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;
const DT_NAMES: Record<number, string> = { 2: 'uint8', 3: 'int8', 5: 'int16', 9: 'bool', 10: 'float16', 16: 'bfloat16' };

const num = (v: Int | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

// A constant: float values, or integers (shapes, axes, pads) as numbers.
interface Const {
  data: Float32Array | number[];
  shape: number[];
}

// An activation: the prim tensor that holds it (NHWC in pqk), its ONNX shape (NCHW, batch first), the pads a Pad node
// left for the conv or pool that reads it, and for a flattened map the [C, H, W] its rows came from.
interface Act {
  prim: string;
  shape: number[];
  pad?: Pads;
  chw?: [number, number, number];
}

function tensorValues(t: TensorProto, where: string, modelDir: string): Const {
  const shape = (t.dims ?? []).map(num);
  const count = shape.reduce((a, d) => a * d, 1);
  const type = t.dataType ?? 0;
  let raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const file = join(modelDir, kv.get('location') ?? '');
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UserError(`${where}: its external data ${file} cannot be read: ${(e as Error).message}`);
    }
    const offset = Number(kv.get('offset') ?? 0);
    raw = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, Number(kv.get('length') ?? bytes.length - offset));
  }
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const read = <T>(size: number, get: (o: number) => T, list: T[] | null | undefined): T[] =>
    view ? Array.from({ length: count }, (_, i) => get(i * size)) : (list ?? []).slice(0, count);
  switch (type) {
    case DT.FLOAT:
      return { data: Float32Array.from(read(4, (o) => view!.getFloat32(o, true), t.floatData)), shape };
    case DT.DOUBLE:
      return { data: Float32Array.from(read(8, (o) => view!.getFloat64(o, true), t.doubleData)), shape };
    case DT.INT32:
      return { data: read(4, (o) => view!.getInt32(o, true), t.int32Data), shape };
    case DT.INT64:
      return { data: read(8, (o) => Number(view!.getBigInt64(o, true)), (t.int64Data ?? []).map(num)), shape };
    default:
      throw new UserError(`${where}: ${DT_NAMES[type] ?? `data type ${type}`} tensors are not imported; export the model in float32`);
  }
}

function attr(n: Node, name: string): Attr | undefined {
  return (n.attribute ?? []).find((a) => a.name === name);
}
const attrInt = (n: Node, name: string, dflt: number): number => {
  const a = attr(n, name);
  return a ? num(a.i) : dflt;
};
const attrFloat = (n: Node, name: string, dflt: number): number => attr(n, name)?.f ?? dflt;
const attrInts = (n: Node, name: string): number[] | undefined => attr(n, name)?.ints?.map(num);
const attrStr = (n: Node, name: string, dflt: string): string => {
  const s = attr(n, name)?.s;
  return s && s.length > 0 ? Buffer.from(s).toString('utf8') : dflt;
};

// TensorFlow's SAME padding of one axis, [before, after]: the integer reference's geometry, the extra row at the end.
function samePads(size: number, k: number, s: number): [number, number] {
  const { out, pad } = convGeometry('SAME', size, k, s, 1);
  return [pad, Math.max((out - 1) * s + k - size, 0) - pad];
}

class Lowering {
  readonly prims: Prim[] = [];
  readonly consts = new Map<string, Const>();
  readonly acts = new Map<string, Act>();
  private readonly primNames = new Set<string>(['input']);
  private readonly opset: number;

  constructor(
    private readonly path: string,
    model: onnxProto.onnx.ModelProto,
  ) {
    this.opset = num((model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 13);
    for (const t of model.graph?.initializer ?? [])
      this.consts.set(t.name ?? '', tensorValues(t, `${path}: initializer '${t.name}'`, dirname(path)));
  }

  private where(n: Node): string {
    return `${this.path}: node '${n.name || n.output?.[0]}' (${n.opType})`;
  }

  private act(n: Node, i = 0): Act {
    const name = n.input?.[i] ?? '';
    const a = this.acts.get(name);
    if (!a) {
      if (this.consts.has(name)) throw new UserError(`${this.where(n)}: input ${i} is a constant; pqk imports ops on activations`);
      throw new UserError(`${this.where(n)}: input '${name}' is neither the model input nor an op's output`);
    }
    return a;
  }

  private constant(n: Node, i: number, what: string): Const {
    const c = this.consts.get(n.input?.[i] ?? '');
    if (!c) throw new UserError(`${this.where(n)}: the ${what} (input ${i}) must be a constant`);
    return c;
  }

  private optConst(n: Node, i: number): Const | undefined {
    const name = n.input?.[i];
    return name ? this.consts.get(name) : undefined;
  }

  private floats(n: Node, i: number, what: string): Float32Array {
    return Float32Array.from(this.constant(n, i, what).data);
  }

  // The node's prims, named after the node ('stem/conv', from '/stem/conv'; its output's name when it has none or
  // another node has it), the output tensor mapped to the last.
  private emit(n: Node, input: string, body: PrimBody[], shape: number[], extra: Partial<Act> = {}): void {
    const out = n.output![0]!;
    if (body.length === 0) {
      this.acts.set(out, { ...this.acts.get(input)!, ...extra, shape });
      return;
    }
    let name = (n.name ?? '').replace(/^\//, '');
    if (!name || this.primNames.has(name)) name = out;
    this.primNames.add(name);
    this.prims.push(...chain(name, this.where(n).slice(this.path.length + 2), this.acts.get(input)?.prim ?? input, body));
    this.acts.set(out, { prim: name, shape, ...extra });
  }

  // A per-channel (or scalar) constant of an elementwise op on `x`: [C] for an NCHW map ([1, C, 1, 1] or [C, 1, 1]) or a
  // vector ([1, K] or [K]).
  private channelConst(n: Node, x: Act, c: Const): Float32Array {
    const channels = x.shape[1]!;
    const data = Float32Array.from(c.data);
    if (data.length === 1) return data;
    const dims = [...c.shape];
    while (dims.length < x.shape.length) dims.unshift(1);
    const perChannel = dims.length === x.shape.length && dims.every((d, i) => (i === 1 ? d === channels : d === 1));
    if (!perChannel)
      throw unsupported(`${n.opType} with a constant of shape [${c.shape}]`, this.where(n), ['a scalar or a per-channel constant']);
    if (x.chw && x.chw[1] * x.chw[2] > 1)
      throw unsupported(`${n.opType} on a flattened map`, this.where(n), ['elementwise ops before the flatten']);
    return data;
  }

  // The node's own pads ([top, left, bottom, right], auto_pad resolved) and TensorFlow's SAME pads for its input.
  private ownPads(n: Node, x: Act, k: [number, number], s: [number, number]): { own: Pads; same: Pads } {
    const [, , h, w] = x.shape as [number, number, number, number];
    const [sh, sw] = [samePads(h, k[0], s[0]), samePads(w, k[1], s[1])];
    const same: Pads = [sh[0], sw[0], sh[1], sw[1]];
    const autoPad = attrStr(n, 'auto_pad', 'NOTSET');
    if (autoPad === 'SAME_UPPER') return { own: same, same };
    if (autoPad === 'SAME_LOWER') return { own: [sh[1], sw[1], sh[0], sw[0]], same };
    if (autoPad === 'VALID') return { own: [0, 0, 0, 0], same };
    return { own: (attrInts(n, 'pads') ?? [0, 0, 0, 0]) as Pads, same };
  }

  // Zero padding `zeros` (a Pad node's, a conv's, an average pool's that counts it) and padding the window skips
  // (`skipped`: a max pool's, an average pool's that does not count it) as pqk expresses them: a window with SAME or
  // VALID padding, after a pad block when the zeros are neither.
  private windowPadding(n: Node, zeros: Pads, skipped: Pads, same: Pads): { padding: Pad; pre?: Pads } {
    const none = (p: Pads): boolean => p.every((v) => v === 0);
    const isSame = (p: Pads): boolean => p.every((v, i) => v === same[i]);
    if (none(skipped)) {
      if (none(zeros)) return { padding: 'valid' };
      // A conv's zeros equal SAME's; a pool's SAME skips the border, so its zeros need the pad block.
      if (n.opType === 'Conv' && isSame(zeros)) return { padding: 'same' };
      return { padding: 'valid', pre: zeros };
    }
    if (none(zeros) && isSame(skipped)) return { padding: 'same' };
    const show = (p: Pads): string => `[top ${p[0]}, left ${p[1]}, bottom ${p[2]}, right ${p[3]}]`;
    throw unsupported(
      `${n.opType} padding ${show(skipped)} that the window skips${none(zeros) ? '' : ` after zeros ${show(zeros)}`}`,
      this.where(n),
      [`SAME's ${show(same)} here`, 'zero padding (a Pad node, a Conv, AveragePool with count_include_pad 1)'],
    );
  }

  private spatial(n: Node, x: Act): void {
    if (x.shape.length !== 4) throw new UserError(`${this.where(n)}: needs an NCHW input, got shape [${x.shape}]`);
  }

  private window(n: Node): { k: [number, number]; s: [number, number] } {
    const ks = attrInts(n, 'kernel_shape');
    const st = attrInts(n, 'strides') ?? [1, 1];
    const dil = attrInts(n, 'dilations') ?? [1, 1];
    if (!ks || ks.length !== 2) throw unsupported(`kernel_shape [${ks ?? ''}]`, this.where(n), ['2-D kernels']);
    if (dil.some((d) => d !== 1)) throw unsupported(`dilations [${dil}]`, this.where(n), ['dilations [1, 1]']);
    return { k: [ks[0]!, ks[1]!], s: [st[0]!, st[1]!] };
  }

  private outShape(x: Act, channels: number, k: [number, number], s: [number, number], pad: Pad, pre?: Pads): number[] {
    const [, , h, w] = x.shape as [number, number, number, number];
    const [ph, pw] = pre ? [pre[0] + pre[2], pre[1] + pre[3]] : [0, 0];
    return [x.shape[0]!, channels, convOut(h + ph, k[0], s[0], pad), convOut(w + pw, k[1], s[1], pad)];
  }

  private static add(a: Pads, b: Pads | undefined): Pads {
    return b ? (a.map((v, i) => v + b[i]!) as Pads) : a;
  }

  // The window op's chain: a pad block when needed, then the op.
  private static padded(pre: Pads | undefined, body: PrimBody[]): PrimBody[] {
    return pre ? [{ op: 'pad', input: '', pads: pre }, ...body] : body;
  }

  private conv(n: Node): void {
    const x = this.act(n);
    this.spatial(n, x);
    const wc = this.constant(n, 1, 'weight');
    const [o, ig, kh, kw] = wc.shape as [number, number, number, number];
    const { k, s } = this.window(n);
    const group = attrInt(n, 'group', 1);
    const cin = x.shape[1]!;
    const { own, same } = this.ownPads(n, x, k, s);
    const { padding, pre } = this.windowPadding(n, Lowering.add(own, x.pad), [0, 0, 0, 0], same);
    const w: HostTensor = { data: Float32Array.from(wc.data), shape: wc.shape };
    let head: PrimBody;
    if (group === 1) {
      if (ig !== cin) throw new UserError(`${this.where(n)}: weight [${wc.shape}] does not fit an input of ${cin} channels`);
      head = { op: 'conv', input: '', w: transpose(w, [2, 3, 1, 0]), stride: s, padding }; // [O, I, KH, KW] -> (kh, kw, in, out)
    } else if (group === cin && ig === 1 && o % cin === 0) {
      // Output c * m + j reads channel c: [C * M, 1, KH, KW] -> (kh, kw, c, m).
      head = {
        op: 'depthwise',
        input: '',
        w: transpose({ data: w.data, shape: [cin, o / cin, kh, kw] }, [2, 3, 0, 1]),
        stride: s,
        padding,
      };
    } else throw unsupported(`group ${group} of ${cin} input channels`, this.where(n), ['group 1', 'group = input channels (depthwise)']);
    const b = this.optConst(n, 2);
    const body = b ? [head, { op: 'bias', input: '', b: Float32Array.from(b.data) } as PrimBody] : [head];
    this.emit(n, n.input![0]!, Lowering.padded(pre, body), this.outShape(x, o, k, s, padding, pre));
  }

  private pool(n: Node): void {
    const x = this.act(n);
    this.spatial(n, x);
    const { k, s } = this.window(n);
    if (attrInt(n, 'ceil_mode', 0) !== 0) throw unsupported('ceil_mode 1', this.where(n), ['ceil_mode 0']);
    const avg = n.opType === 'AveragePool';
    const { own, same } = this.ownPads(n, x, k, s);
    // A max pool's own padding is skipped (-inf); an average pool's is skipped unless count_include_pad 1 makes it zeros.
    const counted = avg && attrInt(n, 'count_include_pad', 0) !== 0;
    const zeros = Lowering.add(counted ? own : [0, 0, 0, 0], x.pad);
    const { padding, pre } = this.windowPadding(n, zeros, counted ? [0, 0, 0, 0] : own, same);
    const kind = avg ? 'avgpool' : 'maxpool';
    const body = Lowering.padded(pre, [{ op: 'pool', input: '', kind, size: k, stride: s, padding }]);
    this.emit(n, n.input![0]!, body, this.outShape(x, x.shape[1]!, k, s, padding, pre));
  }

  private globalPool(n: Node, kind: 'avgpool' | 'maxpool', keepDims: boolean): void {
    const x = this.act(n);
    this.spatial(n, x);
    const [b, c] = x.shape as [number, number];
    this.emit(n, n.input![0]!, [{ op: 'gpool', input: '', kind, keepDims }], keepDims ? [b, c, 1, 1] : [b, c]);
  }

  // Flatten / Reshape / Squeeze of an activation to [batch, N]; the flattened map's [C, H, W] is kept for the dense
  // layer that reads it.
  private flatten(n: Node, x: Act, to: number[]): void {
    const rest = x.shape.slice(1).reduce((a, d) => a * d, 1);
    if (to.length !== 2 || to[1] !== rest)
      throw unsupported(`a reshape of [${x.shape}] to [${to}]`, this.where(n), ['a flatten to [batch, N]']);
    if (x.shape.length === 2) return this.emit(n, n.input![0]!, [], to);
    if (x.shape.length !== 4) throw unsupported(`a flatten of [${x.shape}]`, this.where(n), ['a flatten of an NCHW map or a vector']);
    const [, c, h, w] = x.shape as [number, number, number, number];
    this.emit(n, n.input![0]!, [{ op: 'flatten', input: '' }], to, h * w > 1 ? { chw: [c, h, w] } : {});
  }

  private reshapeTarget(n: Node, x: Act, shape: number[]): number[] {
    const out = shape.map((d, i) => (d === 0 ? x.shape[i]! : d));
    const known = out.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    const total = x.shape.reduce((a, d) => a * d, 1);
    if (out.filter((d) => d === -1).length > 1) throw new UserError(`${this.where(n)}: reshape to [${shape}] has two -1`);
    return out.map((d) => (d === -1 ? total / known : d));
  }

  // Rows of a dense weight (in, out) in the order an NHWC flatten makes, from the NCHW flatten's.
  private nhwcRows(w: HostTensor, chw: [number, number, number] | undefined): HostTensor {
    if (!chw || chw[1] * chw[2] === 1) return w;
    const [c, h, ww] = chw;
    const out = new Float32Array(w.data.length);
    const cols = w.shape[1]!;
    for (let ci = 0; ci < c; ci++)
      for (let p = 0; p < h * ww; p++)
        out.set(w.data.subarray((ci * h * ww + p) * cols, (ci * h * ww + p + 1) * cols), (p * c + ci) * cols);
    return { data: out, shape: w.shape };
  }

  private dense(n: Node): void {
    const x = this.act(n);
    if (x.shape.length !== 2) throw new UserError(`${this.where(n)}: needs a [batch, N] input, got [${x.shape}] (flatten first)`);
    const bc = this.constant(n, 1, 'weight');
    let w: HostTensor = { data: Float32Array.from(bc.data), shape: bc.shape };
    const body: PrimBody[] = [];
    let bias: Const | undefined;
    if (n.opType === 'Gemm') {
      if (attrInt(n, 'transA', 0) !== 0) throw unsupported('Gemm with transA 1', this.where(n), ['transA 0']);
      if (attrInt(n, 'transB', 0) !== 0) w = transpose(w, [1, 0]);
      const alpha = attrFloat(n, 'alpha', 1);
      if (alpha !== 1) w = { data: w.data.map((v) => v * alpha), shape: w.shape };
      bias = this.optConst(n, 2);
      if (bias) {
        const beta = attrFloat(n, 'beta', 1);
        bias = { data: Float32Array.from(bias.data, (v) => v * beta), shape: bias.shape };
      }
    }
    if (w.shape.length !== 2 || w.shape[0] !== x.shape[1])
      throw new UserError(`${this.where(n)}: weight [${w.shape}] does not fit an input of ${x.shape[1]} features`);
    body.push({ op: 'matmul', input: '', w: this.nhwcRows(w, x.chw) });
    if (bias) {
      if (bias.data.length !== 1 && bias.data.length !== w.shape[1])
        throw unsupported(`Gemm bias of shape [${bias.shape}]`, this.where(n), ['a bias of [N] or a scalar']);
      body.push({ op: 'bias', input: '', b: Float32Array.from(bias.data) });
    }
    this.emit(n, n.input![0]!, body, [x.shape[0]!, w.shape[1]!]);
  }

  private elementwise(n: Node): void {
    const [a, b] = [n.input?.[0] ?? '', n.input?.[1] ?? ''];
    const ca = this.consts.get(a);
    const cb = this.consts.get(b);
    if (ca && cb) return this.foldConst(n);
    if (!ca && !cb) {
      if (n.opType !== 'Add' && n.opType !== 'Mul')
        throw unsupported(`${n.opType} of two activations`, this.where(n), [`${n.opType} of an activation and a constant`]);
      const [xa, xb] = [this.act(n, 0), this.act(n, 1)];
      if (n.opType === 'Mul') {
        // x * sigmoid(x) (swish), or a [1, C, 1, 1] gate over a map (squeeze and excitation).
        const bad = xa.shape.length !== xb.shape.length || xa.shape.some((d, i) => d !== xb.shape[i] && d !== 1 && xb.shape[i] !== 1);
        if (bad || xa.chw || xb.chw)
          throw unsupported(`Mul of shapes [${xa.shape}] and [${xb.shape}]`, this.where(n), ['Mul of activations whose shapes broadcast']);
        const shape = xa.shape.map((d, i) => Math.max(d, xb.shape[i]!));
        return this.emit(n, a, [{ op: 'mul', inputs: [xa.prim, xb.prim] }], shape);
      }
      if (xa.shape.join() !== xb.shape.join())
        throw unsupported(`Add of shapes [${xa.shape}] and [${xb.shape}]`, this.where(n), ['Add of equal shapes']);
      return this.emit(n, a, [{ op: 'add', inputs: [xa.prim, xb.prim] }], xa.shape, xa.chw ? { chw: xa.chw } : {});
    }
    const xi = ca ? 1 : 0;
    const x = this.act(n, xi);
    const c = this.channelConst(n, x, (ca ?? cb)!);
    let body: PrimBody;
    if (n.opType === 'Add') body = { op: 'bias', input: '', b: c };
    else if (n.opType === 'Mul') body = { op: 'scale', input: '', s: c };
    else if (n.opType === 'Sub' && xi === 0) body = { op: 'bias', input: '', b: c.map((v) => -v) };
    else if (n.opType === 'Div' && xi === 0) body = { op: 'scale', input: '', s: c.map((v) => 1 / v) };
    else throw unsupported(`${n.opType} of a constant by an activation`, this.where(n), [`${n.opType} of an activation by a constant`]);
    this.emit(n, n.input![xi]!, [body], x.shape, x.chw ? { chw: x.chw } : {});
  }

  private clip(n: Node): void {
    const x = this.act(n);
    const [lo, hi] =
      this.opset < 11
        ? [attrFloat(n, 'min', -Infinity), attrFloat(n, 'max', Infinity)]
        : [1, 2].map((i) => (n.input?.[i] ? Number(this.constant(n, i, i === 1 ? 'min' : 'max').data[0]) : i === 1 ? -Infinity : Infinity));
    const act = lo === 0 && hi === 6 ? 'relu6' : lo === 0 && hi === Infinity ? 'relu' : undefined;
    if (!act) throw unsupported(`Clip to [${lo}, ${hi}]`, this.where(n), ['Clip to [0, 6] (ReLU6)', 'Clip to [0, inf) (ReLU)']);
    this.emit(n, n.input![0]!, [{ op: 'act', input: '', act }], x.shape, x.chw ? { chw: x.chw } : {});
  }

  private pad(n: Node): void {
    const x = this.act(n);
    const mode = attrStr(n, 'mode', 'constant');
    const pads = this.opset < 11 ? (attrInts(n, 'pads') ?? []) : [...this.constant(n, 1, 'pads').data].map(Number);
    const value = this.opset < 11 ? attrFloat(n, 'value', 0) : n.input?.[2] ? Number(this.constant(n, 2, 'value').data[0]) : 0;
    if (pads.every((p) => p === 0)) return this.emit(n, n.input![0]!, [], x.shape);
    if (mode !== 'constant' || value !== 0 || x.shape.length !== 4)
      throw unsupported(`Pad (${mode}, value ${value}) of [${x.shape}]`, this.where(n), [
        'zero padding of an NCHW map before a conv or max pool',
      ]);
    const [b0, c0, t, l, b1, c1, bo, r] = pads as [number, number, number, number, number, number, number, number];
    if (b0 || c0 || b1 || c1 || [t, l, bo, r].some((p) => p < 0))
      throw unsupported(`Pad [${pads}]`, this.where(n), ['zero padding of height and width']);
    // The conv / pool that reads it sees the unpadded map (its shape) and adds these pads to its own.
    this.emit(n, n.input![0]!, [], x.shape, { pad: Lowering.add([t, l, bo, r], x.pad) });
  }

  // Unsqueeze of a [N, C] vector back to an [N, C, 1, 1] map (a squeeze-and-excitation gate), one axis at a time
  // too: [N, C, 1] is held until the second.
  private unsqueeze(n: Node): void {
    const x = this.act(n);
    const given = this.opset < 13 ? (attrInts(n, 'axes') ?? []) : [...this.constant(n, 1, 'axes').data].map(Number);
    const rank = x.shape.length + given.length;
    const shape = [...x.shape];
    for (const a of given.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q)) shape.splice(a, 0, 1);
    if (x.chw || x.shape.slice(2).some((d) => d !== 1) || shape.slice(2).some((d) => d !== 1) || shape[1] !== x.shape[1] || rank > 4)
      throw unsupported(`Unsqueeze of [${x.shape}] to [${shape}]`, this.where(n), ['Unsqueeze of a [N, C] vector to [N, C, 1, 1]']);
    // Below rank 4 the tensor is still the vector its prim holds; at rank 4 it becomes the 1x1 map.
    this.emit(n, n.input![0]!, shape.length < 4 ? [] : [{ op: 'expand', input: '' }], shape);
  }

  // Concat of activations along the channels (axis 1 of NCHW maps or of [N, K] vectors).
  private concat(n: Node): void {
    const xs = (n.input ?? []).map((_, i) => this.act(n, i));
    const rank = xs[0]!.shape.length;
    const a = attrInt(n, 'axis', 1);
    if ((a < 0 ? a + rank : a) !== 1)
      throw unsupported(`Concat along axis ${a} of [${xs[0]!.shape}]`, this.where(n), ['Concat along the channels (axis 1)']);
    if (xs.some((x) => x.chw && x.chw[1] * x.chw[2] > 1))
      throw unsupported('Concat of flattened maps', this.where(n), ['Concat of maps before their flatten, or of vectors']);
    const lead = (s: number[]): string => [s[0], ...s.slice(2)].join();
    const bad = xs.find((x) => x.shape.length !== rank || lead(x.shape) !== lead(xs[0]!.shape));
    if (bad)
      throw unsupported(`Concat of shapes [${xs[0]!.shape}] and [${bad.shape}]`, this.where(n), [
        'Concat of equal shapes apart from the channels',
      ]);
    const shape = [...xs[0]!.shape];
    shape[1] = xs.reduce((s, x) => s + x.shape[1]!, 0);
    this.emit(n, n.input![0]!, [{ op: 'concat', inputs: xs.map((x) => x.prim) }], shape);
  }

  private softmax(n: Node): void {
    const x = this.act(n);
    const axis = attrInt(n, 'axis', this.opset < 13 ? 1 : -1);
    if (x.shape.length !== 2 || (axis !== 1 && axis !== -1))
      throw unsupported(`Softmax over axis ${axis} of [${x.shape}]`, this.where(n), ['Softmax over the classes of a [batch, N] output']);
    this.emit(n, n.input![0]!, [{ op: 'softmax', input: '' }], x.shape);
  }

  // An op whose inputs are all constants (shape arithmetic): evaluated now.
  private foldConst(n: Node): void {
    const ins = (n.input ?? []).map((i) => (i ? this.consts.get(i) : undefined));
    const c0 = ins[0]!;
    const flat = (c: Const): number[] => [...c.data].map(Number);
    let out: Const;
    switch (n.opType) {
      case 'Gather': {
        const idx = ins[1]!;
        if (attrInt(n, 'axis', 0) !== 0 || c0.shape.length !== 1)
          throw unsupported('Gather other than from a vector', this.where(n), ['Gather on axis 0 of a 1-D constant']);
        const v = flat(idx).map((i) => flat(c0)[i < 0 ? i + c0.shape[0]! : i]!);
        out = { data: v, shape: idx.shape };
        break;
      }
      case 'Unsqueeze': {
        const axes = this.opset < 13 ? (attrInts(n, 'axes') ?? []) : flat(ins[1]!);
        const shape = [...c0.shape];
        for (const a of [...axes].map((a) => (a < 0 ? a + shape.length + axes.length : a)).sort((p, q) => p - q)) shape.splice(a, 0, 1);
        out = { data: c0.data, shape };
        break;
      }
      case 'Squeeze':
        out = { data: c0.data, shape: c0.shape.filter((d) => d !== 1) };
        break;
      case 'Concat':
        out = { data: ins.flatMap((c) => flat(c!)), shape: [ins.reduce((a, c) => a + c!.data.length, 0)] };
        break;
      case 'Cast':
      case 'Identity':
        out = c0;
        break;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        const [a, b] = [flat(c0), flat(ins[1]!)];
        const f = { Add: (p: number, q: number) => p + q, Sub: (p: number, q: number) => p - q, Mul: (p: number, q: number) => p * q }[
          n.opType as 'Add'
        ];
        const g = f ?? ((p: number, q: number) => (c0.data instanceof Float32Array ? p / q : Math.trunc(p / q)));
        const len = Math.max(a.length, b.length);
        out = {
          data: Array.from({ length: len }, (_, i) => g(a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!)),
          shape: a.length >= b.length ? c0.shape : ins[1]!.shape,
        };
        break;
      }
      default:
        throw unsupported(`${n.opType} of constants`, this.where(n), ['shape arithmetic with Shape, Gather, Unsqueeze, Concat, Cast']);
    }
    this.consts.set(n.output![0]!, out);
  }

  lower(n: Node): void {
    const op = n.opType ?? '';
    const dataInputs = (n.input ?? []).filter((i) => i && !this.consts.has(i));
    if (op === 'Constant') {
      const v = attr(n, 'value');
      let c: Const;
      if (v?.t) c = tensorValues(v.t, this.where(n), dirname(this.path));
      else if (attr(n, 'value_float')) c = { data: Float32Array.of(attrFloat(n, 'value_float', 0)), shape: [] };
      else if (attr(n, 'value_floats'))
        c = { data: Float32Array.from(attr(n, 'value_floats')!.floats ?? []), shape: [attr(n, 'value_floats')!.floats!.length] };
      else if (attr(n, 'value_int')) c = { data: [attrInt(n, 'value_int', 0)], shape: [] };
      else if (attr(n, 'value_ints')) c = { data: attrInts(n, 'value_ints')!, shape: [attrInts(n, 'value_ints')!.length] };
      else throw unsupported('a Constant without a tensor value', this.where(n), ['value, value_float(s), value_int(s)']);
      this.consts.set(n.output![0]!, c);
      return;
    }
    if (op === 'Shape') {
      const name = n.input![0]!;
      const shape = this.acts.get(name)?.shape ?? this.consts.get(name)?.shape;
      if (!shape) throw new UserError(`${this.where(n)}: input '${name}' is unknown`);
      this.consts.set(n.output![0]!, { data: [...shape], shape: [shape.length] });
      return;
    }
    if (dataInputs.length === 0) return this.foldConst(n);
    switch (op) {
      case 'Conv':
        return this.conv(n);
      case 'BatchNormalization': {
        if (attrInt(n, 'training_mode', 0) !== 0)
          throw new UserError(`${this.where(n)}: batch norm in training mode; export the model in eval mode`);
        const x = this.act(n);
        const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => this.floats(n, i, ['scale', 'bias', 'mean', 'variance'][i - 1]!));
        const body: PrimBody = {
          op: 'bn',
          input: '',
          gamma: gamma!,
          beta: beta!,
          mean: mean!,
          variance: variance!,
          epsilon: attrFloat(n, 'epsilon', 1e-5),
        };
        return this.emit(n, n.input![0]!, [body], x.shape);
      }
      case 'Relu': {
        const x = this.act(n);
        return this.emit(n, n.input![0]!, [{ op: 'act', input: '', act: 'relu' }], x.shape, x.chw ? { chw: x.chw } : {});
      }
      case 'Clip':
        return this.clip(n);
      case 'Sigmoid':
      case 'HardSwish': {
        const x = this.act(n);
        const fn = op === 'Sigmoid' ? 'sigmoid' : 'hard_swish';
        return this.emit(n, n.input![0]!, [{ op: 'nonlinear', input: '', fn }], x.shape, x.chw ? { chw: x.chw } : {});
      }
      case 'HardSigmoid': {
        const x = this.act(n);
        const body = hardSigmoid(attrFloat(n, 'alpha', 0.2), attrFloat(n, 'beta', 0.5));
        return this.emit(n, n.input![0]!, body, x.shape, x.chw ? { chw: x.chw } : {});
      }
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(n);
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        return this.globalPool(n, op === 'GlobalAveragePool' ? 'avgpool' : 'maxpool', true);
      case 'ReduceMean': {
        const x = this.act(n);
        const axes = (attrInts(n, 'axes') ?? (n.input?.[1] ? [...this.constant(n, 1, 'axes').data].map(Number) : [])).map((a) =>
          a < 0 ? a + x.shape.length : a,
        );
        if (x.shape.length !== 4 || [...axes].sort().join() !== '2,3')
          throw unsupported(`ReduceMean over axes [${axes}] of [${x.shape}]`, this.where(n), [
            'ReduceMean over height and width (global average pooling)',
          ]);
        return this.globalPool(n, 'avgpool', attrInt(n, 'keepdims', 1) !== 0);
      }
      case 'Flatten': {
        const x = this.act(n);
        const axis = attrInt(n, 'axis', 1);
        if (axis !== 1) throw unsupported(`Flatten at axis ${axis}`, this.where(n), ['Flatten at axis 1']);
        return this.flatten(n, x, [x.shape[0]!, x.shape.slice(1).reduce((a, d) => a * d, 1)]);
      }
      case 'Reshape': {
        const x = this.act(n);
        const target = this.reshapeTarget(n, x, [...this.constant(n, 1, 'shape').data].map(Number));
        if (target.join() === x.shape.join()) return this.emit(n, n.input![0]!, [], x.shape);
        if (x.shape.length === 2 && target.length === 4 && target[1] === x.shape[1] && target[2] === 1 && target[3] === 1)
          return this.emit(n, n.input![0]!, [{ op: 'expand', input: '' }], target);
        return this.flatten(n, x, target);
      }
      case 'Squeeze': {
        const x = this.act(n);
        const axes = (
          this.opset < 13 ? attrInts(n, 'axes') : n.input?.[1] ? [...this.constant(n, 1, 'axes').data].map(Number) : undefined
        )?.map((a) => (a < 0 ? a + x.shape.length : a));
        const to = x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
        return this.flatten(n, x, to);
      }
      case 'Unsqueeze':
        return this.unsqueeze(n);
      case 'Gemm':
      case 'MatMul':
        return this.dense(n);
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
        return this.elementwise(n);
      case 'Softmax':
        return this.softmax(n);
      case 'Identity':
      case 'Dropout':
        return this.emit(n, n.input![0]!, [], this.act(n).shape);
      case 'Pad':
        return this.pad(n);
      case 'Concat':
        return this.concat(n);
      default:
        throw unsupported(`op ${op}`, this.where(n), SUPPORTED_ONNX_OPS);
    }
  }

  // A padded map must be read by the conv or pool its pads were for.
  checkPadsUsed(nodes: Node[]): void {
    for (const [name, a] of this.acts) {
      if (!a.pad) continue;
      const bad = nodes.find((n) => n.input?.includes(name) && !['Conv', 'MaxPool', 'AveragePool'].includes(n.opType ?? ''));
      if (bad) throw unsupported(`Pad read by ${bad.opType}`, this.where(bad), ['Pad before a Conv, MaxPool or AveragePool']);
    }
  }
}

function decode(path: string, bytes: Uint8Array): onnxProto.onnx.ModelProto {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${path}: not an ONNX model (protobuf: ${(e as Error).message})`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) throw new UserError(`${path}: not an ONNX model (no graph)`);
  const used = new Set((model.graph.node ?? []).map((n) => n.domain ?? '').filter((d) => d && d !== 'ai.onnx'));
  if (used.size > 0) throw new UserError(`${path}: ops of custom domains (${[...used].join(', ')}) are not imported`);
  return model;
}

// Every op pqk cannot import, at once, with counts (as for the other formats).
function checkOps(path: string, nodes: Node[]): void {
  const missing = nodes
    .filter((n) => !SUPPORTED_ONNX_OPS.includes(n.opType ?? ''))
    .map((n) => ({ type: n.opType ?? '', where: `node '${n.name || n.output?.[0]}'` }));
  const err = unsupportedTypes(path, 'op', missing, SUPPORTED_ONNX_OPS);
  if (err) throw err;
}

// The same model with `name` as its output: ONNX Runtime returns graph outputs only.
function withOutput(model: onnxProto.onnx.ModelProto, name: string): Uint8Array {
  const copy = onnx.ModelProto.fromObject(onnx.ModelProto.toObject(model));
  copy.graph!.output = [onnx.ValueInfoProto.create({ name })];
  return onnx.ModelProto.encode(copy).finish();
}

export function isOnnxPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}

export async function loadOnnx(path: string, bytes: Uint8Array): Promise<LoadedOriginal> {
  const model = decode(path, bytes);
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  checkOps(path, nodes);
  const lowering = new Lowering(path, model);
  const inputs = (graph.input ?? []).filter((i) => !lowering.consts.has(i.name ?? ''));
  if (inputs.length !== 1 || (graph.output ?? []).length !== 1)
    throw new UserError(`${path}: ${inputs.length} inputs and ${(graph.output ?? []).length} outputs; pqk imports one of each`);
  const input = inputs[0]!;
  const tt = input.type?.tensorType;
  if (tt?.elemType !== DT.FLOAT) throw new UserError(`${path}: input '${input.name}' is not float32; pqk imports float models`);
  const dims = (tt.shape?.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined ? num(d.dimValue) : -1));
  if ((dims.length !== 4 && dims.length !== 2) || dims.slice(1).some((d) => !(d > 0)))
    throw new UserError(
      `${path}: input '${input.name}' has shape [${dims.map((d) => (d < 0 ? '?' : d))}]; pqk imports [N, C, H, W] or [N, features] with all but N known`,
    );
  if (dims[0]! > 1)
    throw new UserError(`${path}: input '${input.name}' has a fixed batch of ${dims[0]}; export it with a batch of 1 or a dynamic one`);
  const nchw = [1, ...dims.slice(1)];
  lowering.acts.set(input.name ?? '', { prim: 'input', shape: nchw });
  for (const n of nodes) lowering.lower(n);
  lowering.checkPadsUsed(nodes);
  const outName = graph.output![0]!.name ?? '';
  const out = lowering.acts.get(outName);
  if (!out) throw new UserError(`${path}: output '${outName}' is no op's output`);
  const last = nodes.find((n) => n.output?.includes(outName));
  const logits = last?.opType === 'Softmax';
  const fetch = logits ? last!.input![0]! : outName;
  const inputShape = dims.length === 4 ? [dims[2]!, dims[3]!, dims[1]!] : [dims[1]!];

  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(logits ? withOutput(model, fetch) : bytes);
  } catch (e) {
    throw new UserError(
      `${path}: ONNX Runtime cannot run this file, so the import cannot be compared with it: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const outElems = (logits ? lowering.acts.get(fetch)! : out).shape.slice(1).reduce((a, d) => a * d, 1);
  return {
    graph: { format: 'onnx', input: 'input', inputShape, output: out.prim, prims: lowering.prims },
    predict: async (x: tf.Tensor) => {
      // NHWC -> NCHW, once per call; one row at a time when the file fixes a batch of 1.
      const t = x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x.clone();
      const data = (await t.data()) as Float32Array;
      t.dispose();
      const rows = x.shape[0]!;
      const per = data.length / rows;
      const out = new Float32Array(rows * outElems);
      const step = dims[0] === 1 ? 1 : rows;
      for (let r = 0; r < rows; r += step) {
        const feed = new ort.Tensor('float32', data.slice(r * per, (r + step) * per), [step, ...nchw.slice(1)]);
        const res = await session.run({ [input.name ?? '']: feed });
        out.set(res[fetch]!.data as Float32Array, r * outElems);
      }
      return tf.tensor(out, [rows, outElems]);
    },
    logits,
    dispose: () => void session.release(),
  };
}
