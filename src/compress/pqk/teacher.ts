// The teacher that lives inside the pruned network: per layer, the student's quantized important weights plus the
// unimportant (pruned-away) weights at full precision, W_t = Q(W * M) + W * (1 - M).
// Batch norm: the student's statistics are frozen (folded, as exported) and describe the pruned kernels; the
// teacher's kernels are denser, so by default ('batch') it normalizes with the statistics of each batch of its own
// pre-activations and writes no moving statistics at all: neither forward can corrupt the other's statistics, and
// the affine gamma/beta stay the student's. 'frozen' folds the student's statistics into the teacher too (an
// ablation: a channel that phase 1 removed has near-zero variance there, so re-adding its filter is amplified).
// Activations are full precision unless asked otherwise (then the student's frozen ranges are used).
import * as tf from '@tensorflow/tfjs-core';
import { applyKernel, floatOther, runGraph } from '../../models/forward.js';
import { activate } from '../../models/blocks/descriptor.js';
import { batchNormTraining } from '../../backend/bn-train.js';
import { stopGradient } from '../../models/grad.js';
import { BN_EPSILON, type LayerParams, type Model } from '../../models/params.js';
import { qparamsOf, steRound } from '../quant/fake-quant.js';
import { blockOf, weightsOf } from '../../models/blocks/table.js';
import { foldedKernel, quantizeKernel, type QatState } from '../quant/qat.js';

export interface TeacherOptions {
  quantizeActivations: boolean;
  batchNorm?: 'batch' | 'frozen'; // default 'batch'
}

// The student's part of a layer, as the student computes it: folded important weights, fake-quantized.
function studentPart(p: LayerParams, st: QatState): { wq: tf.Tensor; b: tf.Tensor } {
  const important = foldedKernel(p);
  const { wi, sw } = quantizeKernel(p, important.w, st.scheme);
  return { wq: tf.mul(wi, tf.reshape(sw, weightsOf(p.spec).channelShape(p.w.shape))), b: important.b };
}

// What the teacher takes from the student in one layer, as constants: the teacher's loss moves only the unimportant
// weights, so nothing of it may reach the student's parameters (its important weights, batch norm, biases).
export interface TeacherConstants {
  student: tf.Tensor; // the student's quantized important kernel: unfolded again for a batch-norm ('batch') layer, else folded
  b: tf.Tensor; // the folded bias (non-'batch' layers)
  scale?: tf.Tensor; // gamma / sqrt(var + eps), in the kernel's channel shape (batch-norm layers)
  gamma?: tf.Tensor;
  beta?: tf.Tensor;
}

function layerConstants(p: LayerParams, st: QatState, opts: TeacherOptions): TeacherConstants {
  const { wq, b } = studentPart(p, st);
  if (!p.bn) return { student: wq, b: tf.clone(b) }; // b is the bias variable itself: the constants are disposed
  const kk = tf.div(p.bn.gamma, tf.sqrt(tf.add(p.bn.variance, BN_EPSILON)));
  const scale = tf.reshape(kk, weightsOf(p.spec).channelShape(p.w.shape));
  if ((opts.batchNorm ?? 'batch') === 'frozen') return { student: wq, b, scale };
  const safe = tf.reshape(tf.where(tf.greater(tf.abs(kk), 1e-12), kk, tf.onesLike(kk)), scale.shape);
  return { student: tf.div(wq, safe), b, scale, gamma: tf.clone(p.bn.gamma), beta: tf.clone(p.bn.beta) };
}

// Every layer's constants, computed outside any gradient tape (call it before tf.variableGrads and dispose after).
export function teacherConstants(model: Model, st: QatState, opts: TeacherOptions): Map<string, TeacherConstants> {
  const out = new Map<string, TeacherConstants>();
  tf.tidy(() => {
    for (const [name, p] of model.layers) out.set(name, layerConstants(p, st, opts));
    for (const c of out.values()) for (const t of Object.values(c)) if (t) tf.keep(t as tf.Tensor);
  });
  return out;
}

export function disposeTeacherConstants(c: Map<string, TeacherConstants>): void {
  for (const v of c.values()) tf.dispose(Object.values(v).filter((t): t is tf.Tensor => t !== undefined));
}

// The constants of one layer, under a tape or not: stop-gradient copies when none were computed beforehand.
function constantsOf(
  model: Model,
  name: string,
  st: QatState,
  opts: TeacherOptions,
  given?: Map<string, TeacherConstants>,
): TeacherConstants {
  const c = given?.get(name);
  if (c) return c;
  const fresh = layerConstants(model.layers.get(name)!, st, opts);
  const out: TeacherConstants = { student: stopGradient(fresh.student), b: stopGradient(fresh.b) };
  for (const k of ['scale', 'gamma', 'beta'] as const) if (fresh[k]) out[k] = stopGradient(fresh[k]!);
  return out;
}

// The teacher's kernel of one layer: the student's part plus the float unimportant weights, folded with c.scale
// unless asked for before batch norm ('batch' layers normalize it with its own statistics).
function withUnimportant(p: LayerParams, c: TeacherConstants, fold: boolean): tf.Tensor {
  const unimportant = tf.mul(p.w, tf.sub(1, p.mask));
  return tf.add(c.student, fold && c.scale ? tf.mul(unimportant, c.scale) : unimportant);
}

// Folded kernel of the teacher for one layer: fake-quantized important part + float unimportant part.
export function teacherKernel(model: Model, name: string, st: QatState): { w: tf.Tensor; b: tf.Tensor } {
  const c = constantsOf(model, name, st, { quantizeActivations: false, batchNorm: 'frozen' });
  return { w: withUnimportant(model.layers.get(name)!, c, true), b: c.b };
}

// Float fake quantization of one activation with the student's frozen range: (clamp(round(y/s) + zp) - zp) * s.
function fakeQuant(model: Model, name: string, y: tf.Tensor): tf.Tensor {
  const q = qparamsOf(model, name);
  const v = tf.clipByValue(tf.add(steRound(tf.div(y, q.scale)), q.zeroPoint), -128, 127);
  return tf.mul(tf.sub(v, q.zeroPoint), q.scale);
}

// consts: teacherConstants of this step (computed before the tape); computed here when absent.
export function teacherLogits(
  model: Model,
  x: tf.Tensor,
  st: QatState,
  opts: TeacherOptions,
  consts?: Map<string, TeacherConstants>,
): tf.Tensor {
  const fq = (name: string, y: tf.Tensor): tf.Tensor => (opts.quantizeActivations ? fakeQuant(model, name, y) : y);
  return runGraph(
    model.spec,
    fq('input', x),
    (n, xin) => {
      const p = model.layers.get(n.name)!;
      const c = constantsOf(model, n.name, st, opts, consts);
      if (c.gamma && c.beta) {
        const y = applyKernel(p, xin, withUnimportant(p, c, false));
        const r = batchNormTraining(y, c.gamma as tf.Tensor1D, c.beta as tf.Tensor1D, BN_EPSILON, n.activation === 'relu');
        return fq(n.name, n.activation === 'relu' ? r.y : activate(r.y, n.activation));
      }
      return fq(n.name, activate(tf.add(applyKernel(p, xin, withUnimportant(p, c, true)), c.b), n.activation));
    },
    (n, xs) => (blockOf(n).teacherQuantizes?.(n) ? fq(n.name, floatOther(n, xs)) : floatOther(n, xs)),
  );
}
