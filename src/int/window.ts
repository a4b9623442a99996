// What CONV_2D and DEPTHWISE_CONV_2D prepare alike (TFLite's conv Prepare): output geometry and padding, input and
// output offsets, the fused activation range, per-channel multipliers with the flavor's rounding, filter and bias.

import type { ConvOptions } from './graph.js';
import {
  activationParams,
  activationRange,
  biasData,
  convGeometry,
  expectShape,
  inputTensor,
  nhwc,
  outputTensor,
  weightData,
  type KernelContext,
} from './common.js';
import { channelRescaler, convMultipliers, type ChannelRescaler, type Rounding } from './requantize.js';

export interface WindowParams {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number; // leading padding; TFLite puts an odd extra pad at the bottom / right
  padLeft: number;
  inputOffset: number; // -input zero point
  outputOffset: number; // output zero point
  actMin: number;
  actMax: number;
  rescaler: ChannelRescaler; // [outC]
  filter: Int8Array; // CONV_2D [outC, kH, kW, inC], DEPTHWISE_CONV_2D [1, kH, kW, outC]
  bias: Int32Array; // [outC]
}

// The filter's kernel size and output channels come from the caller, which knows its layout.
export function prepareWindow(
  ctx: KernelContext,
  kernel: { kH: number; kW: number; outC: number },
  rounding: Rounding | ((channel: number) => Rounding),
): WindowParams {
  const o = ctx.op.options as ConvOptions;
  const [input, filterT, output] = [inputTensor(ctx, 0), inputTensor(ctx, 1), outputTensor(ctx)];
  const [batch, inH, inW, inC] = nhwc(ctx, input);
  const { kH, kW, outC } = kernel;
  const h = convGeometry(o.padding, inH, kH, o.strideH, o.dilationH);
  const w = convGeometry(o.padding, inW, kW, o.strideW, o.dilationW);
  expectShape(ctx, output, [batch, h.out, w.out, outC]);
  const inQ = activationParams(ctx, input);
  const outQ = activationParams(ctx, output);
  const [actMin, actMax] = activationRange(o.activation, outQ.scale, outQ.zeroPoint);
  return {
    batch,
    inH,
    inW,
    inC,
    outH: h.out,
    outW: w.out,
    outC,
    kH,
    kW,
    strideH: o.strideH,
    strideW: o.strideW,
    dilationH: o.dilationH,
    dilationW: o.dilationW,
    padTop: h.pad,
    padLeft: w.pad,
    inputOffset: -inQ.zeroPoint,
    outputOffset: outQ.zeroPoint,
    actMin,
    actMax,
    rescaler: channelRescaler(convMultipliers(inQ.scale, filterT.scale, outQ.scale, outC), rounding),
    filter: weightData(ctx, filterT),
    bias: biasData(ctx, outC),
  };
}
