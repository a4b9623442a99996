// A tfjs Layers model (Keras) lowered to primitive ops: one mapper per layer class, looked up in a table.
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UserError } from '../errors.js';
import type { Pad } from '../models/spec.js';
import { fileHandler, type ModelFiles } from './files.js';
import {
  chain,
  fill,
  hardSigmoid,
  swish,
  unsupported,
  unsupportedTypes,
  type HostTensor,
  type Prim,
  type PrimBody,
  type PrimGraph,
} from './prims.js';

type Config = Record<string, unknown>;
type Layer = tfl.layers.Layer;

interface Ctx {
  layer: Layer;
  cfg: Config;
  input: string; // name of the (single) input tensor
  inputs: string[];
  source: string;
}

// Each mapper returns the layer's ops as a chain; the last one produces the layer's output.
type Mapper = (c: Ctx) => PrimBody[];

function weight(c: Ctx, key: string): HostTensor | undefined {
  const v = c.layer.weights.find((w) => w.originalName.split('/').pop() === key);
  if (!v) return undefined;
  const t = v.read();
  return { data: Float32Array.from(t.dataSync()), shape: t.shape };
}

function need(c: Ctx, key: string): HostTensor {
  const w = weight(c, key);
  if (!w) throw new UserError(`${c.source}: weight '${key}' missing`);
  return w;
}

function pair(v: unknown, what: string, c: Ctx): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((x) => Number.isInteger(x)))
    throw new UserError(`${c.source}: ${what} must be two integers, got ${JSON.stringify(v)}`);
  return [a[0] as number, a[1] as number];
}

function padding(c: Ctx): Pad {
  const p = c.cfg.padding;
  if (p === 'same' || p === 'valid') return p;
  throw unsupported(`padding '${String(p)}'`, c.source, ['same', 'valid']);
}

function checkConv(c: Ctx): void {
  if (c.cfg.dataFormat !== undefined && c.cfg.dataFormat !== 'channelsLast')
    throw unsupported(`data format ${String(c.cfg.dataFormat)}`, c.source, ['channelsLast']);
  const d = c.cfg.dilationRate;
  if (d !== undefined && pair(d, 'dilationRate', c).some((x) => x !== 1))
    throw unsupported(`dilation ${JSON.stringify(d)}`, c.source, ['dilation 1']);
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'hardSigmoid', 'swish', 'silu', 'softmax'] as const;

function activation(c: Ctx, name = c.cfg.activation): PrimBody[] {
  if (name === undefined || name === null || name === 'linear') return [];
  if (name === 'relu' || name === 'relu6') return [{ op: 'act', input: '', act: name }];
  if (name === 'softmax') return [{ op: 'softmax', input: '' }];
  if (name === 'sigmoid') return [{ op: 'nonlinear', input: '', fn: 'sigmoid' }];
  if (name === 'hardSigmoid') return hardSigmoid(0.2, 0.5); // max(0, min(1, 0.2 x + 0.5))
  if (name === 'swish' || name === 'silu') return swish(); // x * sigmoid(x)
  throw unsupported(`activation '${String(name)}'`, c.source, ACTIVATIONS);
}

function biasOf(c: Ctx): PrimBody[] {
  return c.cfg.useBias === false ? [] : [{ op: 'bias', input: '', b: need(c, 'bias').data }];
}

function convLike(op: 'conv' | 'depthwise', key: string): Mapper {
  return (c) => {
    checkConv(c);
    const stride = pair(c.cfg.strides ?? 1, 'strides', c);
    return [{ op, input: '', w: need(c, key), stride, padding: padding(c) }, ...biasOf(c), ...activation(c)];
  };
}

function batchNorm(c: Ctx): PrimBody[] {
  const axis = c.cfg.axis;
  if (axis !== undefined && axis !== -1 && axis !== 3)
    throw unsupported(`batch norm over axis ${JSON.stringify(axis)}`, c.source, ['axis -1']);
  const mean = need(c, 'moving_mean').data;
  const gamma = weight(c, 'gamma')?.data ?? fill(mean.length, 1);
  const beta = weight(c, 'beta')?.data ?? fill(mean.length, 0);
  const epsilon = typeof c.cfg.epsilon === 'number' ? c.cfg.epsilon : 1e-3;
  return [{ op: 'bn', input: '', gamma, beta, mean, variance: need(c, 'moving_variance').data, epsilon }];
}

function pool(kind: 'avgpool' | 'maxpool'): Mapper {
  return (c) => {
    const size = pair(c.cfg.poolSize ?? 2, 'poolSize', c);
    const stride = c.cfg.strides === null || c.cfg.strides === undefined ? size : pair(c.cfg.strides, 'strides', c);
    return [{ op: 'pool', input: '', kind, size, stride, padding: padding(c) }];
  };
}

function relu(c: Ctx): PrimBody[] {
  const slope = c.cfg.negativeSlope ?? 0;
  const threshold = c.cfg.threshold ?? 0;
  if (slope !== 0 || threshold !== 0) throw unsupported('ReLU with a negative slope or threshold', c.source, ['ReLU, ReLU(maxValue=6)']);
  const max = c.cfg.maxValue;
  if (max === undefined || max === null) return [{ op: 'act', input: '', act: 'relu' }];
  if (max === 6) return [{ op: 'act', input: '', act: 'relu6' }];
  throw unsupported(`ReLU max value ${String(max)}`, c.source, ['none', '6']);
}

function add(c: Ctx): PrimBody[] {
  if (c.inputs.length < 2) throw new UserError(`${c.source}: Add needs two inputs`);
  // More than two inputs become a chain of two-input adds.
  const out: PrimBody[] = [{ op: 'add', inputs: [c.inputs[0], c.inputs[1]] }];
  for (const extra of c.inputs.slice(2)) out.push({ op: 'add', inputs: ['', extra] });
  return out;
}

// Concatenate: channels joined (axis -1, or the last axis of the inputs' rank).
function concatenate(c: Ctx): PrimBody[] {
  if (c.inputs.length < 2) throw new UserError(`${c.source}: Concatenate needs two inputs or more`);
  const axis = Number(c.cfg.axis ?? -1);
  const rank = (c.layer.inboundNodes[0]?.inputShapes as number[][] | undefined)?.[0]?.length ?? 0;
  if (axis !== -1 && axis !== rank - 1)
    throw unsupported(`Concatenate along axis ${axis} of rank-${rank} inputs`, c.source, ['Concatenate along the channels (axis -1)']);
  return [{ op: 'concat', inputs: c.inputs }];
}

// Multiply: elementwise, NumPy-broadcast (a [1, 1, C] gate over a map); more than two inputs chain.
function multiply(c: Ctx): PrimBody[] {
  if (c.inputs.length < 2) throw new UserError(`${c.source}: Multiply needs two inputs`);
  const out: PrimBody[] = [{ op: 'mul', inputs: [c.inputs[0], c.inputs[1]] }];
  for (const extra of c.inputs.slice(2)) out.push({ op: 'mul', inputs: ['', extra] });
  return out;
}

// ZeroPadding2D: an int, [h, w] or [[top, bottom], [left, right]].
function zeroPadding(c: Ctx): PrimBody[] {
  if (c.cfg.dataFormat !== undefined && c.cfg.dataFormat !== 'channelsLast')
    throw unsupported(`data format ${String(c.cfg.dataFormat)}`, c.source, ['channelsLast']);
  const p = c.cfg.padding;
  const pairOf = (v: unknown): [number, number] => (Array.isArray(v) ? pair(v, 'padding', c) : pair([v, v], 'padding', c));
  const [hw0, hw1] = Array.isArray(p) && p.length === 2 ? [pairOf(p[0]), pairOf(p[1])] : [pairOf(p), pairOf(p)];
  return [{ op: 'pad', input: '', pads: [hw0[0], hw1[0], hw0[1], hw1[1]] }];
}

function reshape(c: Ctx): PrimBody[] {
  const target = c.cfg.targetShape;
  if (Array.isArray(target) && target.length === 1) return [{ op: 'flatten', input: '' }];
  // A vector back to a 1x1 map (a squeeze-and-excitation gate); the fuser checks that its input is a vector.
  if (Array.isArray(target) && target.length === 3 && target[0] === 1 && target[1] === 1) return [{ op: 'expand', input: '' }];
  throw unsupported(`Reshape to ${JSON.stringify(target)}`, c.source, ['Reshape to a vector (Flatten)', 'Reshape to [1, 1, C]']);
}

const MAPPERS: Record<string, Mapper> = {
  Conv2D: convLike('conv', 'kernel'),
  DepthwiseConv2D: convLike('depthwise', 'depthwise_kernel'),
  SeparableConv2D: (c) => {
    checkConv(c);
    const stride = pair(c.cfg.strides ?? 1, 'strides', c);
    const dw: PrimBody = { op: 'depthwise', input: '', w: need(c, 'depthwise_kernel'), stride, padding: padding(c) };
    return [
      dw,
      { op: 'conv', input: '', w: need(c, 'pointwise_kernel'), stride: [1, 1], padding: 'valid' },
      ...biasOf(c),
      ...activation(c),
    ];
  },
  Dense: (c) => [{ op: 'matmul', input: '', w: need(c, 'kernel') }, ...biasOf(c), ...activation(c)],
  BatchNormalization: batchNorm,
  ReLU: relu,
  Activation: (c) => activation(c),
  Softmax: () => [{ op: 'softmax', input: '' }],
  AveragePooling2D: pool('avgpool'),
  MaxPooling2D: pool('maxpool'),
  GlobalAveragePooling2D: (c) => [{ op: 'gpool', input: '', kind: 'avgpool', keepDims: c.cfg.keepDims === true }],
  GlobalMaxPooling2D: (c) => [{ op: 'gpool', input: '', kind: 'maxpool', keepDims: c.cfg.keepDims === true }],
  Add: add,
  Multiply: multiply,
  Concatenate: concatenate,
  Flatten: () => [{ op: 'flatten', input: '' }],
  Reshape: reshape,
  ZeroPadding2D: zeroPadding,
  Rescaling: (c) => [
    { op: 'scale', input: '', s: Float32Array.of(Number(c.cfg.scale ?? 1)) },
    { op: 'bias', input: '', b: Float32Array.of(Number(c.cfg.offset ?? 0)) },
  ],
  Dropout: () => [{ op: 'identity', input: '' }],
  SpatialDropout2D: () => [{ op: 'identity', input: '' }],
};

export const SUPPORTED_LAYERS = Object.keys(MAPPERS);

function lower(model: tfl.LayersModel): PrimGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new UserError(
      `model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; pqk imports single-input, single-output models`,
    );
  const inputShape = model.inputs[0].shape.slice(1);
  if (inputShape.some((d) => d === null)) throw new UserError(`model input shape [${model.inputs[0].shape}] has unknown dimensions`);
  const prims: Prim[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const source = `layer ${layer.name} (${cls})`;
    if (cls === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) throw new UserError(`${source}: a layer used ${layer.inboundNodes.length} times is not supported`);
    const inputs = layer.inboundNodes[0].inboundLayers.map((l) => l.name);
    const mapper = MAPPERS[cls];
    if (!mapper) throw unsupported(`layer ${cls}`, source, SUPPORTED_LAYERS);
    const body = mapper({ layer, cfg: layer.getConfig() as Config, input: inputs[0], inputs, source });
    prims.push(
      ...(body.length === 0
        ? chain(layer.name, source, inputs[0], [{ op: 'identity', input: '' }])
        : chain(layer.name, source, inputs[0], body)),
    );
  }
  return {
    format: 'layers',
    input: model.inputs[0].sourceLayer.name,
    inputShape: inputShape as number[],
    output: model.outputs[0].sourceLayer.name,
    prims,
  };
}

export interface LoadedOriginal {
  graph: PrimGraph;
  predict: (x: tf.Tensor) => tf.Tensor | Promise<tf.Tensor>; // the original model, run by tfjs (TFLite for a .tflite, ONNX Runtime for .onnx)
  logits?: boolean; // predict gives the scores before the original's final softmax
  dispose: () => void;
}

// Every layer class of a model.json (nested models' layers included), read before tfjs loads it: tfjs stops at the
// first class it does not know, pqk names them all.
function layerClasses(model: unknown, out: { type: string; where: string }[] = []): { type: string; where: string }[] {
  const cfg = (model as { config?: unknown } | undefined)?.config;
  const layers = Array.isArray(cfg) ? cfg : (cfg as { layers?: unknown } | undefined)?.layers; // old Sequential: config is the list
  if (!Array.isArray(layers)) return out;
  for (const l of layers as { class_name?: unknown; config?: { name?: unknown; layers?: unknown } }[]) {
    if (typeof l.class_name !== 'string') continue;
    const nested = Array.isArray(l.config) || Array.isArray(l.config?.layers);
    if (nested) layerClasses(l, out);
    else out.push({ type: l.class_name, where: `layer ${String(l.config?.name ?? '?')} (${l.class_name})` });
  }
  return out;
}

export async function loadLayers(files: ModelFiles): Promise<LoadedOriginal> {
  const known = new Set([...SUPPORTED_LAYERS, 'InputLayer']);
  const topo = files.json.modelTopology as Record<string, unknown>;
  const missing = layerClasses(topo.model_config ?? topo).filter((l) => !known.has(l.type));
  const err = unsupportedTypes(files.path, 'layer', missing, SUPPORTED_LAYERS);
  if (err) throw err;
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(fileHandler(files));
  } catch (e) {
    const m = /Unknown layer: (\w+)/.exec((e as Error).message);
    if (m) throw unsupported(`layer ${m[1]}`, files.path, SUPPORTED_LAYERS);
    throw new UserError(`${files.path}: tfjs cannot load this layers model: ${(e as Error).message.split('\n')[0]}`);
  }
  return { graph: lower(model), predict: (x) => model.predict(x) as tf.Tensor, dispose: () => model.dispose() };
}
