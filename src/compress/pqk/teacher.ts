// The teacher that lives inside the pruned network: per layer, the student's quantized important weights plus the
// unimportant (pruned-away) weights at full precision, W_t = Q(W * M) + W * (1 - M). Batch norm is folded with the
// same frozen statistics as the student's, so neither forward updates any statistics and neither can corrupt the
// other's. Activations are full precision unless asked otherwise (then the student's frozen ranges are used).
import * as tf from '@tensorflow/tfjs-core';
import { activate, applyKernel, floatOther, runGraph } from '../../models/forward.js';
import type { Model } from '../../models/params.js';
import { channelShape, qparamsFromRange, steRound } from '../quant/fake-quant.js';
import { foldedKernel, quantizeKernel, type QatState } from '../quant/qat.js';

export interface TeacherOptions {
  quantizeActivations: boolean;
}

// Folded kernel of the teacher for one layer: fake-quantized important part + float unimportant part.
export function teacherKernel(model: Model, name: string, st: QatState): { w: tf.Tensor; b: tf.Tensor } {
  const p = model.layers.get(name)!;
  const important = foldedKernel(p);
  const { wi, sw } = quantizeKernel(p, important.w, st.scheme);
  const wq = tf.mul(wi, tf.reshape(sw, channelShape(p.spec.kind, p.w.shape)));
  const unimportant = foldedKernel(p, tf.sub(1, p.mask));
  return { w: tf.add(wq, unimportant.w), b: important.b };
}

// Float fake quantization of one activation with the student's frozen range: (clamp(round(y/s) + zp) - zp) * s.
function fakeQuant(model: Model, name: string, y: tf.Tensor): tf.Tensor {
  const q = qparamsFromRange(model.ranges.get(name)!);
  const v = tf.clipByValue(tf.add(steRound(tf.div(y, q.scale)), q.zeroPoint), -128, 127);
  return tf.mul(tf.sub(v, q.zeroPoint), q.scale);
}

export function teacherLogits(model: Model, x: tf.Tensor, st: QatState, opts: TeacherOptions): tf.Tensor {
  const fq = (name: string, y: tf.Tensor): tf.Tensor => (opts.quantizeActivations ? fakeQuant(model, name, y) : y);
  return runGraph(
    model.spec,
    fq('input', x),
    (n, xin) => {
      const { w, b } = teacherKernel(model, n.name, st);
      return fq(n.name, activate(tf.add(applyKernel(model.layers.get(n.name)!, xin, w), b), n.activation));
    },
    (n, xs) => (n.kind === 'add' ? fq(n.name, floatOther(n, xs)) : floatOther(n, xs)),
  );
}
