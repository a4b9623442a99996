// Gradient helpers tfjs lacks: stop-gradient and straight-through round, as custom-gradient ops.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; tfjs-layers' node bundle registers tfjs-core's full set.
import '@tensorflow/tfjs-layers';

const stop = tf.customGrad((...args) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

// The value of x, with no gradient flowing back through it.
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stop(x) as T;
}

const roundSte = tf.customGrad((...args) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.round(x), gradFunc: (dy: tf.Tensor) => dy };
});

// round(x) forward (half to even, tfjs's rounding), identity backward.
export function steRound(x: tf.Tensor): tf.Tensor {
  return roundSte(x) as tf.Tensor;
}

// f(x) computed as one opaque op with a zero gradient: nothing inside f is recorded for backprop, so f may use ops
// that have no gradient (comparisons, where) and costs no backward work.
export function noGradient<T extends tf.Tensor>(x: tf.Tensor, f: (x: tf.Tensor) => T): T {
  const op = tf.customGrad((...args) => {
    const a = args[0] as tf.Tensor;
    return { value: f(a), gradFunc: () => tf.zerosLike(a) };
  });
  return op(x) as T;
}
