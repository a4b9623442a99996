// The teacher that lives inside the pruned network: per layer, the student's quantized important weights plus the
// unimportant (pruned-away) weights at full precision, W_t = Q(W * M) + W * (1 - M).
// Batch norm: the student's statistics are frozen (folded, as exported) and describe the pruned kernels; the
// teacher's kernels are denser, so by default ('batch') it normalizes with the statistics of each batch of its own
// pre-activations and writes no moving statistics at all: neither forward can corrupt the other's statistics, and
// the affine gamma/beta stay the student's. 'frozen' folds the student's statistics into the teacher too (an
// ablation: a channel that phase 1 removed has near-zero variance there, so re-adding its filter is amplified).
// Activations are full precision unless asked otherwise (then the student's frozen ranges are used).
import * as tf from '@tensorflow/tfjs-core';
import { activate, applyKernel, floatOther, runGraph } from '../../models/forward.js';
import { batchNormTraining } from '../../backend/bn-train.js';
import { noGradient } from '../../models/grad.js';
import { BN_EPSILON, type LayerParams, type Model } from '../../models/params.js';
import { channelShape, qparamsFromRange, steRound } from '../quant/fake-quant.js';
import { foldedKernel, quantizeKernel, type QatState } from '../quant/qat.js';

export interface TeacherOptions {
  quantizeActivations: boolean;
  batchNorm?: 'batch' | 'frozen'; // default 'batch'
}

// The student's part of a layer, as the student computes it: folded important weights, fake-quantized.
function studentPart(p: LayerParams, st: QatState): { wq: tf.Tensor; b: tf.Tensor } {
  const important = foldedKernel(p);
  const { wi, sw } = quantizeKernel(p, important.w, st.scheme);
  return { wq: tf.mul(wi, tf.reshape(sw, channelShape(p.spec.kind, p.w.shape))), b: important.b };
}

// The teacher's kernel before batch norm: the student's part unfolded again, plus the raw unimportant part.
function teacherRawKernel(model: Model, name: string, st: QatState): tf.Tensor {
  const p = model.layers.get(name)!;
  const k = noGradient(p.bn!.gamma, (g) => {
    const kk = tf.div(g, tf.sqrt(tf.add(p.bn!.variance, BN_EPSILON)));
    return tf.where(tf.greater(tf.abs(kk), 1e-12), kk, tf.onesLike(kk));
  });
  const wq = tf.div(studentPart(p, st).wq, tf.reshape(k, channelShape(p.spec.kind, p.w.shape)));
  return tf.add(wq, tf.mul(p.w, tf.sub(1, p.mask)));
}

// Folded kernel of the teacher for one layer: fake-quantized important part + float unimportant part.
export function teacherKernel(model: Model, name: string, st: QatState): { w: tf.Tensor; b: tf.Tensor } {
  const p = model.layers.get(name)!;
  const { wq, b } = studentPart(p, st);
  return { w: tf.add(wq, foldedKernel(p, tf.sub(1, p.mask)).w), b };
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
      const p = model.layers.get(n.name)!;
      if (p.bn && (opts.batchNorm ?? 'batch') === 'batch') {
        const y = applyKernel(p, xin, teacherRawKernel(model, n.name, st));
        const r = batchNormTraining(y, p.bn.gamma as tf.Tensor1D, p.bn.beta as tf.Tensor1D, BN_EPSILON, n.activation === 'relu');
        return fq(n.name, n.activation === 'relu' ? r.y : activate(r.y, n.activation));
      }
      const { w, b } = teacherKernel(model, n.name, st);
      return fq(n.name, activate(tf.add(applyKernel(p, xin, w), b), n.activation));
    },
    (n, xs) => (n.kind === 'add' ? fq(n.name, floatOther(n, xs)) : floatOther(n, xs)),
  );
}
