// Fake-quantization primitives with straight-through gradients. Everything stays on the backend: scales and zero
// points are tensors, ranges are variables updated by tensor ops, so a training step never syncs with the host.
import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from '../../models/grad.js';
import type { ActRange, Model } from '../../models/params.js';
import { sharedQuantization, type ActName } from '../../models/spec.js';

// round(x) forward, identity backward (models/grad.ts). tf.round rounds half to even; exact .5 ties do not occur for
// the scaled accumulators it sees (irrational multipliers), and weights/biases are read back from the same op at export.
export { steRound } from '../../models/grad.js';

// Round half away from zero, as TFLite's integer kernels and QUANTIZE do, exactly in float32: |x| = f + d with
// f = floor(|x|) and d = |x| - f (both exact), rounded up when d >= 0.5. (floor(|x| + 0.5) is not exact: 0.49999997
// + 0.5 rounds to 1 in float32.) Straight-through.
export function steRoundAway(x: tf.Tensor): tf.Tensor {
  const r = tf.tidy(() => {
    const a = tf.abs(x);
    const f = tf.floor(a);
    const up = tf.cast(tf.greaterEqual(tf.sub(a, f), 0.5), 'float32');
    return tf.mul(tf.sign(x), tf.add(f, up));
  });
  return tf.add(x, stopGradient(tf.sub(r, x)));
}

export interface QParams {
  scale: tf.Scalar;
  zeroPoint: tf.Scalar; // integer-valued
}

// TFLite's asymmetric int8 parameters for a range: the range is widened to contain 0, scale = range / 255,
// zero point = round(-128 - min / scale) clamped to int8.
export function qparamsFromRange(r: { min: tf.Tensor; max: tf.Tensor }): QParams {
  return tf.tidy(() => {
    const lo = tf.minimum(r.min, 0);
    const hi = tf.maximum(tf.maximum(r.max, 0), tf.add(lo, 1e-6));
    const scale = tf.div(tf.sub(hi, lo), 255) as tf.Scalar;
    const zeroPoint = tf.clipByValue(tf.round(tf.sub(-128, tf.div(lo, scale))), -128, 127) as tf.Scalar;
    return { scale, zeroPoint };
  });
}

// The quantization of a requantized tensor: from its own range, or from the union of the ranges it shares with the
// other inputs of a concatenation (sharedQuantization).
export function qparamsOf(model: Model, name: string): QParams {
  const members = sharedQuantization(model.spec).get(name);
  if (!members) return qparamsFromRange(model.ranges.get(name)!);
  return tf.tidy(() => {
    const rs = members.map((m) => model.ranges.get(m)!);
    const min = rs.slice(1).reduce<tf.Tensor>((a, r) => tf.minimum(a, r.min), rs[0]!.min);
    const max = rs.slice(1).reduce<tf.Tensor>((a, r) => tf.maximum(a, r.max), rs[0]!.max);
    const q = qparamsFromRange({ min, max });
    return { scale: q.scale, zeroPoint: q.zeroPoint };
  });
}

// Exponential moving average of the batch range; the first observation sets the range.
export function observeRange(r: ActRange, x: tf.Tensor, decay: number, first: boolean): void {
  tf.tidy(() => {
    const bmin = tf.min(stopGradient(x));
    const bmax = tf.max(stopGradient(x));
    if (first) {
      r.min.assign(bmin);
      r.max.assign(bmax);
    } else {
      r.min.assign(tf.add(tf.mul(r.min, decay), tf.mul(bmin, 1 - decay)));
      r.max.assign(tf.add(tf.mul(r.max, decay), tf.mul(bmax, 1 - decay)));
    }
  });
}

// Quantized clamp bounds of a fused activation, as TFLite's CalculateActivationRangeQuantized computes them.
export function activationBounds(act: ActName, q: QParams): { lo: tf.Scalar; hi: tf.Scalar } {
  return tf.tidy(() => {
    let lo: tf.Scalar = tf.scalar(-128);
    let hi: tf.Scalar = tf.scalar(127);
    if (act === 'relu' || act === 'relu6') lo = tf.maximum(lo, q.zeroPoint) as tf.Scalar;
    if (act === 'relu6') hi = tf.minimum(hi, tf.add(q.zeroPoint, tf.round(tf.div(6, q.scale)))) as tf.Scalar;
    return { lo, hi };
  });
}

// Clamp of an integer-valued tensor to scalar bounds with a straight-through gradient inside them and zero outside
// (like ReLU / ReLU6); one pass each way on the native backend.
export { clampSte as clampTensor } from '../../backend/clamp.js';

// Per-output-channel symmetric weight scales: max|w| / qmax, over every axis but the output channels, which are the
// weight's last `channels` values in the tfjs layouts (conv (kh, kw, in, out): out; depthwise (kh, kw, in, mult):
// in * mult; dense (in, out): out). perTensor: one scale broadcast to every channel.
export function weightScales(w: tf.Tensor, channels: number, qmax: number, perTensor: boolean): tf.Tensor1D {
  return tf.tidy(() => {
    let m: tf.Tensor = tf.max(tf.reshape(tf.abs(w), [-1, channels]), 0);
    if (perTensor) m = tf.mul(tf.onesLike(m), tf.max(m));
    // An all-zero (fully pruned) channel gets scale 1/qmax so its bias stays finite.
    return tf.div(tf.where(tf.greater(m, 0), m, tf.onesLike(m)), qmax) as tf.Tensor1D;
  });
}
