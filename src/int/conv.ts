// CONV_2D, int8 activations, per-channel int8/int4 weights, int32 bias. Reproduces TFLite 2.9's
// optimized_integer_ops::ConvPerChannel: im2col with the input zero point as padding value, then ruy's GEMM with
// per-channel multipliers (rounding as ruy's x86-64 or arm64 kernels do), output zero point, activation clamp.

import { fail, inputTensor, int8Kernel, nhwc, outputTensor, type KernelContext } from './common.js';
import { gemmRounding, requantizeChannel } from './requantize.js';
import { prepareWindow, type WindowParams } from './window.js';

export type ConvParams = WindowParams; // filter [outC, kH, kW, inC]

export function prepareConv(ctx: KernelContext): ConvParams {
  const [outC, kH, kW, fIn] = nhwc(ctx, inputTensor(ctx, 1));
  const inC = nhwc(ctx, inputTensor(ctx, 0))[3];
  if (fIn !== inC) fail(ctx, `filter has ${fIn} input channels, input has ${inC}`);
  // ruy's GEMM: x86-64 kernels round the high multiply and the shift separately, arm64 kernels round once, except
  // where arm64 runs a one-pixel output as its NEON GEMV (gemmRounding); TFLite Micro's
  // reference_integer_ops::ConvPerChannel uses MultiplyByQuantizedMultiplier (ties away from zero).
  const [n, oh, ow] = nhwc(ctx, outputTensor(ctx));
  return prepareWindow(ctx, { kH, kW, outC }, gemmRounding(ctx.flavor, outC, kH * kW * inC, n * oh * ow));
}

// Gathers one receptive field as (input - zero point); taps outside the image contribute 0.
function fillPatch(p: ConvParams, input: Int8Array, patch: Int32Array, b: number, oy: number, ox: number): void {
  let k = 0;
  for (let ky = 0; ky < p.kH; ky++) {
    const iy = oy * p.strideH - p.padTop + ky * p.dilationH;
    for (let kx = 0; kx < p.kW; kx++) {
      const ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
      if (iy < 0 || iy >= p.inH || ix < 0 || ix >= p.inW) {
        patch.fill(0, k, k + p.inC);
        k += p.inC;
        continue;
      }
      const base = ((b * p.inH + iy) * p.inW + ix) * p.inC;
      for (let c = 0; c < p.inC; c++) patch[k++] = input[base + c] + p.inputOffset;
    }
  }
}

// Dot products of one patch with every filter row, four output channels at a time so each patch load is reused.
function patchTimesFilter(p: ConvParams, patch: Int32Array, acc: Int32Array): void {
  const { filter, bias, outC } = p;
  const depth = patch.length;
  let oc = 0;
  for (; oc + 4 <= outC; oc += 4) {
    const w0 = oc * depth;
    const [w1, w2, w3] = [w0 + depth, w0 + 2 * depth, w0 + 3 * depth];
    let a0 = bias[oc];
    let a1 = bias[oc + 1];
    let a2 = bias[oc + 2];
    let a3 = bias[oc + 3];
    for (let k = 0; k < depth; k++) {
      const x = patch[k];
      a0 += x * filter[w0 + k];
      a1 += x * filter[w1 + k];
      a2 += x * filter[w2 + k];
      a3 += x * filter[w3 + k];
    }
    acc[oc] = a0;
    acc[oc + 1] = a1;
    acc[oc + 2] = a2;
    acc[oc + 3] = a3;
  }
  for (; oc < outC; oc++) {
    let a = bias[oc];
    const w = oc * depth;
    for (let k = 0; k < depth; k++) a += patch[k] * filter[w + k];
    acc[oc] = a;
  }
}

export function conv2d(p: ConvParams, input: Int8Array): Int8Array {
  const out = new Int8Array(p.batch * p.outH * p.outW * p.outC);
  const patch = new Int32Array(p.kH * p.kW * p.inC);
  const acc = new Int32Array(p.outC);
  let o = 0;
  for (let b = 0; b < p.batch; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        fillPatch(p, input, patch, b, oy, ox);
        patchTimesFilter(p, patch, acc);
        for (let oc = 0; oc < p.outC; oc++) out[o++] = requantizeChannel(p.rescaler, oc, acc[oc], p.outputOffset, p.actMin, p.actMax);
      }
    }
  }
  return out;
}

export const convKernel = int8Kernel(prepareConv, conv2d);
