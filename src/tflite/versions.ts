// Operator versions as TFLite's converter assigns them (tensorflow/lite/tools/versioning/op_version.cc,
// GetBuiltinOperatorVersion) and the runtime each version needs (runtime_version.cc, FindMinimumRuntimeVersionForOp),
// restricted to the ops and types pqk emits.
import type { DType, OpCode, QModel, QOp } from '../int/graph.js';

// What op_version.cc's OpSignature carries that matters for these ops.
export interface OpSignature {
  op: QOp;
  inputs: (DType | undefined)[]; // undefined for an absent optional input (-1)
  outputs: DType[];
  perChannel: (boolean | undefined)[]; // per input: more than one scale
  outputPerChannel: boolean;
  inputChannels?: number; // CONV_2D: activation channels, to detect grouped convolution
  filterChannels?: number; // CONV_2D: filter's input channels
}

function convVersion(s: OpSignature): number {
  const [a, w] = s.inputs;
  const o = s.outputs[0];
  if (s.inputChannels !== undefined && s.filterChannels !== undefined && s.inputChannels !== s.filterChannels) return 6;
  if (a === 'int8' && w === 'int8' && o === 'int8') return 3;
  if (a === 'int8' && w === 'int4' && o === 'int8') return 7;
  if (a === 'float32' && w === 'int8' && o === 'float32') return s.perChannel[1] ? 5 : 2;
  return 1;
}

function depthwiseVersion(s: OpSignature): number {
  const [a, w] = s.inputs;
  const o = s.outputs[0];
  if (a === 'float32' && w === 'int8' && o === 'float32') return s.perChannel[1] ? 6 : 4;
  if (a === 'int8' && w === 'int8' && o === 'int8') return 3;
  if (a === 'int8' && w === 'int4' && o === 'int8') return 7;
  const opts = s.op.op === 'DEPTHWISE_CONV_2D' ? s.op.options : undefined;
  if (opts && (opts.dilationW !== 1 || opts.dilationH !== 1)) return 2;
  return 1;
}

function fullyConnectedVersion(s: OpSignature): number {
  const [a, w] = s.inputs;
  const o = s.outputs[0];
  if (s.inputs.length === 2) return 6;
  if (s.op.op === 'FULLY_CONNECTED' && s.op.options.keepNumDims) return 5;
  if (a === 'int8' && w === 'int8' && o === 'int8') return 4;
  if (a === 'int8' && w === 'int4' && o === 'int8') return 10;
  if (a === 'float32' && w === 'int8' && o === 'float32') return 3;
  return 1;
}

// The version op_version.cc assigns to one operator.
export function opVersion(s: OpSignature): number {
  const in0 = s.inputs[0];
  switch (s.op.op) {
    case 'CONV_2D':
      return convVersion(s);
    case 'DEPTHWISE_CONV_2D':
      return depthwiseVersion(s);
    case 'FULLY_CONNECTED':
      return fullyConnectedVersion(s);
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
    case 'SOFTMAX':
    case 'MEAN':
    case 'ADD':
      return in0 === 'int8' ? 2 : 1;
    case 'RESHAPE':
      return 1;
    case 'QUANTIZE':
      if (in0 === 'int4' || s.outputs[0] === 'int4') return 4;
      return s.outputPerChannel ? 3 : 1;
    case 'DEQUANTIZE':
      if (in0 === 'int4') return 6;
      if (in0 === 'int8') return s.perChannel[0] ? 5 : 2;
      return 1;
  }
}

export function signatureOf(model: QModel, op: QOp): OpSignature {
  const t = (i: number) => (i >= 0 ? model.tensors[i] : undefined);
  const sig: OpSignature = {
    op,
    inputs: op.inputs.map((i) => t(i)?.dtype),
    outputs: op.outputs.map((i) => model.tensors[i]!.dtype),
    perChannel: op.inputs.map((i) => (t(i) ? t(i)!.scale.length > 1 : undefined)),
    outputPerChannel: op.outputs.some((i) => model.tensors[i]!.scale.length > 1),
  };
  if (op.op === 'CONV_2D') {
    const [a, w] = [t(op.inputs[0]!), t(op.inputs[1]!)];
    if (a && w && a.shape.length === 4 && w.shape.length === 4) {
      sig.inputChannels = a.shape[3];
      sig.filterChannels = w.shape[3];
    }
  }
  return sig;
}

const OPCODE_RUNTIME: Partial<Record<OpCode, string[]>> = {
  // index = version - 1
  CONV_2D: ['1.5.0', '1.14.0', '1.14.0', '2.3.0', '2.4.0', '2.9.0', '2.11.0'],
  DEPTHWISE_CONV_2D: ['1.5.0', '1.12.0', '1.14.0', '2.2.0', '2.3.0', '2.3.0', '2.11.0'],
  FULLY_CONNECTED: ['1.5.0', '1.10.0', '1.14.0', '1.14.0', '2.0.0', '2.1.0', '2.3.0', '2.3.0', '2.3.0', '2.11.0'],
  AVERAGE_POOL_2D: ['1.5.0', '1.14.0', '2.3.0'],
  MAX_POOL_2D: ['1.5.0', '1.14.0', '2.3.0'],
  ADD: ['1.5.0', '1.14.0', '2.4.0', '2.6.0'],
  RESHAPE: ['1.5.0'],
  SOFTMAX: ['1.5.0', '1.14.0', '2.3.0'],
  MEAN: ['1.6.0', '1.14.0', '2.4.0'],
  QUANTIZE: ['1.14.0', '1.15.0', '2.7.0'],
  DEQUANTIZE: ['1.13.1', '1.14.0', '1.15.0', '2.2.0', '2.7.0'],
};

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// The model's minimum runtime: the highest one its (op, version) pairs need; pairs upstream's table lacks are skipped.
export function minRuntimeVersion(pairs: { op: OpCode; version: number }[]): string {
  let best = '';
  for (const { op, version } of pairs) {
    const v = OPCODE_RUNTIME[op]?.[version - 1];
    if (v !== undefined && (best === '' || compareVersions(v, best) > 0)) best = v;
  }
  return best;
}
