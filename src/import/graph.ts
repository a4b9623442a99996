// A tfjs graph model (frozen GraphDef) lowered to primitive ops: one mapper per TensorFlow op, looked up in a
// table; fused ops (_FusedConv2D, _FusedMatMul, FusedDepthwiseConv2dNative) unfold into their parts.
import type * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { UserError } from '../errors.js';
import type { Pad } from '../models/spec.js';
import { fileHandler, namedWeights, type ModelFiles } from './files.js';
import { GraphDef, type Node, type GraphNode } from './graph-def.js';
import type { LoadedOriginal } from './layers.js';
import {
  chain,
  nhwcPads,
  transpose,
  unsupported,
  unsupportedTypes,
  type HostTensor,
  type Prim,
  type PrimBody,
  type PrimGraph,
} from './prims.js';

type Mapper = (n: Node, g: GraphDef) => PrimBody[];

function checkNhwc(n: Node): void {
  const df = n.str('data_format', 'NHWC');
  if (df !== 'NHWC') throw unsupported(`data format ${df}`, n.source, ['NHWC']);
  if (n.ints('dilations', [1, 1, 1, 1]).some((d) => d !== 1)) throw unsupported('dilation', n.source, ['dilations 1']);
}

function padding(n: Node): Pad {
  const p = n.str('padding');
  if (p === 'SAME' || p === 'VALID') return p === 'SAME' ? 'same' : 'valid';
  throw unsupported(`padding ${p}`, n.source, ['SAME', 'VALID']);
}

function hw(n: Node, key: string): [number, number] {
  const v = n.ints(key, [1, 1, 1, 1]);
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) throw unsupported(`${key} ${JSON.stringify(v)}`, n.source, [`${key} [1, h, w, 1]`]);
  return [v[1], v[2]];
}

const FUSED_OPS = ['BiasAdd', 'Relu', 'Relu6', 'FusedBatchNorm'];

// The ops a fused node applies after its conv / matmul; `args` are its inputs after the first two.
function fusedTail(n: Node, g: GraphDef): PrimBody[] {
  const args = n.inputs.slice(2);
  const out: PrimBody[] = [];
  for (const op of n.strs('fused_ops')) {
    if (op === 'BiasAdd') out.push({ op: 'bias', input: '', b: g.floats(args[0], n).data });
    else if (op === 'Relu' || op === 'Relu6') out.push({ op: 'act', input: '', act: op === 'Relu' ? 'relu' : 'relu6' });
    else if (op === 'FusedBatchNorm') out.push(batchNorm(n, g, args));
    else throw unsupported(`fused op ${op}`, n.source, FUSED_OPS);
  }
  return out;
}

function batchNorm(n: Node, g: GraphDef, args: string[]): PrimBody {
  if (n.bool('is_training')) throw new UserError(`${n.source}: batch norm in training mode; export the model for inference`);
  const [gamma, beta, mean, variance] = args.slice(0, 4).map((a) => g.floats(a, n).data);
  return { op: 'bn', input: '', gamma, beta, mean, variance, epsilon: n.float('epsilon', 1e-3) };
}

function conv(op: 'conv' | 'depthwise', fused: boolean): Mapper {
  return (n, g) => {
    checkNhwc(n);
    const first: PrimBody = { op, input: '', w: g.floats(n.inputs[1], n), stride: hw(n, 'strides'), padding: padding(n) };
    return [first, ...(fused ? fusedTail(n, g) : [])];
  };
}

function matmul(fused: boolean): Mapper {
  return (n, g) => {
    if (n.bool('transpose_a')) throw unsupported('MatMul with transpose_a', n.source, ['transpose_a false']);
    const w = g.floats(n.inputs[1], n);
    return [{ op: 'matmul', input: '', w: n.bool('transpose_b') ? transpose(w, [1, 0]) : w }, ...(fused ? fusedTail(n, g) : [])];
  };
}

// The constant operand of a binary op with one tensor and one per-channel (or scalar) constant.
function channelConst(n: Node, g: GraphDef, what: string): { x: string; c: Float32Array } {
  const [a, b] = n.inputs;
  const c = g.floats(g.isConst(b) ? b : a, n);
  if (c.shape.slice(0, -1).some((d) => d !== 1))
    throw unsupported(`${what} of a constant of shape [${c.shape}]`, n.source, ['a per-channel constant [C] or a scalar']);
  return { x: g.isConst(b) ? a : b, c: c.data };
}

// Add / AddV2 / BiasAdd: of two tensors, or of a per-channel constant (a bias).
function add(n: Node, g: GraphDef): PrimBody[] {
  const [a, b] = n.inputs;
  if (g.isConst(a) && g.isConst(b)) throw new UserError(`${n.source}: adds two constants`);
  if (!g.isConst(a) && !g.isConst(b)) return [{ op: 'add', inputs: [a, b] }];
  return [{ op: 'bias', input: '', b: channelConst(n, g, 'add').c }];
}

// Mul with a constant: a per-channel scale; of two tensors: an elementwise product (a gate, a swish).
function mul(n: Node, g: GraphDef): PrimBody[] {
  const consts = n.inputs.filter((i) => g.isConst(i)).length;
  if (consts === 0) return [{ op: 'mul', inputs: [n.inputs[0]!, n.inputs[1]!] }];
  if (consts !== 1)
    throw unsupported(`${n.op} of two constants`, n.source, [`${n.op} of a tensor and a constant`, `${n.op} of two tensors`]);
  return [{ op: 'scale', input: '', s: channelConst(n, g, 'Mul').c }];
}

function sub(n: Node, g: GraphDef): PrimBody[] {
  if (!g.isConst(n.inputs[1]) || g.isConst(n.inputs[0]))
    throw unsupported('Sub other than tensor - constant', n.source, ['Sub of a tensor minus a constant']);
  return [{ op: 'bias', input: '', b: channelConst(n, g, 'Sub').c.map((v) => -v) }];
}

function pool(kind: 'avgpool' | 'maxpool'): Mapper {
  return (n) => {
    checkNhwc(n);
    return [{ op: 'pool', input: '', kind, size: hw(n, 'ksize'), stride: hw(n, 'strides'), padding: padding(n) }];
  };
}

function mean(n: Node, g: GraphDef): PrimBody[] {
  const axes = [...g.constant(n.inputs[1], n).data].map((a) => (a < 0 ? a + 4 : a)).sort();
  if (axes.join() !== '1,2') throw unsupported(`Mean over axes [${axes}]`, n.source, ['Mean over axes [1, 2] (global average pooling)']);
  return [{ op: 'gpool', input: '', kind: 'avgpool', keepDims: n.bool('keep_dims') }];
}

// Pad (zeros) of height and width: paddings [[0, 0], [top, bottom], [left, right], [0, 0]].
function pad(n: Node, g: GraphDef): PrimBody[] {
  const p = g.constant(n.inputs[1], n).data;
  const pads = nhwcPads(p);
  if (!pads) throw unsupported(`Pad [${[...p]}]`, n.source, ['zero padding of height and width of an NHWC tensor']);
  return [{ op: 'pad', input: '', pads }];
}

// ConcatV2 of tensors along their last axis (the axis, a constant, is its last input): channels joined.
function concat(n: Node, g: GraphDef): PrimBody[] {
  const axisName = n.inputs[n.inputs.length - 1]!;
  const axis = Number(g.constant(axisName, n).data[0]);
  const parts = n.inputs.slice(0, -1);
  if (parts.some((i) => g.isConst(i))) throw unsupported('ConcatV2 of a constant', n.source, ['ConcatV2 of tensors']);
  if (axis !== -1 && axis !== 3) throw unsupported(`ConcatV2 along axis ${axis}`, n.source, ['ConcatV2 along the channels (axis -1 or 3)']);
  return [{ op: 'concat', inputs: parts }];
}

// Squeeze of the height and width of a [batch, 1, 1, C] map (after a pool that keeps dims): a flatten.
function squeeze(n: Node): PrimBody[] {
  const dims = n.ints('squeeze_dims', []).map((d) => (d < 0 ? d + 4 : d));
  if ([...dims].sort().join() !== '1,2')
    throw unsupported(`Squeeze of dims [${dims}]`, n.source, ['Squeeze of dims [1, 2] (a [batch, 1, 1, C] map)']);
  return [{ op: 'flatten', input: '' }];
}

function reshape(n: Node, g: GraphDef): PrimBody[] {
  const shape = [...g.constant(n.inputs[1], n).data];
  if (shape.length === 2) return [{ op: 'flatten', input: '' }];
  if (shape.length === 4 && shape[1] === 1 && shape[2] === 1) return [{ op: 'expand', input: '' }]; // a vector as a 1x1 map
  throw unsupported(`Reshape to [${shape}]`, n.source, ['Reshape to [batch, N] (flatten)', 'Reshape to [batch, 1, 1, C]']);
}

const MAPPERS: Record<string, Mapper> = {
  Conv2D: conv('conv', false),
  _FusedConv2D: conv('conv', true),
  DepthwiseConv2dNative: conv('depthwise', false),
  FusedDepthwiseConv2dNative: conv('depthwise', true),
  MatMul: matmul(false),
  _FusedMatMul: matmul(true),
  BiasAdd: add,
  Add: add,
  AddV2: add,
  Mul: mul,
  Sub: sub,
  FusedBatchNorm: (n, g) => [batchNorm(n, g, n.inputs.slice(1))],
  FusedBatchNormV3: (n, g) => [batchNorm(n, g, n.inputs.slice(1))],
  Relu: () => [{ op: 'act', input: '', act: 'relu' }],
  Relu6: () => [{ op: 'act', input: '', act: 'relu6' }],
  Sigmoid: () => [{ op: 'nonlinear', input: '', fn: 'sigmoid' }],
  AvgPool: pool('avgpool'),
  MaxPool: pool('maxpool'),
  Mean: mean,
  Reshape: reshape,
  Pad: pad,
  Squeeze: squeeze,
  ConcatV2: concat,
  Softmax: () => [{ op: 'softmax', input: '' }],
  Identity: () => [{ op: 'identity', input: '' }],
};

export const SUPPORTED_OPS = [...Object.keys(MAPPERS), 'Const', 'Placeholder'];

function outputName(files: ModelFiles, g: GraphDef, order: Node[]): string {
  const read = new Set(order.flatMap((n) => n.inputs));
  const ends = order.filter((n) => !read.has(n.name) && n.op !== 'NoOp');
  if (ends.length !== 1)
    throw new UserError(
      `${files.path}: the graph has ${ends.length} outputs (${ends.map((e) => e.name).join(', ')}); pqk imports single-output models`,
    );
  return ends[0].name;
}

function lower(files: ModelFiles): PrimGraph {
  const topo = files.json.modelTopology as { node?: GraphNode[] };
  const g = new GraphDef(topo.node ?? [], namedWeights(files));
  const order = g.ordered().filter((n) => n.op !== 'NoOp');
  const inputs = order.filter((n) => n.op === 'Placeholder');
  if (inputs.length !== 1) throw new UserError(`${files.path}: the graph has ${inputs.length} inputs; pqk imports single-input models`);
  const shape = inputs[0].shape('shape');
  if (!shape || shape.slice(1).some((d) => !(d > 0)))
    throw new UserError(`${inputs[0].source}: input shape [${shape ?? '?'}] must be known apart from the batch`);
  const missing = order.filter((n) => n.op !== 'Placeholder' && !MAPPERS[n.op]).map((n) => ({ type: n.op, where: n.source }));
  const err = unsupportedTypes(files.path, 'op', missing, SUPPORTED_OPS);
  if (err) throw err;
  const prims: Prim[] = [];
  for (const n of order) {
    if (n.op === 'Placeholder') continue;
    const mapper = MAPPERS[n.op];
    if (!mapper) throw unsupported(`op ${n.op}`, n.source, SUPPORTED_OPS);
    const data = n.inputs.filter((i) => !g.isConst(i));
    prims.push(...chain(n.name, n.source, data[0] ?? '', mapper(n, g)));
  }
  return { format: 'graph', input: inputs[0].name, inputShape: shape.slice(1), output: outputName(files, g, order), prims };
}

export async function loadGraph(files: ModelFiles): Promise<LoadedOriginal> {
  const graph = lower(files);
  let model: Awaited<ReturnType<typeof loadGraphModel>>;
  try {
    model = await loadGraphModel(fileHandler(files));
  } catch (e) {
    throw new UserError(`${files.path}: tfjs cannot load this graph model: ${(e as Error).message.split('\n')[0]}`);
  }
  return { graph, predict: (x) => model.execute(x) as tf.Tensor, dispose: () => model.dispose() };
}
