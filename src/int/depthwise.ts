// DEPTHWISE_CONV_2D, int8 activations, per-channel int8/int4 weights. Reproduces TFLite 2.9's
// optimized_integer_ops::DepthwiseConvPerChannel (same sums as reference_integer_ops: padded taps are skipped),
// then the rounding of the kernel the build picks: on x86-64 common.h's MultiplyByQuantizedMultiplier; on arm64
// NEON rounding (ties upwards) for whole groups of 8 channels and MultiplyByQuantizedMultiplier for the rest.

import type { DepthwiseOptions } from './graph.js';
import { fail, inputTensor, int8Kernel, nhwc, type KernelContext } from './common.js';
import { requantizeChannel, type Rounding } from './requantize.js';
import { prepareWindow, type WindowParams } from './window.js';

export interface DepthwiseParams extends WindowParams {
  depthMultiplier: number; // outC = inC * depthMultiplier; filter [1, kH, kW, outC]
}

export function prepareDepthwise(ctx: KernelContext): DepthwiseParams {
  const o = ctx.op.options as DepthwiseOptions;
  const filterT = inputTensor(ctx, 1);
  const [one, kH, kW, outC] = nhwc(ctx, filterT);
  const inC = nhwc(ctx, inputTensor(ctx, 0))[3];
  if (one !== 1 || outC !== inC * o.depthMultiplier) {
    fail(ctx, `filter [${filterT.shape.join(', ')}] does not fit ${inC} channels x multiplier ${o.depthMultiplier}`);
  }
  const window = prepareWindow(ctx, { kH, kW, outC }, depthwiseRounding(ctx, outC));
  return { ...window, depthMultiplier: o.depthMultiplier };
}

// x86-64 TFLite rounds away from zero; arm64 see below; LiteRT's XNNPACK rounds int8 once, and int4 weights go to
// TFLite's own kernel (away from zero; checked op by op against LiteRT.js).
function depthwiseRounding(ctx: KernelContext, channels: number): Rounding | ((channel: number) => Rounding) {
  if (ctx.flavor === 'arm64') return arm64Rounding(channels);
  if (ctx.flavor === 'litert' && ctx.model.tensors[ctx.op.inputs[1]].dtype !== 'int4') return 'single';
  return 'away';
}

// arm64's output stage rescales whole groups of 8 channels in NEON (SQRDMULH + SRSHL: ties upwards) and the
// remaining channels with MultiplyByQuantizedMultiplier. Its NEON 3x3 kernel also rounds ties upwards, and it only
// runs when the channel count is a multiple of 8, so one rule covers both (checked under qemu-aarch64).
function arm64Rounding(channels: number): (channel: number) => Rounding {
  const neonChannels = channels - (channels % 8);
  return (c) => (c < neonChannels ? 'ties-up' : 'away');
}

// Lists the in-image taps of output pixel (oy, ox): input offsets of their pixel and filter offsets of their tap.
function gatherTaps(p: DepthwiseParams, tapIn: Int32Array, tapF: Int32Array, b: number, oy: number, ox: number): number {
  let n = 0;
  for (let ky = 0; ky < p.kH; ky++) {
    const iy = oy * p.strideH - p.padTop + ky * p.dilationH;
    if (iy < 0 || iy >= p.inH) continue;
    for (let kx = 0; kx < p.kW; kx++) {
      const ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
      if (ix < 0 || ix >= p.inW) continue;
      tapIn[n] = ((b * p.inH + iy) * p.inW + ix) * p.inC;
      tapF[n++] = (ky * p.kW + kx) * p.outC;
    }
  }
  return n;
}

export function depthwiseConv2d(p: DepthwiseParams, input: Int8Array): Int8Array {
  const { outC, depthMultiplier: mult, inputOffset, filter, bias, rescaler } = p;
  const out = new Int8Array(p.batch * p.outH * p.outW * outC);
  const tapIn = new Int32Array(p.kH * p.kW);
  const tapF = new Int32Array(p.kH * p.kW);
  let o = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        const taps = gatherTaps(p, tapIn, tapF, b, oy, ox);
        for (let c = 0; c < outC; c++) {
          const ic = mult === 1 ? c : (c / mult) | 0;
          let acc = bias[c];
          for (let t = 0; t < taps; t++) acc += (input[tapIn[t] + ic] + inputOffset) * filter[tapF[t] + c];
          out[o++] = requantizeChannel(rescaler, c, acc, p.outputOffset, p.actMin, p.actMax);
        }
      }
    }
  }
  return out;
}

export const depthwiseKernel = int8Kernel(prepareDepthwise, depthwiseConv2d);
