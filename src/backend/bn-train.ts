// batchNormTraining: batch norm with batch statistics (+ optional ReLU) as one op; on the native backend it is one
// C kernel forward and one backward instead of ~25 elementwise passes, elsewhere it is tf.moments + tf.batchNorm.
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerGradient, registerKernel, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { alloc, output, values, type KernelArgs } from './kernels/util.js';

export const BN_TRAIN = 'PqkBatchNormTrain';
const BN_TRAIN_GRAD = 'PqkBatchNormTrainGrad';

export interface BatchNormTrainResult {
  y: tf.Tensor; // x's shape
  mean: tf.Tensor1D; // (channels,) batch mean, for running statistics
  variance: tf.Tensor1D; // (channels,) biased batch variance, as tf.moments gives it
}

function channelsOf(x: TensorInfo): [number, number] {
  const c = x.shape[x.shape.length - 1]!;
  return [x.shape.reduce((a, b) => a * b, 1) / c, c];
}

function forwardKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: BN_TRAIN,
    backendName: 'native',
    kernelFunc: (raw) => {
      const {
        inputs: { x, gamma, beta },
        backend,
        attrs = {},
      } = raw as unknown as KernelArgs;
      const [, c] = channelsOf(x!);
      const [y, mean, variance, invstd] = [alloc(x!.shape), alloc([c]), alloc([c]), alloc([c])];
      addon.bnTrainForward(
        attrs.relu ? 1 : 0,
        Number(attrs.eps),
        values(backend, x!),
        values(backend, gamma!),
        values(backend, beta!),
        y,
        mean,
        variance,
        invstd,
      );
      return [output(backend, x!.shape, y), output(backend, [c], mean), output(backend, [c], variance), output(backend, [c], invstd)];
    },
  };
}

function gradKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: BN_TRAIN_GRAD,
    backendName: 'native',
    kernelFunc: (raw) => {
      const {
        inputs: { dy, x, y, mean, invstd, gamma },
        backend,
        attrs = {},
      } = raw as unknown as KernelArgs;
      const [, c] = channelsOf(x!);
      const [dx, dgamma, dbeta] = [alloc(x!.shape), alloc([c]), alloc([c])];
      const v = (t: TensorInfo | undefined) => values(backend, t!);
      addon.bnTrainBackward(attrs.relu ? 1 : 0, v(dy), v(x), v(y), v(mean), v(invstd), v(gamma), dx, dgamma, dbeta);
      return [output(backend, x!.shape, dx), output(backend, [c], dgamma), output(backend, [c], dbeta)];
    },
  };
}

// Only y carries a gradient; mean and variance are statistics for the running averages.
function registerBnGradient(): void {
  registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [true, true, false, true],
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
      const [x, gamma, y, mean, invstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const dy = (dys as tf.Tensor[])[0]!;
      // one kernel gives all three gradients; each thunk runs in its own tidy, so they are computed here
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x, y, mean, invstd, gamma }, attrs) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
    },
  });
}

export function registerBnTrainKernels(addon: NativeAddon): void {
  if (getKernel(BN_TRAIN, 'native')) return;
  registerKernel(forwardKernel(addon));
  registerKernel(gradKernel(addon));
  registerBnGradient();
}

// x: (..., channels); gamma, beta: (channels,). Batch statistics over every dim but the last.
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-3, relu = false): BatchNormTrainResult {
  if (tf.getBackend() === 'native' && getKernel(BN_TRAIN, 'native') && x.dtype === 'float32') {
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, { eps, relu }) as tf.Tensor[];
    return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  const { mean, variance } = tf.moments(x, axes);
  const z = tf.batchNorm(x, mean, variance, beta, gamma, eps);
  return { y: relu ? tf.relu(z) : z, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
