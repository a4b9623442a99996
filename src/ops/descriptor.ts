// What pqk knows of one TFLite op, in one object: its builtin code, its options (type, verifier table, writer and
// reader), its inputs, the version TFLite's converter gives it and the runtime each version needs, its MAC count and
// its integer reference kernel. Each op has a file in this folder exporting its descriptor; table.ts lists them and
// every registry (writer, reader, verifier, versions, inspector, interpreter, figures) is built from that list.
// docs/adding-an-op.md is the checklist for a new op.
import type * as flatbuffers from 'flatbuffers';
import type { OpKernel } from '../int/common.js';
import type { Activation, ConvOptions, DType, OpCode, OpOptionsMap, Padding as PqkPadding, QModel, QOp, QTensor } from '../int/graph.js';
import { elementCount } from '../int/graph.js';
import { formatError } from '../tflite/format-error.js';
import {
  ActivationFunctionType,
  type BuiltinOperator,
  type BuiltinOptions,
  type Conv2DOptions,
  type DepthwiseConv2DOptions,
  type Operator,
  Padding,
} from '../tflite/generated/index.js';
import type { TableSpec } from '../tflite/table-spec.js';
import type { HostTensor, PrimBody } from '../import/prims.js';

// What op_version.cc's OpSignature carries that matters for pqk's ops.
export interface OpSignature {
  op: QOp;
  inputs: (DType | undefined)[]; // undefined for an absent optional input (-1)
  inputRanks: (number | undefined)[];
  outputs: DType[];
  perChannel: (boolean | undefined)[]; // per input: more than one scale
  outputPerChannel: boolean;
  inputChannels?: number; // CONV_2D: activation channels, to detect grouped convolution
  filterChannels?: number; // CONV_2D: filter's input channels
  rescale?: number; // MUL: input scales' product over the output scale (ext_options.mul)
}

export interface OpDescriptor<K extends OpCode = OpCode> {
  name: K;
  code: BuiltinOperator;
  // The BuiltinOptions union member the op carries and its fields as the verifier checks them. `encode` returns 0
  // when the op is written without an options table (QUANTIZE, DEQUANTIZE, as TFLite's converter writes them).
  optionsType: BuiltinOptions;
  optionsTable: TableSpec;
  encode(b: flatbuffers.Builder, o: OpOptionsMap[K]): flatbuffers.Offset;
  // Reads the options (their schema defaults when the table is absent); `where` names the op in errors.
  decode(op: Operator, where: string): OpOptionsMap[K];
  inputs: [number, number]; // allowed input count, min..max
  optionalInputs: number[]; // input positions that may be -1
  weightsInput?: number; // the input holding the op's weights (for sparsity and parameter counts)
  // The version tensorflow/lite/tools/versioning/op_version.cc assigns, and the runtime each version needs
  // (runtime_version.cc; index = version - 1).
  version(s: OpSignature): number;
  runtimeVersions: readonly string[];
  // Multiply-accumulates per inference (0 for ops that multiply nothing).
  macs(model: QModel, op: QOp & { op: K }): number;
  kernel: OpKernel;
  // How `pqk import` lowers the op of a float .tflite onto the primitive ops every importer shares (import/prims.ts),
  // which the fuser makes pqk's layer blocks of; absent: the import refuses the op.
  importFloat?(l: FloatLowering, op: QOp & { op: K }): void;
  // pqk micro's C kernel for the op (firmware-harness/src/kernels/), by its `pqk_kernel` symbol; absent where pqk
  // micro does not run the op. scripts/gen-micro-ops.ts writes the C op table from these.
  micro?: string;
}

// What an op's float import sees of the .tflite being lowered (src/import/tflite.ts), bound to the op.
export interface FloatLowering {
  // A user error naming the file and the op.
  error(message: string): Error;
  // A constant input's values, dequantized to float; an error naming `what` when the input is no constant.
  constant(input: number, what: string): HostTensor;
  isConstant(input: number): boolean;
  // The prim tensor an input of the op is (the model input or an earlier op's output).
  activation(input?: number): string;
  // A tensor's shape, by tensor index.
  shape(tensor: number): number[];
  // Writes the op's chain of prims, named after the op, reading `input`; the op's output is the chain's last prim.
  emit(input: string, body: PrimBody[]): void;
  // Writes a chain of its own ahead of the op's, named `<prefix>_<k>`, and returns that name.
  emitBefore(prefix: string, input: string, body: PrimBody[]): string;
  // The bias and fused activation of a weighted or elementwise op, as prims.
  tail(activation: Activation, bias?: HostTensor): PrimBody[];
  // The op's output is this prim tensor (an op that only renames a shape), or this constant (DEQUANTIZE).
  alias(name: string): void;
  aliasConstant(c: HostTensor): void;
  // What a tensor holds for the shape-renaming ops, by tensor index: a map [1, H, W, C] or a vector [1, C]; set
  // for the op's output.
  holds(tensor: number): 'map' | 'vector';
  setHolds(kind: 'map' | 'vector'): void;
}

export const ACT: Record<Activation, ActivationFunctionType> = {
  NONE: ActivationFunctionType.NONE,
  RELU: ActivationFunctionType.RELU,
  RELU6: ActivationFunctionType.RELU6,
};

export function activation(v: number, where: string): Activation {
  for (const [k, a] of Object.entries(ACT)) if (a === v) return k as Activation;
  throw formatError(where, `unsupported fused activation ${ActivationFunctionType[v] ?? v}`);
}

export function padding(v: number, where: string): PqkPadding {
  if (v === Padding.SAME) return 'SAME';
  if (v === Padding.VALID) return 'VALID';
  throw formatError(where, `unknown padding ${v}`);
}

// Reads the union member when present; an absent table means every option takes its schema default, as in TFLite.
export function optionsTable<T extends { __init(i: number, bb: flatbuffers.ByteBuffer): T }>(op: Operator, make: () => T): T | undefined {
  const got: unknown = op.builtinOptions(make());
  return got === null ? undefined : (got as T);
}

// Fields Conv2DOptions and DepthwiseConv2DOptions share, with the schema's defaults when the table is absent.
export function convOptions(o: Conv2DOptions | DepthwiseConv2DOptions | undefined, where: string): ConvOptions {
  return {
    padding: padding(o?.padding() ?? Padding.SAME, where),
    strideH: o?.strideH() ?? 0,
    strideW: o?.strideW() ?? 0,
    dilationH: o?.dilationHFactor() ?? 1,
    dilationW: o?.dilationWFactor() ?? 1,
    activation: activation(o?.fusedActivationFunction() ?? 0, where),
  };
}

// MACs of a weighted op: output elements (an unknown dimension counted as 1) times the given filter dimensions; a
// weight tensor of unexpected rank counts as no MACs rather than NaN.
export function weightedMacs(model: QModel, op: QOp, filterDims: number[]): number {
  const out: QTensor | undefined = model.tensors[op.outputs[0] ?? -1];
  const w = model.tensors[op.inputs[1] ?? -1]?.shape ?? [];
  if (!out) return 0;
  return filterDims.reduce((n, k) => n * (w[k] ?? 0), elementCount(out.shape.map((d) => Math.max(d, 1))));
}

// The inputs of the weighted ops: activations, weights, an optional bias.
export const WEIGHTED_INPUTS = { inputs: [2, 3], optionalInputs: [2], weightsInput: 1 } satisfies Pick<
  OpDescriptor,
  'inputs' | 'optionalInputs' | 'weightsInput'
>;

// A weighted op's optional bias (input 2) as a float import reads it.
export function optionalBias(l: FloatLowering, op: QOp): HostTensor | undefined {
  return (op.inputs[2] ?? -1) >= 0 ? l.constant(2, 'bias') : undefined;
}

// CONV_2D and DEPTHWISE_CONV_2D as a float import lowers them: undilated, the filter (its TFLite tensor, input 1)
// in the tfjs layout `filter` gives, then the bias and the fused activation.
export function lowerConvolution(
  l: FloatLowering,
  op: QOp & { op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' },
  kind: 'conv' | 'depthwise',
  filter: (w: HostTensor) => HostTensor,
): void {
  const o = op.options;
  if (o.dilationH !== 1 || o.dilationW !== 1) throw l.error('dilated convolutions are not imported');
  const w = filter(l.constant(1, 'filter'));
  const head: PrimBody = { op: kind, input: '', w, stride: [o.strideH, o.strideW], padding: o.padding === 'SAME' ? 'same' : 'valid' };
  l.emit(l.activation(), [head, ...l.tail(o.activation, optionalBias(l, op))]);
}

// The common version rule of the simple int8 ops: 2 for int8, else 1.
export const int8IsVersion2 = (s: OpSignature): number => (s.inputs[0] === 'int8' ? 2 : 1);
