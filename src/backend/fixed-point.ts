// fixedPointRound: acc * m rounded as TFLite 2.9's MultiplyByQuantizedMultiplier rounds it (m per channel, the last
// axis). On the native backend it is one C pass (PqkFixedPointScale) instead of ~12 elementwise ops; elsewhere it is
// those ops, which the kernel reproduces bit for bit.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, getKernel, registerKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { FIXED_POINT_ROUNDING, type NativeAddon } from './addon.js';
import { alloc, output, values, type KernelArgs } from './kernels/util.js';

export const FIXED_POINT = 'PqkFixedPointScale';

// 'ties-up': both roundings ties up (ruy's GEMM); 'away': the shift's ties away from zero (common.h);
// 'single': the exact product rounded once (ruy's TFLITE_SINGLE_ROUNDING).
export type FixedPointRounding = keyof typeof FIXED_POINT_ROUNDING;

function fixedPointKernel(addon: NativeAddon): KernelConfig {
  return {
    kernelName: FIXED_POINT,
    backendName: 'native',
    kernelFunc: (raw) => {
      const {
        inputs: { acc, m },
        backend,
        attrs = {},
      } = raw as unknown as KernelArgs;
      const out = alloc(acc!.shape);
      const rounding = FIXED_POINT_ROUNDING[attrs.rounding as FixedPointRounding];
      addon.fixedPoint(rounding, values(backend, acc!), values(backend, m!), out);
      return output(backend, acc!.shape, out);
    },
  };
}

export function registerFixedPointKernel(addon: NativeAddon): void {
  if (!getKernel(FIXED_POINT, 'native')) registerKernel(fixedPointKernel(addon));
}

// The rounding as tfjs ops, on any backend. m = 2^-rs * q with q in [0.5, 1): the high multiply rounds at the
// 2^-rs grid, the shift at 1.
export function fixedPointRoundOps(acc: tf.Tensor, m: tf.Tensor, rounding: FixedPointRounding): tf.Tensor {
  return tf.tidy(() => {
    if (rounding === 'single') return tf.floor(tf.add(tf.mul(acc, m), 0.5));
    const e = tf.floor(tf.div(tf.log(m), Math.LN2)); // ~ floor(log2 m), fixed up below
    let pow = tf.pow(2, tf.neg(tf.add(e, 1))); // 2^rs, rs = -(e + 1)
    const q0 = tf.mul(m, pow);
    pow = tf.where(tf.greaterEqual(q0, 1), tf.div(pow, 2), tf.where(tf.less(q0, 0.5), tf.mul(pow, 2), pow));
    pow = tf.maximum(pow, 1); // a left shift (m >= 1) scales exactly; only right shifts round twice
    const t = tf.floor(tf.add(tf.mul(acc, tf.mul(m, pow)), 0.5));
    const half = tf.div(pow, 2);
    const offset = tf.where(tf.greater(pow, 1), half, tf.zerosLike(half));
    if (rounding === 'ties-up') return tf.floor(tf.div(tf.add(t, offset), pow));
    return tf.mul(tf.sign(t), tf.floor(tf.div(tf.add(tf.abs(t), offset), pow)));
  });
}

// The kernel takes float32 acc (last dim C) and m of C values or one, shaped so that acc * m has acc's shape.
function kernelTakes(acc: tf.Tensor, m: tf.Tensor): boolean {
  const c = acc.shape[acc.rank - 1];
  const perChannel = m.size === c && m.shape[m.rank - 1] === c;
  return (
    tf.getBackend() === 'native' &&
    getKernel(FIXED_POINT, 'native') !== undefined &&
    acc.dtype === 'float32' &&
    m.dtype === 'float32' &&
    acc.size > 0 &&
    m.rank <= acc.rank &&
    (m.size === 1 || perChannel)
  );
}

// acc: (..., C) integer-valued accumulators; m: (C,) (or one value) positive real multipliers.
export function fixedPointRound(acc: tf.Tensor, m: tf.Tensor, rounding: FixedPointRounding): tf.Tensor {
  if (!kernelTakes(acc, m)) return fixedPointRoundOps(acc, m, rounding);
  return tf.tidy(() => tf.engine().runKernel(FIXED_POINT, { acc, m: tf.reshape(m, [m.size]) }, { rounding }) as tf.Tensor);
}

// dy * other, summed back to the shape of the input it is the gradient of (as tfjs' Multiply gradient does).
function mulGrad(dy: tf.Tensor, other: tf.Tensor, input: tf.Tensor): tf.Tensor {
  const res = tf.mul(dy, other);
  const axes = backend_util.getReductionAxes(input.shape, res.shape);
  return axes.length > 0 ? tf.reshape(tf.sum(res, axes), input.shape) : res;
}

type BinaryOp = (acc: tf.Tensor, m: tf.Tensor) => tf.Tensor;
const steOps = new Map<FixedPointRounding, BinaryOp>();

function steOp(rounding: FixedPointRounding): BinaryOp {
  const op = tf.customGrad((...args) => {
    const [acc, m, save] = args as unknown as [tf.Tensor, tf.Tensor, (ts: tf.Tensor[]) => void];
    save([acc, m]);
    return {
      value: fixedPointRound(acc, m, rounding),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [a, k] = saved as [tf.Tensor, tf.Tensor];
        return [mulGrad(dy as tf.Tensor, k, a), mulGrad(dy as tf.Tensor, a, k)];
      },
    };
  }) as unknown as BinaryOp;
  steOps.set(rounding, op);
  return op;
}

// fixedPointRound's value with acc * m's gradient (straight-through) as one op: its backward is the two products,
// where approx + stopGradient(exact - approx) also differentiates zero-filled tensors through the stopped branch.
export function fixedPointRoundSte(acc: tf.Tensor, m: tf.Tensor, rounding: FixedPointRounding): tf.Tensor {
  return (steOps.get(rounding) ?? steOp(rounding))(acc, m);
}
