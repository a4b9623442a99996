// The op table: for each pqk op, its TFLite builtin code, its options table, how the options are written and read,
// and how many inputs it takes. Writer, reader and inspector look ops up here instead of switching on them.
import * as flatbuffers from 'flatbuffers';
import type { Activation, ConvOptions, OpCode, Padding as PqkPadding, QOp } from '../int/graph.js';
import {
  ActivationFunctionType,
  AddOptions,
  BuiltinOperator,
  BuiltinOptions,
  Conv2DOptions,
  DepthwiseConv2DOptions,
  FullyConnectedOptions,
  Operator,
  Padding,
  Pool2DOptions,
  ReducerOptions,
  ReshapeOptions,
  SoftmaxOptions,
} from './generated/index.js';
import { formatError } from './verify.js';

// The options type of op K (distributes over QOp, whose pool and quantize members each cover two codes).
type OptionsOf<K extends OpCode> = QOp extends infer Q ? (Q extends { op: infer O; options: infer P } ? (K extends O ? P : never) : never) : never;

export interface OpSpec<K extends OpCode> {
  code: BuiltinOperator;
  optionsType: BuiltinOptions; // NONE: written without options
  inputs: [number, number]; // allowed input count, min..max
  optionalInputs: number[]; // input positions that may be -1
  encode(b: flatbuffers.Builder, o: OptionsOf<K>): flatbuffers.Offset;
  decode(op: Operator, where: string): OptionsOf<K>;
}

const ACT: Record<Activation, ActivationFunctionType> = {
  NONE: ActivationFunctionType.NONE,
  RELU: ActivationFunctionType.RELU,
  RELU6: ActivationFunctionType.RELU6,
};

function act(v: number, where: string): Activation {
  for (const [k, a] of Object.entries(ACT)) if (a === v) return k as Activation;
  throw formatError(where, `unsupported fused activation ${ActivationFunctionType[v] ?? v}`);
}

function pad(v: number, where: string): PqkPadding {
  if (v === Padding.SAME) return 'SAME';
  if (v === Padding.VALID) return 'VALID';
  throw formatError(where, `unknown padding ${v}`);
}

// Reads the union member when present; an absent table means every option takes its schema default, as in TFLite.
function opts<T extends { __init(i: number, bb: flatbuffers.ByteBuffer): T }>(op: Operator, make: () => T): T | undefined {
  const got: unknown = op.builtinOptions(make());
  return got === null ? undefined : (got as T);
}

// Fields Conv2DOptions and DepthwiseConv2DOptions share, with the schema's defaults when the table is absent.
function convOptions(o: Conv2DOptions | DepthwiseConv2DOptions | undefined, where: string): ConvOptions {
  return {
    padding: pad(o?.padding() ?? Padding.SAME, where),
    strideH: o?.strideH() ?? 0,
    strideW: o?.strideW() ?? 0,
    dilationH: o?.dilationHFactor() ?? 1,
    dilationW: o?.dilationWFactor() ?? 1,
    activation: act(o?.fusedActivationFunction() ?? 0, where),
  };
}

const conv: OpSpec<'CONV_2D'> = {
  code: BuiltinOperator.CONV_2D,
  optionsType: BuiltinOptions.Conv2DOptions,
  inputs: [2, 3],
  optionalInputs: [2],
  encode: (b, o) =>
    Conv2DOptions.createConv2DOptions(b, Padding[o.padding], o.strideW, o.strideH, ACT[o.activation], o.dilationW, o.dilationH),
  decode: (op, where) => convOptions(opts(op, () => new Conv2DOptions()), where),
};

const depthwise: OpSpec<'DEPTHWISE_CONV_2D'> = {
  code: BuiltinOperator.DEPTHWISE_CONV_2D,
  optionsType: BuiltinOptions.DepthwiseConv2DOptions,
  inputs: [2, 3],
  optionalInputs: [2],
  encode: (b, o) =>
    DepthwiseConv2DOptions.createDepthwiseConv2DOptions(
      b, Padding[o.padding], o.strideW, o.strideH, o.depthMultiplier, ACT[o.activation], o.dilationW, o.dilationH),
  decode(op, where) {
    const o = opts(op, () => new DepthwiseConv2DOptions());
    return { ...convOptions(o, where), depthMultiplier: o?.depthMultiplier() ?? 0 };
  },
};

const fullyConnected: OpSpec<'FULLY_CONNECTED'> = {
  code: BuiltinOperator.FULLY_CONNECTED,
  optionsType: BuiltinOptions.FullyConnectedOptions,
  inputs: [2, 3],
  optionalInputs: [2],
  encode(b, o) {
    FullyConnectedOptions.startFullyConnectedOptions(b);
    FullyConnectedOptions.addFusedActivationFunction(b, ACT[o.activation]);
    FullyConnectedOptions.addKeepNumDims(b, o.keepNumDims);
    return FullyConnectedOptions.endFullyConnectedOptions(b);
  },
  decode(op, where) {
    const o = opts(op, () => new FullyConnectedOptions());
    if (o && o.weightsFormat() !== 0) throw formatError(where, 'shuffled fully-connected weights are not supported');
    return { activation: act(o?.fusedActivationFunction() ?? 0, where), keepNumDims: o?.keepNumDims() ?? false };
  },
};

function pool(code: BuiltinOperator): OpSpec<'AVERAGE_POOL_2D' | 'MAX_POOL_2D'> {
  return {
    code,
    optionsType: BuiltinOptions.Pool2DOptions,
    inputs: [1, 1],
    optionalInputs: [],
    encode: (b, o) =>
      Pool2DOptions.createPool2DOptions(b, Padding[o.padding], o.strideW, o.strideH, o.filterW, o.filterH, ACT[o.activation]),
    decode(op, where) {
      const o = opts(op, () => new Pool2DOptions());
      return {
        padding: pad(o?.padding() ?? Padding.SAME, where),
        strideH: o?.strideH() ?? 0,
        strideW: o?.strideW() ?? 0,
        filterH: o?.filterHeight() ?? 0,
        filterW: o?.filterWidth() ?? 0,
        activation: act(o?.fusedActivationFunction() ?? 0, where),
      };
    },
  };
}

const mean: OpSpec<'MEAN'> = {
  code: BuiltinOperator.MEAN,
  optionsType: BuiltinOptions.ReducerOptions,
  inputs: [2, 2],
  optionalInputs: [],
  encode: (b, o) => ReducerOptions.createReducerOptions(b, o.keepDims),
  decode: (op) => ({ keepDims: opts(op, () => new ReducerOptions())?.keepDims() ?? false }),
};

const add: OpSpec<'ADD'> = {
  code: BuiltinOperator.ADD,
  optionsType: BuiltinOptions.AddOptions,
  inputs: [2, 2],
  optionalInputs: [],
  encode(b, o) {
    AddOptions.startAddOptions(b);
    AddOptions.addFusedActivationFunction(b, ACT[o.activation]);
    return AddOptions.endAddOptions(b);
  },
  decode: (op, where) => ({ activation: act(opts(op, () => new AddOptions())?.fusedActivationFunction() ?? 0, where) }),
};

const reshape: OpSpec<'RESHAPE'> = {
  code: BuiltinOperator.RESHAPE,
  optionsType: BuiltinOptions.ReshapeOptions,
  inputs: [1, 2],
  optionalInputs: [],
  encode: (b, o) => ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, o.newShape)),
  decode(op) {
    const o = opts(op, () => new ReshapeOptions());
    const newShape: number[] = [];
    for (let i = 0; o && i < o.newShapeLength(); i++) newShape.push(o.newShape(i)!);
    return { newShape };
  },
};

const softmax: OpSpec<'SOFTMAX'> = {
  code: BuiltinOperator.SOFTMAX,
  optionsType: BuiltinOptions.SoftmaxOptions,
  inputs: [1, 1],
  optionalInputs: [],
  encode: (b, o) => SoftmaxOptions.createSoftmaxOptions(b, o.beta),
  decode: (op) => ({ beta: opts(op, () => new SoftmaxOptions())?.beta() ?? 0 }),
};

// TFLite's converter writes QUANTIZE / DEQUANTIZE without options.
function noOptions(code: BuiltinOperator): OpSpec<'QUANTIZE' | 'DEQUANTIZE'> {
  return { code, optionsType: BuiltinOptions.NONE, inputs: [1, 1], optionalInputs: [], encode: () => 0, decode: () => ({}) };
}

export const OPS: { [K in OpCode]: OpSpec<K> } = {
  CONV_2D: conv,
  DEPTHWISE_CONV_2D: depthwise,
  FULLY_CONNECTED: fullyConnected,
  AVERAGE_POOL_2D: pool(BuiltinOperator.AVERAGE_POOL_2D),
  MAX_POOL_2D: pool(BuiltinOperator.MAX_POOL_2D),
  MEAN: mean,
  ADD: add,
  RESHAPE: reshape,
  SOFTMAX: softmax,
  QUANTIZE: noOptions(BuiltinOperator.QUANTIZE),
  DEQUANTIZE: noOptions(BuiltinOperator.DEQUANTIZE),
};

export function opCodeOf(builtin: number): OpCode | undefined {
  for (const k of Object.keys(OPS) as OpCode[]) if (OPS[k].code === builtin) return k;
  return undefined;
}

// Options of `op` through its spec, without the caller narrowing the union.
export function encodeOptions(b: flatbuffers.Builder, op: QOp): flatbuffers.Offset {
  const spec = OPS[op.op] as OpSpec<OpCode>;
  return spec.encode(b, op.options as never);
}
