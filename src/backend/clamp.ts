// clampSte: an integer-valued tensor clamped to [lo, hi] (scalar tensors), with a straight-through gradient inside
// the bounds and zero outside. On the native backend the value and the gradient are one pass each (PqkClamp,
// PqkClampGrad) instead of two ops forward and eight backward; elsewhere they are those ops, every one of which
// every backend runs natively (comparisons are slow generic kernels on the CPU backends): the mask is
// step(x - lo + 0.5) * step(hi - x + 0.5), exact at the bounds for integers.
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { UNARY, type NativeAddon } from './addon.js';
import { alloc, output, values, type KernelArgs } from './kernels/util.js';

export const CLAMP = 'PqkClamp';
export const CLAMP_GRAD = 'PqkClampGrad';

// A kernel over x (and dy) with the bounds read from the scalar tensors lo and hi.
function boundedKernel(
  kernelName: string,
  run: (inputs: KernelArgs['inputs'], v: (t: TensorInfo) => Float32Array, lo: number, hi: number, out: Float32Array) => void,
): KernelConfig {
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (raw) => {
      const { inputs, backend } = raw as unknown as KernelArgs;
      const v = (t: TensorInfo) => values(backend, t);
      const out = alloc(inputs.x!.shape);
      run(inputs, v, v(inputs.lo!)[0]!, v(inputs.hi!)[0]!, out);
      return output(backend, inputs.x!.shape, out);
    },
  };
}

export function registerClampKernels(addon: NativeAddon): void {
  if (getKernel(CLAMP, 'native')) return;
  registerKernel(boundedKernel(CLAMP, (i, v, lo, hi, out) => addon.unary(UNARY.CLIP, v(i.x!), lo, hi, out)));
  registerKernel(boundedKernel(CLAMP_GRAD, (i, v, lo, hi, out) => addon.clipGrad(v(i.dy!), v(i.x!), lo, hi, out)));
}

function native(x: tf.Tensor, lo: tf.Tensor, hi: tf.Tensor): boolean {
  return (
    tf.getBackend() === 'native' &&
    getKernel(CLAMP, 'native') !== undefined &&
    x.dtype === 'float32' &&
    lo.size === 1 &&
    hi.size === 1 &&
    lo.dtype === 'float32' &&
    hi.dtype === 'float32'
  );
}

const op = tf.customGrad((...args) => {
  const [x, lo, hi, save] = args as unknown as [tf.Tensor, tf.Tensor, tf.Tensor, (ts: tf.Tensor[]) => void];
  save([x, lo, hi]);
  const fused = native(x, lo, hi);
  return {
    value: fused ? (tf.engine().runKernel(CLAMP, { x, lo, hi }) as tf.Tensor) : tf.minimum(tf.maximum(x, lo), hi),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sx, sa, sb] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      const dx = native(sx, sa, sb)
        ? (tf.engine().runKernel(CLAMP_GRAD, { dy: g, x: sx, lo: sa, hi: sb }) as tf.Tensor)
        : tf.mul(g, tf.mul(tf.step(tf.add(tf.sub(sx, sa), 0.5)), tf.step(tf.add(tf.sub(sb, sx), 0.5))));
      return [dx, tf.zerosLike(sa), tf.zerosLike(sb)];
    },
  };
}) as unknown as (x: tf.Tensor, lo: tf.Tensor, hi: tf.Tensor) => tf.Tensor;

export function clampSte(x: tf.Tensor, lo: tf.Tensor, hi: tf.Tensor): tf.Tensor {
  return op(x, lo, hi);
}
