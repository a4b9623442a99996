// FULLY_CONNECTED, int8 activations, int8/int4 weights [O, I], int32 bias. Reproduces TFLite 2.9's
// optimized_integer_ops::FullyConnected: ruy GEMM, one multiplier from float32(s_in * s_w) / s_out (2.9 reads
// only a per-tensor filter scale) rounded as ruy's x86-64 / arm64 kernels do, output zero point, activation clamp.

import type { FullyConnectedOptions } from './graph.js';
import {
  activationParams,
  activationRange,
  biasData,
  fail,
  inputTensor,
  int8Kernel,
  outputTensor,
  weightData,
  type KernelContext,
} from './common.js';
import { channelRescaler, fullyConnectedMultiplier, gemmRounding, requantizeChannel, type ChannelRescaler } from './requantize.js';

export interface FullyConnectedParams {
  batch: number; // rows: input elements / inDepth
  inDepth: number;
  outDepth: number;
  inputOffset: number;
  outputOffset: number;
  actMin: number;
  actMax: number;
  rescaler: ChannelRescaler; // one entry per output (all equal), ruy GEMM rounding
  weights: Int8Array; // [outDepth, inDepth]
  bias: Int32Array; // [outDepth]
}

export function prepareFullyConnected(ctx: KernelContext): FullyConnectedParams {
  const o = ctx.op.options as FullyConnectedOptions;
  const input = inputTensor(ctx, 0);
  const weightsT = inputTensor(ctx, 1);
  const output = outputTensor(ctx);
  if (weightsT.shape.length !== 2) fail(ctx, `weights '${weightsT.name}' must be [O, I], got [${weightsT.shape.join(', ')}]`);
  const [outDepth, inDepth] = weightsT.shape;
  const inCount = input.shape.reduce((a, d) => a * d, 1);
  if (inCount % inDepth !== 0) fail(ctx, `input [${input.shape.join(', ')}] is not a multiple of ${inDepth}`);
  const batch = inCount / inDepth;
  const outCount = output.shape.reduce((a, d) => a * d, 1);
  if (outCount !== batch * outDepth) fail(ctx, `output [${output.shape.join(', ')}] should hold ${batch} x ${outDepth}`);
  const inQ = activationParams(ctx, input);
  const outQ = activationParams(ctx, output);
  const [actMin, actMax] = activationRange(o.activation, outQ.scale, outQ.zeroPoint);
  // TFLite 2.9 reads a single filter scale for FULLY_CONNECTED; distinct per-channel scales would be ignored there.
  if (weightsT.scale.some((sc) => sc !== weightsT.scale[0])) {
    fail(ctx, 'per-channel weight scales are not supported (TFLite 2.9 is per-tensor)');
  }
  const multiplier = new Int32Array(outDepth);
  const shift = new Int32Array(outDepth);
  for (let c = 0; c < outDepth; c++) {
    const m = fullyConnectedMultiplier(inQ.scale, weightsT.scale[0], outQ.scale);
    multiplier[c] = m.multiplier;
    shift[c] = m.shift;
  }
  return {
    batch,
    inDepth,
    outDepth,
    inputOffset: -inQ.zeroPoint,
    outputOffset: outQ.zeroPoint,
    actMin,
    actMax,
    // x86-64 rounds ties up; arm64 too where the batch-1 product runs as its NEON GEMV (4 or more outputs, depth 8 or
    // more), once where it runs in ruy (gemmRounding); TFLite Micro's reference_integer_ops::FullyConnected rounds
    // them away from zero.
    rescaler: channelRescaler({ multiplier, shift }, gemmRounding(ctx.flavor, outDepth, inDepth, batch)),
    weights: weightData(ctx, weightsT),
    bias: biasData(ctx, outDepth),
  };
}

export function fullyConnected(p: FullyConnectedParams, input: Int8Array): Int8Array {
  const out = new Int8Array(p.batch * p.outDepth);
  const row = new Int32Array(p.inDepth);
  const { weights, inDepth } = p;
  for (let b = 0; b < p.batch; b++) {
    for (let i = 0; i < inDepth; i++) row[i] = input[b * inDepth + i] + p.inputOffset;
    for (let oc = 0; oc < p.outDepth; oc++) {
      let acc = p.bias[oc];
      const wBase = oc * inDepth;
      for (let i = 0; i < inDepth; i++) acc += row[i] * weights[wBase + i];
      out[b * p.outDepth + oc] = requantizeChannel(p.rescaler, oc, acc, p.outputOffset, p.actMin, p.actMax);
    }
  }
  return out;
}

export const fullyConnectedKernel = int8Kernel(prepareFullyConnected, fullyConnected);
