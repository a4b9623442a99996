// AvgPool / MaxPool and their gradients on the C addon, with the cpu backend's semantics (NHWC, no dilation).
import { backend_util, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { POOL, type NativeAddon } from '../addon.js';
import { geom } from './conv.js';
import { alloc, isF32, nativeKernel, output, values } from './util.js';

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

function poolInfo(xShape: number[], a: NamedAttrMap): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize as number | [number, number],
    a.strides as number | [number, number],
    1,
    a.pad as Pad,
    a.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}

const EMPTY = new Float32Array(0);

function poolKernel(name: string, kind: number, addon: NativeAddon): KernelConfig {
  const grad = kind === POOL.AVG_GRAD || kind === POOL.MAX_GRAD;
  return nativeKernel(name, ({ inputs, backend, attrs = {} }) => {
    const x: TensorInfo | undefined = grad ? inputs.input : inputs.x;
    if (!x || !isF32(x, inputs.dy) || x.shape.length !== 4 || x.shape[3]! > 4096) return undefined;
    const c = poolInfo(x.shape, attrs);
    const outShape = grad ? [...x.shape] : [c.batchSize, c.outHeight, c.outWidth, c.outChannels];
    const out = alloc(outShape);
    const dy = grad ? values(backend, inputs.dy!) : EMPTY;
    addon.pool(kind, geom(c, 1), kind === POOL.AVG_GRAD ? EMPTY : values(backend, x), dy, out);
    return output(backend, outShape, out);
  });
}

export function poolKernels(addon: NativeAddon): KernelConfig[] {
  return [
    poolKernel('AvgPool', POOL.AVG, addon),
    poolKernel('MaxPool', POOL.MAX, addon),
    poolKernel('AvgPoolGrad', POOL.AVG_GRAD, addon),
    poolKernel('MaxPoolGrad', POOL.MAX_GRAD, addon),
  ];
}
