// The quantization-aware forward pass. It computes in the integer domain so that it is the integer reference's
// arithmetic: activations travel as (q - zero_point) integer-valued tensors, kernels as integer-valued weights, the
// convolution of the two is the exact int32 accumulator (exact in float32 below 2^24), and requantization is
// round(acc * s_in * s_w / s_out) + zero_point, clamped by the fused activation. Straight-through gradients.
import * as tf from '@tensorflow/tfjs-core';
import { rescaleExact, rescaleParams } from '../../backend/exact-rescale.js';
import { noGradient } from '../../models/grad.js';
import { applyKernel, runGraph } from '../../models/forward.js';
import { blockOf, weightsOf } from '../../models/blocks/table.js';
import { BN_EPSILON, type LayerParams, type Model } from '../../models/params.js';
import type { Flavor } from '../../int/common.js';
import { convMultipliers, fullyConnectedMultiplier, gemmRounding } from '../../int/requantize.js';
import type { NodeSpec, WeightNodeSpec } from '../../models/spec.js';
import { clampTensor, steRound, steRoundAway, weightScales, type QParams } from './fake-quant.js';
import {
  exactParams,
  fixedPointScale,
  flavorOf,
  requantizeOutput,
  weightQmax,
  type ExactPlan,
  type IntTensor,
  type QatState,
  type QuantScheme,
  type Rounding,
} from './qat-core.js';

export { fixedPointScale, weightQmax, type ExactPlan, type IntTensor, type QatState, type QuantScheme, type Rounding } from './qat-core.js';

export async function prepareExact(model: Model, st: QatState, sample: tf.Tensor): Promise<ExactPlan> {
  const plan: ExactPlan = { params: new Map(), pending: [] };
  const saved = { observe: st.observe, exact: st.exact };
  Object.assign(st, { observe: false, exact: plan });
  tf.tidy(() => {
    forwardQat(model, sample, st);
  });
  Object.assign(st, saved);
  for (const p of plan.pending) {
    const values = await Promise.all(p.kept.map(async (t) => (await t.data()) as Float32Array));
    plan.params.set(p.name, tf.tensor1d(p.make(values), 'int32'));
    p.kept.forEach((t) => t.dispose());
  }
  plan.pending = [];
  return plan;
}

export function disposeExact(plan: ExactPlan): void {
  plan.params.forEach((t) => t.dispose());
  plan.params.clear();
}

// Batch norm folded into the kernel with its moving statistics (frozen during QAT), masks applied.
// w_fold = w * mask * gamma / sqrt(var + eps); b_fold = beta - mean * gamma / sqrt(var + eps) (or the bias).
export function foldedKernel(p: LayerParams, maskOverride?: tf.Tensor): { w: tf.Tensor; b: tf.Tensor } {
  const wm = tf.mul(p.w, maskOverride ?? p.mask);
  if (!p.bn) return { w: wm, b: p.b! };
  const k = tf.div(p.bn.gamma, tf.sqrt(tf.add(p.bn.variance, BN_EPSILON)));
  const w = tf.mul(wm, tf.reshape(k, weightsOf(p.spec).channelShape(p.w.shape)));
  const b = tf.sub(p.bn.beta, tf.mul(p.bn.mean, k));
  return { w, b };
}

// One weight scale for the whole tensor: asked for, or a dense layer (TFLite 2.9's FULLY_CONNECTED reads one scale).
export function isPerTensor(kind: WeightNodeSpec['kind'], scheme: QuantScheme): boolean {
  return !scheme.perChannel || kind === 'dense';
}

// Integer weights (straight-through) and their per-channel scales for the student.
export function quantizeKernel(p: LayerParams, w: tf.Tensor, scheme: QuantScheme): { wi: tf.Tensor; sw: tf.Tensor1D } {
  const qmax = weightQmax(scheme.weightBits);
  const perTensor = isPerTensor(p.spec.kind, scheme);
  const kernel = weightsOf(p.spec);
  const sw = noGradient(w, (v) => weightScales(v, kernel.outChannels(p.w.shape), qmax, perTensor));
  const scaled = tf.div(w, tf.reshape(sw, kernel.channelShape(p.w.shape)));
  return { wi: clampTensor(steRound(scaled), tf.scalar(-qmax), tf.scalar(qmax)), sw };
}

// The rounding of a weight block's rescale in the flavour (qat-core.ts Rounding).
function opRounding(model: Model, n: WeightNodeSpec, flavor: Flavor): Rounding {
  if (n.kind === 'depthwise' || flavor === 'tflm') return 'away'; // arm64's tie-up groups are applied per channel in qatWeightNode
  if (flavor !== 'arm64') return 'ties-up';
  const inShape = model.shapes.get(n.input)!;
  if (n.kind === 'dense')
    return gemmRounding(
      flavor,
      n.units,
      inShape.reduce((a, d) => a * d, 1),
      1,
    );
  const out = model.shapes.get(n.name)!;
  return gemmRounding(flavor, n.filters, n.kernel[0] * n.kernel[1] * inShape[2]!, out[0]! * out[1]!);
}

export function qatWeightNode(model: Model, n: WeightNodeSpec, x: IntTensor, st: QatState): IntTensor {
  const p = model.layers.get(n.name)!;
  const { w, b } = foldedKernel(p);
  const { wi, sw } = quantizeKernel(p, w, st.scheme);
  const acc = applyKernel(p, x.v, wi); // exact int32 accumulator
  const sxw = tf.mul(x.q.scale, sw); // (C) bias and accumulator scale
  const bi = steRound(tf.div(b, sxw)); // int32 bias
  const accB = tf.add(acc, bi);
  const flavor = flavorOf(st);
  const rounding = opRounding(model, n, flavor);
  const scaled = (q: QParams): tf.Tensor => {
    const params = flavor === 'litert' ? undefined : exactParams(n.name, [x.q.scale, sw, q.scale], weightRescale(n, rounding, flavor), st);
    if (params) return rescaleExact(accB, params);
    const m = tf.div(sxw, q.scale);
    const r = fixedPointScale(accB, m, rounding);
    if (n.kind !== 'depthwise' || flavor !== 'arm64') return r;
    const c = m.shape[0]!;
    const neon = c - (c % 8);
    if (neon === 0) return r;
    const up = fixedPointScale(accB, m, 'ties-up');
    const isNeon = tf.less(tf.range(0, c), neon);
    return tf.where(tf.broadcastTo(isNeon, up.shape), up, r);
  };
  return requantizeOutput(model, n.name, st, () => tf.mul(accB, sxw), scaled, n.activation);
}

// accB * s_in * s_w[c] / s_out as the integer reference rescales it (src/int/requantize.ts): the multiplier and shift
// from the float32 scales in double, the flavour's roundings per channel.
function weightRescale(n: WeightNodeSpec, base: Rounding, flavor: Flavor): (v: Float32Array[]) => Int32Array {
  return ([sIn, sw, sOut]) => {
    const [inScale, outScale, ws] = [sIn![0]!, sOut![0]!, Array.from(sw!)];
    const c = n.kind === 'dense' ? 1 : ws.length;
    const mult =
      n.kind === 'dense'
        ? (() => {
            const q = fullyConnectedMultiplier(inScale, ws[0]!, outScale);
            return { multiplier: Int32Array.of(q.multiplier), shift: Int32Array.of(q.shift) };
          })()
        : convMultipliers(inScale, ws, outScale, c);
    const neon = n.kind === 'depthwise' && flavor === 'arm64' ? c - (c % 8) : 0;
    return rescaleParams(mult, (k) => (k < neon ? 'ties-up' : base));
  };
}

// The QAT forward of a block without weights (its descriptor's).
function intOther(model: Model, n: NodeSpec, xs: IntTensor[], st: QatState): IntTensor {
  const f = blockOf(n).qat;
  if (!f) throw new Error(`node '${n.name}' (${n.kind}) is not a structural node`);
  return f(model, n, xs, st);
}

export function quantizeInput(model: Model, x: tf.Tensor, st: QatState): IntTensor {
  // As TFLite's QUANTIZE and pqk verify quantize features: float32 quotient, ties away from zero.
  return requantizeOutput(
    model,
    'input',
    st,
    () => x,
    (q) => steRoundAway(tf.div(x, q.scale)),
    'none',
  );
}

// The student (the model as it will be exported): integer-domain logits.
export function forwardQat(model: Model, x: tf.Tensor, st: QatState): IntTensor {
  const ints = new Map<tf.Tensor, IntTensor>();
  const wrap = (t: IntTensor): tf.Tensor => {
    ints.set(t.v, t);
    return t.v;
  };
  const xin = wrap(quantizeInput(model, x, st));
  const out = runGraph(
    model.spec,
    xin,
    (n, v) => wrap(qatWeightNode(model, n, ints.get(v)!, st)),
    (n, vs) =>
      wrap(
        intOther(
          model,
          n,
          vs.map((v) => ints.get(v)!),
          st,
        ),
      ),
  );
  return ints.get(out)!;
}

// Dequantized student logits, what the training loss sees.
export function qatLogits(model: Model, x: tf.Tensor, st: QatState): tf.Tensor {
  const out = forwardQat(model, x, st);
  return tf.mul(out.v, out.q.scale);
}
