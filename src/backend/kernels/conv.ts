// Conv2D / DepthwiseConv2dNative and their backprops on the C addon (im2col + OpenBLAS sgemm, direct depthwise loops).
import { backend_util, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { CONV, type NativeAddon } from '../addon.js';
import { alloc, int32, isF32, nativeKernel, output, values, type KernelArgs } from './util.js';

type Conv2DInfo = backend_util.Conv2DInfo;
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

// The addon's geometry vector for a conv or pool (mult: depthwise channel multiplier, 1 otherwise).
export function geom(c: Conv2DInfo, mult: number): Int32Array {
  return int32([
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outHeight,
    c.outWidth,
    c.outChannels,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    c.padInfo.top,
    c.padInfo.left,
    mult,
  ]);
}

function info(xShape: number[], wShape: number[], a: NamedAttrMap, depthwise: boolean): Conv2DInfo {
  const dilations = (a.dilations as number | [number, number] | undefined) ?? 1;
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    wShape as [number, number, number, number],
    a.strides as number | [number, number],
    dilations,
    a.pad as Pad,
    a.dimRoundingMode as Rounding,
    depthwise,
  );
}

// NCHW and non-float tensors stay on the cpu kernels.
function nhwc(a: NamedAttrMap): boolean {
  return a.dataFormat === undefined || a.dataFormat === 'NHWC' || a.dataFormat === 'channelsLast';
}

type Plan = { kind: number; a: TensorInfo; b: TensorInfo; c: Conv2DInfo; outShape: number[]; mult: number };

function runConv(addon: NativeAddon, backend: MathBackendCPU, p: Plan): TensorInfo {
  const out = alloc(p.outShape);
  addon.conv(p.kind, geom(p.c, p.mult), values(backend, p.a), values(backend, p.b), out);
  return output(backend, p.outShape, out);
}

function convKernel(name: string, plan: (args: KernelArgs) => Plan | undefined, addon: NativeAddon): KernelConfig {
  return nativeKernel(name, (args) => {
    const p = plan(args);
    return p && runConv(addon, args.backend, p);
  });
}

function fwdPlan(depthwise: boolean) {
  return ({ inputs: { x, filter }, attrs = {} }: KernelArgs): Plan | undefined => {
    if (!x || !filter || !isF32(x, filter) || !nhwc(attrs)) return undefined;
    const c = info(x.shape, filter.shape, attrs, depthwise);
    const mult = depthwise ? filter.shape[3]! : 1;
    const kind = depthwise ? CONV.DEPTH_FWD : CONV.FWD;
    return { kind, a: x, b: filter, c, mult, outShape: [c.batchSize, c.outHeight, c.outWidth, c.outChannels] };
  };
}

function dxPlan(depthwise: boolean) {
  return ({ inputs: { dy, filter }, attrs = {} }: KernelArgs): Plan | undefined => {
    if (!dy || !filter || !isF32(dy, filter) || !nhwc(attrs)) return undefined;
    const inputShape = attrs.inputShape as number[];
    const c = info(inputShape, filter.shape, attrs, depthwise);
    const mult = depthwise ? filter.shape[3]! : 1;
    return { kind: depthwise ? CONV.DEPTH_DX : CONV.DX, a: dy, b: filter, c, mult, outShape: [...inputShape] };
  };
}

function dwPlan(depthwise: boolean) {
  return ({ inputs: { x, dy }, attrs = {} }: KernelArgs): Plan | undefined => {
    if (!x || !dy || !isF32(x, dy) || !nhwc(attrs)) return undefined;
    const filterShape = attrs.filterShape as number[];
    const c = info(x.shape, filterShape, attrs, depthwise);
    const mult = depthwise ? filterShape[3]! : 1;
    return { kind: depthwise ? CONV.DEPTH_DW : CONV.DW, a: x, b: dy, c, mult, outShape: [...filterShape] };
  };
}

export function convKernels(addon: NativeAddon): KernelConfig[] {
  return [
    convKernel('Conv2D', fwdPlan(false), addon),
    convKernel('Conv2DBackpropInput', dxPlan(false), addon),
    convKernel('Conv2DBackpropFilter', dwPlan(false), addon),
    convKernel('DepthwiseConv2dNative', fwdPlan(true), addon),
    convKernel('DepthwiseConv2dNativeBackpropInput', dxPlan(true), addon),
    convKernel('DepthwiseConv2dNativeBackpropFilter', dwPlan(true), addon),
  ];
}
