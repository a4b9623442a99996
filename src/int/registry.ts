// The op table: TFLite builtin code -> integer kernel. The interpreter looks ops up here; adding an op adds a row.

import type { OpCode, QModel } from './graph.js';
import type { KernelContext, OpKernel } from './common.js';
import { addKernel } from './add.js';
import { convKernel } from './conv.js';
import { depthwiseKernel } from './depthwise.js';
import { fullyConnectedKernel } from './fully-connected.js';
import { meanKernel } from './mean.js';
import { averagePoolKernel, maxPoolKernel } from './pool.js';
import { dequantizeKernel, quantizeKernel, reshapeKernel } from './quantize-op.js';
import { softmaxKernel } from './softmax.js';

export const KERNELS: Readonly<Record<OpCode, OpKernel>> = {
  CONV_2D: convKernel,
  DEPTHWISE_CONV_2D: depthwiseKernel,
  FULLY_CONNECTED: fullyConnectedKernel,
  AVERAGE_POOL_2D: averagePoolKernel,
  MAX_POOL_2D: maxPoolKernel,
  MEAN: meanKernel,
  ADD: addKernel,
  RESHAPE: reshapeKernel,
  SOFTMAX: softmaxKernel,
  QUANTIZE: quantizeKernel,
  DEQUANTIZE: dequantizeKernel,
};

export function kernelFor(ctx: KernelContext): OpKernel {
  const k = (KERNELS as Partial<Record<string, OpKernel>>)[ctx.op.op];
  if (!k) throw new Error(`int reference: node ${ctx.node}: no integer kernel for op ${String(ctx.op.op)}`);
  return k;
}

export interface OpCost {
  node: number;
  op: OpCode;
  macs: number;
}

// Multiply-accumulates per op for one inference (element operations for the elementwise ops).
export function opCosts(model: QModel): OpCost[] {
  return model.ops.map((op, node) => {
    const ctx = { model, op, node, flavor: 'x86-64' as const };
    return { node, op: op.op, macs: kernelFor(ctx).macs(ctx) };
  });
}
