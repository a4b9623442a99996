// How good and how faithful a quantized model is: accuracy of the fake-quant (QAT) forward, accuracy of the integer
// reference on the converted model, and how closely the two agree (argmax per sample, logits in LSBs).
import * as tf from '@tensorflow/tfjs-core';
import { quantizeValue } from '../../int/quantize.js';
import type { Dataset, Split } from '../../data/types.js';
import { prepareModel } from '../../ops/interpreter.js';
import type { QModel } from '../../int/graph.js';
import type { Model } from '../../models/params.js';
import { toQModel } from '../quant/convert.js';
import { disposeExact, forwardQat, prepareExact, type QatState } from '../quant/qat.js';
import { modelSparsity } from './masks.js';

export interface QuantEvaluation {
  fakeQuantAccuracy: number;
  integerAccuracy: number;
  integerCorrect: Uint8Array; // per sample: 1 where the integer reference's prediction is right
  argmaxAgreement: number; // fraction of samples whose argmax agrees
  maxLogitDiffLsb: number; // largest |fake-quant logit - integer logit| in int8 steps
  logitMismatches: number; // count of logits that differ at all
  sparsityPerLayer: Record<string, number>;
  sparsity: number;
  paramBytes: number; // nonzero weights at the target's bit width + int32 biases
}

function argmax(a: ArrayLike<number>, from: number, n: number): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i] > a[best]) best = i;
  return best - from;
}

// int8 inputs by the one rule every path uses (the QAT forward, pqk verify, TFLite's QUANTIZE): quantizeValue.
export async function quantizeSplit(split: Split, inputShape: number[], scale: number, zeroPoint: number): Promise<Int8Array[]> {
  const per = inputShape.reduce((a, b) => a * b, 1);
  return Array.from({ length: split.n }, (_, i) =>
    Int8Array.from(split.x.subarray(i * per, (i + 1) * per), (x) => quantizeValue(x, scale, zeroPoint)),
  );
}

// Integer logits of the fake-quant forward for a split (q = v + zero point), flattened (n, classes).
async function fakeQuantLogits(model: Model, st: QatState, split: Split, inputShape: number[]): Promise<Float32Array> {
  const classes = model.spec.numClasses;
  const out = new Float32Array(split.n * classes);
  const per = inputShape.reduce((a, b) => a * b, 1);
  if (split.n === 0) return out;
  const { observe, exact } = st;
  st.observe = false;
  const first = tf.tensor(split.x.subarray(0, per), [1, ...inputShape]);
  st.exact = await prepareExact(model, st, first);
  first.dispose();
  for (let from = 0; from < split.n; from += 250) {
    const to = Math.min(split.n, from + 250);
    const q = tf.tidy(() => {
      const r = forwardQat(model, tf.tensor(split.x.subarray(from * per, to * per), [to - from, ...inputShape]), st);
      return tf.add(r.v, r.q.zeroPoint);
    });
    out.set((await q.data()) as Float32Array, from * classes);
    q.dispose();
  }
  disposeExact(st.exact);
  st.observe = observe;
  st.exact = exact;
  return out;
}

export function paramBytes(q: QModel, bits: 8 | 4): number {
  let nonzero = 0;
  let bias = 0;
  for (const t of q.tensors) {
    if (!t.data) continue;
    if (t.dtype === 'int8' || t.dtype === 'int4') for (const v of t.data) if (v !== 0) nonzero++;
    if (t.dtype === 'int32') bias += t.data.length * 4;
  }
  return Math.ceil((nonzero * bits) / 8) + bias;
}

export async function evaluateQuantized(
  model: Model,
  st: QatState,
  data: Dataset,
  split: 'val' | 'test' = 'test',
): Promise<QuantEvaluation> {
  const s = data[split];
  const classes = model.spec.numClasses;
  const conv = await toQModel(model, { scheme: st.scheme, softmax: false, metadata: {} });
  const inT = conv.model.tensors[conv.model.inputs[0]];
  const inputs = await quantizeSplit(s, data.inputShape, inT.scale[0], inT.zeroPoint[0]);
  const fq = await fakeQuantLogits(model, st, s, data.inputShape);
  let fqOk = 0;
  let intOk = 0;
  let agree = 0;
  let maxDiff = 0;
  let mism = 0;
  const integerCorrect = new Uint8Array(s.n);
  const ref = prepareModel(conv.model, st.scheme.flavor ?? 'x86-64');
  for (let i = 0; i < s.n; i++) {
    const logits = ref.run(inputs[i]).outputs[0] as Int8Array;
    const a = argmax(fq, i * classes, classes);
    const b = argmax(logits, 0, classes);
    if (a === s.y[i]) fqOk++;
    if (b === s.y[i]) {
      intOk++;
      integerCorrect[i] = 1;
    }
    if (a === b) agree++;
    for (let c = 0; c < classes; c++) {
      const d = Math.abs(fq[i * classes + c] - logits[c]);
      if (d > 0) mism++;
      maxDiff = Math.max(maxDiff, d);
    }
  }
  const sp = await modelSparsity(model);
  const n = Math.max(1, s.n);
  return {
    fakeQuantAccuracy: fqOk / n,
    integerAccuracy: intOk / n,
    integerCorrect,
    argmaxAgreement: agree / n,
    maxLogitDiffLsb: maxDiff,
    logitMismatches: mism,
    sparsityPerLayer: sp.perLayer,
    sparsity: sp.overall,
    paramBytes: paramBytes(conv.model, st.scheme.weightBits),
  };
}
