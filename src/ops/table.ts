// The op table: every descriptor, and the lookups the writer, reader, verifier, inspector, interpreter and report
// figures make in it. Adding an op adds its descriptor to OP_LIST (docs/adding-an-op.md).
import type * as flatbuffers from 'flatbuffers';
import type { KernelContext, OpKernel } from '../int/common.js';
import type { OpCode, QModel, QOp } from '../int/graph.js';
import { add } from './add.js';
import { concatenation } from './concatenation.js';
import { conv2d } from './conv-2d.js';
import { depthwiseConv2d } from './depthwise-conv-2d.js';
import type { OpDescriptor } from './descriptor.js';
import { expandDims } from './expand-dims.js';
import { fullyConnected } from './fully-connected.js';
import { hardSwish } from './hard-swish.js';
import { logistic } from './logistic.js';
import { mean } from './mean.js';
import { mul } from './mul.js';
import { padOp } from './pad.js';
import { averagePool2d, maxPool2d } from './pool-2d.js';
import { dequantize, quantize } from './quantize.js';
import { reshape } from './reshape.js';
import { softmax } from './softmax.js';
import { squeeze } from './squeeze.js';

export const OPS: { readonly [K in OpCode]: OpDescriptor<K> } = {
  CONV_2D: conv2d,
  DEPTHWISE_CONV_2D: depthwiseConv2d,
  FULLY_CONNECTED: fullyConnected,
  AVERAGE_POOL_2D: averagePool2d,
  MAX_POOL_2D: maxPool2d,
  MEAN: mean,
  ADD: add,
  RESHAPE: reshape,
  SOFTMAX: softmax,
  QUANTIZE: quantize,
  DEQUANTIZE: dequantize,
  PAD: padOp,
  CONCATENATION: concatenation,
  MUL: mul,
  LOGISTIC: logistic,
  HARD_SWISH: hardSwish,
  SQUEEZE: squeeze,
  EXPAND_DIMS: expandDims,
};

export const OP_LIST: readonly OpDescriptor[] = Object.values(OPS) as OpDescriptor[];

// The descriptor of a pqk op name, or undefined for a name pqk does not know (an imported or corrupt model).
export function descriptorOf(op: string): OpDescriptor | undefined {
  return (OPS as Partial<Record<string, OpDescriptor>>)[op];
}

// The op of a TFLite builtin code.
export function opCodeOf(builtin: number): OpCode | undefined {
  return OP_LIST.find((d) => d.code === builtin)?.name;
}

export function kernelFor(ctx: KernelContext): OpKernel {
  const d = descriptorOf(ctx.op.op);
  if (!d) throw new Error(`int reference: node ${ctx.node}: no integer kernel for op ${String(ctx.op.op)}`);
  return d.kernel;
}

// Multiply-accumulates of one op per inference.
export function opMacs(model: QModel, op: QOp): number {
  return (descriptorOf(op.op)?.macs as ((m: QModel, o: QOp) => number) | undefined)?.(model, op) ?? 0;
}

// The tensor index of the op's weights, when it has any.
export function weightsOf(op: QOp): number | undefined {
  const k = descriptorOf(op.op)?.weightsInput;
  return k === undefined ? undefined : op.inputs[k];
}

export interface OpCost {
  node: number;
  op: OpCode;
  macs: number;
}

export function opCosts(model: QModel): OpCost[] {
  return model.ops.map((op, node) => ({ node, op: op.op, macs: opMacs(model, op) }));
}

// The options table of `op` through its descriptor (0 when the op is written without one).
export function encodeOptions(b: flatbuffers.Builder, op: QOp): flatbuffers.Offset {
  return (OPS[op.op].encode as (b: flatbuffers.Builder, o: QOp['options']) => flatbuffers.Offset)(b, op.options);
}
