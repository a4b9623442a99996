// Leaner gradients for batch norm with tf.moments, ReLU and ReLU6 (a clip), used only while the native backend is
// active: one kernel where tfjs-core's gradient runs 3 to 12 full-size elementwise ops. Other backends keep
// tfjs-core's.
import * as tf from '@tensorflow/tfjs-core';
import { getGradient, registerGradient, registerKernel, util, type GradConfig, type NamedAttrMap } from '@tensorflow/tfjs-core';
import { BINARY, type NativeAddon } from './addon.js';
import { nativeBinary } from './kernels/elementwise.js';
import { alloc, output, values, type KernelArgs } from './kernels/util.js';

const BN_GRAD = 'PqkBatchNormGrad';
const RELU_GRAD = 'PqkReluGrad';
const CLIP_GRAD = 'PqkClipGrad';

type Grads = Record<string, () => tf.Tensor>;

function onNative(name: string, lean: (dy: tf.Tensor, saved: tf.Tensor[], attrs: NamedAttrMap) => Grads | undefined): void {
  const base = getGradient(name);
  if (!base) throw new Error(`native backend: tfjs-core has no gradient for ${name} (register gradients first)`);
  const config: GradConfig = {
    ...base,
    gradFunc: (dy, saved, attrs) =>
      (tf.getBackend() === 'native' ? lean(dy as tf.Tensor, saved, attrs) : undefined) ?? base.gradFunc(dy, saved, attrs),
  };
  registerGradient(config);
}

// x: (..., c); mean, variance, scale: (c,) — the shapes tf.moments + tf.batchNorm give.
function batchNormGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: NamedAttrMap): Grads | undefined {
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
  const c = x.shape[x.shape.length - 1]!;
  const perChannel = (t: tf.Tensor | undefined) => t === undefined || (t.rank === 1 && t.shape[0] === c && t.dtype === 'float32');
  if (
    x.rank < 2 ||
    c > 4096 ||
    x.dtype !== 'float32' ||
    mean.rank !== 1 ||
    !perChannel(mean) ||
    !perChannel(variance) ||
    !perChannel(scale)
  )
    return undefined;
  const s = scale ?? tf.ones([c]);
  const [dx, dmean, dvar, dscale, doffset] = tf.engine().runKernel(BN_GRAD, { dy, x, mean, variance, scale: s }, attrs) as tf.Tensor[];
  return { x: () => dx!, mean: () => dmean!, variance: () => dvar!, scale: () => dscale!, offset: () => doffset! };
}

// d mean / dx spreads dy / n over the reduced dims: one Tile instead of ones, mul and div at full size.
function meanGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: NamedAttrMap): Grads | undefined {
  const [x] = saved as [tf.Tensor];
  if (x.dtype !== 'float32' || x.rank === 0) return undefined;
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const kept = x.shape.map((n, d) => (axes.includes(d) ? 1 : n));
  const n = axes.reduce((p, d) => p * x.shape[d]!, 1);
  return {
    x: () =>
      tf.tile(
        tf.div(tf.reshape(dy, kept), n),
        x.shape.map((s, d) => (axes.includes(d) ? s : 1)),
      ),
  };
}

function reluGrad(dy: tf.Tensor, saved: tf.Tensor[]): Grads | undefined {
  const [x] = saved as [tf.Tensor];
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  return { x: () => tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor };
}

// dy where min <= x <= max, else 0 (ReLU6 is a clip): one pass instead of tfjs-core's two comparisons, a logical and
// and a select, which run as the cpu backend's broadcasting JS on native.
function clipGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: NamedAttrMap): Grads | undefined {
  const [x] = saved as [tf.Tensor];
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !util.arraysEqual(x.shape, dy.shape)) return undefined;
  return { x: () => tf.engine().runKernel(CLIP_GRAD, { dy, x }, attrs) as tf.Tensor };
}

function registerKernels(addon: NativeAddon): void {
  registerKernel({
    kernelName: BN_GRAD,
    backendName: 'native',
    kernelFunc: (raw) => {
      const {
        inputs: { dy, x, mean, variance, scale },
        backend,
        attrs = {},
      } = raw as unknown as KernelArgs;
      const c = mean!.shape[0]!;
      const outs = [alloc(x!.shape), alloc([c]), alloc([c]), alloc([c]), alloc([c])] as const;
      const v = (t: typeof x) => values(backend, t!);
      addon.bnGrad(Number(attrs.varianceEpsilon ?? 0.001), v(dy), v(x), v(mean), v(variance), v(scale), ...outs);
      return [output(backend, x!.shape, outs[0]), ...outs.slice(1).map((o) => output(backend, [c], o))];
    },
  });
  registerKernel({
    kernelName: CLIP_GRAD,
    backendName: 'native',
    kernelFunc: (raw) => {
      const { inputs, backend, attrs = {} } = raw as unknown as KernelArgs;
      const out = alloc(inputs.x!.shape);
      addon.clipGrad(values(backend, inputs.dy!), values(backend, inputs.x!), Number(attrs.clipValueMin), Number(attrs.clipValueMax), out);
      return output(backend, inputs.x!.shape, out);
    },
  });
  registerKernel({
    kernelName: RELU_GRAD,
    backendName: 'native',
    kernelFunc: (raw) => {
      const args = raw as unknown as KernelArgs;
      return nativeBinary(addon, args, BINARY.RELU_GRAD, args.inputs.dy!, args.inputs.x!);
    },
  });
}

let done = false;

// Call after tfjs-core's gradients are registered (ensureGradients), or they would replace these.
export function registerGradOverrides(addon: NativeAddon): void {
  if (done) return;
  done = true;
  registerKernels(addon);
  onNative('FusedBatchNorm', batchNormGrad);
  onNative('Mean', meanGrad);
  onNative('Relu', reluGrad);
  onNative('ClipByValue', clipGrad);
}
