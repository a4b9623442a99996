// AVERAGE_POOL_2D and MAX_POOL_2D on int8 NHWC. Reproduces TFLite 2.9's optimized_integer_ops::AveragePool /
// MaxPool (same results as reference_integer_ops): only in-image taps count, the average divides the int32 sum by
// that count rounding half away from zero in integer arithmetic, then the activation clamp.

import type { PoolOptions } from './graph.js';
import {
  activationParams,
  activationRange,
  convGeometry,
  expectShape,
  fail,
  inputTensor,
  nhwc,
  outputTensor,
  type Evaluate,
  type KernelContext,
  type OpKernel,
} from './common.js';

export interface PoolParams {
  batch: number;
  inH: number;
  inW: number;
  depth: number;
  outH: number;
  outW: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  actMin: number;
  actMax: number;
}

export function preparePool(ctx: KernelContext): PoolParams {
  const o = ctx.op.options as PoolOptions;
  const input = inputTensor(ctx, 0);
  const output = outputTensor(ctx);
  const [batch, inH, inW, depth] = nhwc(ctx, input);
  const h = convGeometry(o.padding, inH, o.filterH, o.strideH, 1);
  const w = convGeometry(o.padding, inW, o.filterW, o.strideW, 1);
  expectShape(ctx, output, [batch, h.out, w.out, depth]);
  const inQ = activationParams(ctx, input);
  const outQ = activationParams(ctx, output);
  // The kernels never rescale: TFLite assumes equal quantization on both sides.
  if (inQ.zeroPoint !== outQ.zeroPoint || Math.abs(inQ.scale - outQ.scale) > 1e-6) {
    fail(ctx, 'pooling needs the same scale and zero point on input and output');
  }
  const [actMin, actMax] = activationRange(o.activation, outQ.scale, outQ.zeroPoint);
  return {
    batch,
    inH,
    inW,
    depth,
    outH: h.out,
    outW: w.out,
    filterH: o.filterH,
    filterW: o.filterW,
    strideH: o.strideH,
    strideW: o.strideW,
    padTop: h.pad,
    padLeft: w.pad,
    actMin,
    actMax,
  };
}

function pool(p: PoolParams, input: Int8Array, average: boolean): Int8Array {
  const out = new Int8Array(p.batch * p.outH * p.outW * p.depth);
  const acc = new Int32Array(p.depth);
  for (let b = 0; b < p.batch; b++) {
    for (let oy = 0; oy < p.outH; oy++) {
      const y0 = oy * p.strideH - p.padTop;
      const ys = Math.max(0, -y0);
      const ye = Math.min(p.filterH, p.inH - y0);
      for (let ox = 0; ox < p.outW; ox++) {
        const x0 = ox * p.strideW - p.padLeft;
        const xs = Math.max(0, -x0);
        const xe = Math.min(p.filterW, p.inW - x0);
        const count = (ye - ys) * (xe - xs);
        acc.fill(average ? 0 : -128);
        for (let fy = ys; fy < ye; fy++) {
          for (let fx = xs; fx < xe; fx++) {
            const base = ((b * p.inH + y0 + fy) * p.inW + x0 + fx) * p.depth;
            if (average) for (let c = 0; c < p.depth; c++) acc[c] += input[base + c];
            else for (let c = 0; c < p.depth; c++) acc[c] = Math.max(acc[c], input[base + c]);
          }
        }
        const ob = ((b * p.outH + oy) * p.outW + ox) * p.depth;
        for (let c = 0; c < p.depth; c++) {
          const s = acc[c];
          // C division truncates towards zero; the ±count/2 makes it round half away from zero.
          const v = average ? Math.trunc(s > 0 ? (s + (count >> 1)) / count : (s - (count >> 1)) / count) : s;
          out[ob + c] = v < p.actMin ? p.actMin : v > p.actMax ? p.actMax : v;
        }
      }
    }
  }
  return out;
}

export function averagePool(p: PoolParams, input: Int8Array): Int8Array {
  return pool(p, input, true);
}

export function maxPool(p: PoolParams, input: Int8Array): Int8Array {
  return pool(p, input, false);
}

function poolKernel(average: boolean): OpKernel {
  return {
    prepare(ctx: KernelContext): Evaluate {
      const p = preparePool(ctx);
      return (inputs) => pool(p, inputs[0] as Int8Array, average);
    },
  };
}

export const averagePoolKernel = poolKernel(true);
export const maxPoolKernel = poolKernel(false);
