// The quantization-aware forward pass. It computes in the integer domain so that it is the integer reference's
// arithmetic: activations travel as (q - zero_point) integer-valued tensors, kernels as integer-valued weights, the
// convolution of the two is the exact int32 accumulator (exact in float32 below 2^24), and requantization is
// round(acc * s_in * s_w / s_out) + zero_point, clamped by the fused activation. Straight-through gradients.
import * as tf from '@tensorflow/tfjs-core';
import { fixedPointRoundSte } from '../../backend/fixed-point.js';
import { addExact, addParams, rescaleExact, rescaleParams } from '../../backend/exact-rescale.js';
import { quantAddRaw } from '../../backend/quant-add.js';
import { addRescale } from '../../int/add.js';
import { noGradient, stopGradient } from '../../models/grad.js';
import { activate, applyKernel, hardSwish, padHw, runGraph } from '../../models/forward.js';
import { BN_EPSILON, type LayerParams, type Model } from '../../models/params.js';
import type { Flavor } from '../../int/common.js';
import { convMultipliers, fullyConnectedMultiplier, gemmRounding } from '../../int/requantize.js';
import { quantizeMultiplier } from '../../int/quantize.js';
import { requantize as requantizeInt8 } from '../../int/quantize-op.js';
import { hardSwishValues } from '../../ops/hard-swish.js';
import { LOGISTIC_OUTPUT, logisticValues } from '../../ops/logistic.js';
import { mulMultiplier } from '../../ops/mul.js';
import type { ActName, NodeSpec, WeightNodeSpec } from '../../models/spec.js';
import {
  activationBounds,
  channelShape,
  clampTensor,
  observeRange,
  qparamsOf,
  steRound,
  steRoundAway,
  weightScales,
  type QParams,
} from './fake-quant.js';

export interface QuantScheme {
  weightBits: 8 | 4;
  perChannel: boolean; // per output channel (conv, depthwise); dense layers are per-tensor for TFLite 2.9
  flavor?: Flavor; // whose rounding training reproduces: 'x86-64' (default), 'arm64', 'litert' or 'tflm' (microcontrollers)
}

export interface QatState {
  scheme: QuantScheme;
  emaDecay: number; // activation range moving average
  freezeAfterSteps: number; // ranges stop moving after this many observed steps
  steps: number; // observed steps so far
  observe: boolean; // update ranges in this forward (training, not frozen)
  // Evaluation: requantize with TFLite's own 31-bit multipliers, computed in double from the float32 scales as the
  // integer reference and the runtimes do, so the logits equal the integer model's on every sample (prepareExact).
  // Training uses the float32 multiplier on the device, which in rare near-ties rounds one LSB the other way.
  exact?: ExactPlan;
}

// The integer multipliers of every requantization, computed on the host from the model's scales before an exact
// forward: a first forward of one sample collects the scale tensors each node uses (pending), their values are read
// asynchronously, and later forwards rescale on the device with them (backend/exact-rescale.ts). No synchronous read,
// so it runs on every backend, WebGPU included.
export interface ExactPlan {
  params: Map<string, tf.Tensor>; // node name -> int32 parameters (a rescale's [C * 3] or an ADD's [6])
  pending: { name: string; kept: tf.Tensor[]; make: (values: Float32Array[]) => Int32Array }[];
}

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

export function weightQmax(bits: 8 | 4): number {
  return bits === 8 ? 127 : 7;
}

// An activation in the integer domain: v = q - zeroPoint (integer-valued float32), real value = v * scale.
export interface IntTensor {
  v: tf.Tensor;
  q: QParams;
}

// Batch norm folded into the kernel with its moving statistics (frozen during QAT), masks applied.
// w_fold = w * mask * gamma / sqrt(var + eps); b_fold = beta - mean * gamma / sqrt(var + eps) (or the bias).
export function foldedKernel(p: LayerParams, maskOverride?: tf.Tensor): { w: tf.Tensor; b: tf.Tensor } {
  const wm = tf.mul(p.w, maskOverride ?? p.mask);
  if (!p.bn) return { w: wm, b: p.b! };
  const k = tf.div(p.bn.gamma, tf.sqrt(tf.add(p.bn.variance, BN_EPSILON)));
  const w = tf.mul(wm, tf.reshape(k, channelShape(p.spec.kind, p.w.shape)));
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
  const sw = noGradient(w, (v) => weightScales(v, p.spec.kind, qmax, perTensor));
  const scaled = tf.div(w, tf.reshape(sw, channelShape(p.spec.kind, p.w.shape)));
  return { wi: clampTensor(steRound(scaled), tf.scalar(-qmax), tf.scalar(qmax)), sw };
}

// How TFLite 2.9 rounds acc * multiplier. x86-64: a rounding doubling high multiply (ties up), then a rounding right
// shift whose ties go up in ruy's GEMM (CONV_2D, FULLY_CONNECTED) and away from zero in common.h (DEPTHWISE_CONV_2D,
// ADD). arm64: ruy rounds a GEMM's exact product once ('single'), its NEON GEMV (one output column: a batch-1
// FULLY_CONNECTED, a one-pixel CONV_2D, with 4 or more outputs and depth 8 or more) as x86-64 does (gemmRounding);
// NEON depthwise rounds ties up in whole groups of 8 channels and away from zero in the rest (src/int/depthwise.ts).
// The shapes are the trained ones: a channel-pruned layer that falls below the GEMV's 4 outputs or depth 8 at export
// rounds as ruy does on arm64.
export type Rounding = 'ties-up' | 'away' | 'single';

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

// acc * m rounded exactly as MultiplyByQuantizedMultiplier rounds it (double rounding), straight-through gradient.
// m (per channel) = 2^-rs * q with q in [0.5, 1): the high multiply rounds at the 2^-rs grid, the shift at 1.
export function fixedPointScale(acc: tf.Tensor, m: tf.Tensor, rounding: Rounding): tf.Tensor {
  return fixedPointRoundSte(acc, m, rounding); // one op: exact value, the gradient of acc * m
}

function requantize(
  model: Model,
  name: string,
  st: QatState,
  real: () => tf.Tensor,
  scaled: (q: QParams) => tf.Tensor,
  act: ActName,
): IntTensor {
  const range = model.ranges.get(name)!;
  if (st.observe) observeRange(range, activate(real(), act), st.emaDecay, st.steps === 0);
  const q = qparamsOf(model, name);
  const { lo, hi } = activationBounds(act, q);
  const qv = clampTensor(tf.add(scaled(q), q.zeroPoint), lo, hi);
  return { v: tf.sub(qv, q.zeroPoint), q };
}

export function qatWeightNode(model: Model, n: WeightNodeSpec, x: IntTensor, st: QatState): IntTensor {
  const p = model.layers.get(n.name)!;
  const { w, b } = foldedKernel(p);
  const { wi, sw } = quantizeKernel(p, w, st.scheme);
  const acc = applyKernel(p, x.v, wi); // exact int32 accumulator
  const sxw = tf.mul(x.q.scale, sw); // (C) bias and accumulator scale
  const bi = steRound(tf.div(b, sxw)); // int32 bias
  const accB = tf.add(acc, bi);
  const flavor = st.scheme.flavor ?? 'x86-64';
  const rounding = opRounding(model, n, flavor);
  const scaled = (q: QParams): tf.Tensor => {
    if (st.exact && flavor !== 'litert') {
      const params = st.exact.params.get(n.name);
      if (params) return rescaleExact(accB, params);
      st.exact.pending.push({
        name: n.name,
        kept: [x.q.scale, sw, q.scale].map((t) => tf.keep(t.clone())),
        make: exactParams(n, rounding, flavor),
      });
    }
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
  return requantize(model, n.name, st, () => tf.mul(accB, sxw), scaled, n.activation);
}

// accB * s_in * s_w[c] / s_out as the integer reference rescales it (src/int/requantize.ts): the multiplier and shift
// from the float32 scales in double, the flavour's roundings per channel.
function exactParams(n: WeightNodeSpec, base: Rounding, flavor: Flavor): (v: Float32Array[]) => Int32Array {
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

function intOther(model: Model, n: NodeSpec, xs: IntTensor[], st: QatState): IntTensor {
  const x = xs[0];
  switch (n.kind) {
    case 'flatten':
      return { v: tf.reshape(x.v, [x.v.shape[0], -1]), q: x.q };
    case 'expand':
      return { v: tf.reshape(x.v, [x.v.shape[0], 1, 1, -1]), q: x.q };
    case 'pad':
      // The border is the zero point (TFLite's int8 PAD), a real 0: 0 in the zero-centred integers held here.
      return { v: padHw(x.v, n.pads, 0), q: x.q };
    case 'activation':
      return n.fn === 'sigmoid' ? qatSigmoid(n.name, x, st) : qatHardSwish(model, n.name, x, st);
    case 'requantize':
      return qatRequantize(model, n.name, x, st);
    case 'mul': {
      // TFLite's MUL: (q1 - z1) * (q2 - z2), an exact integer, times s1 * s2 / s_out as MultiplyByQuantizedMultiplier
      // rounds it (exactly at evaluation, with the runtime's own multiplier from prepareExact).
      const [a, b] = xs as [IntTensor, IntTensor];
      const acc = tf.mul(a.v, b.v);
      const flavor = st.scheme.flavor ?? 'x86-64';
      return requantize(
        model,
        n.name,
        st,
        () => tf.mul(tf.mul(a.v, a.q.scale), tf.mul(b.v, b.q.scale)),
        (q) =>
          exactMul(n.name, acc, [a.q.scale, b.q.scale, q.scale], flavor, st) ??
          fixedPointScale(acc, tf.div(tf.mul(a.q.scale, b.q.scale), q.scale), 'away'),
        n.activation,
      );
    }
    case 'concat':
      // One quantization for every input (qparamsOf), kept by the op: the integers are joined unchanged.
      return {
        v: tf.concat(
          xs.map((t) => t.v),
          -1,
        ),
        q: x.q,
      };
    case 'maxpool':
      return { v: tf.maxPool(x.v as tf.Tensor4D, n.size, n.stride, n.padding), q: x.q };
    case 'avgpool': {
      // TFLite: sum of q (zero point included), divided by the count rounding half away from zero; same quantization.
      const count = n.size[0] * n.size[1];
      const q = tf.add(x.v, x.q.zeroPoint);
      const mean = tf.avgPool(q as tf.Tensor4D, n.size, n.stride, n.padding);
      const exact = noGradient(mean, (m) => {
        const sum = tf.round(tf.mul(m, count));
        return tf.mul(tf.sign(sum), tf.floor(tf.div(tf.add(tf.abs(sum), Math.floor(count / 2)), count)));
      });
      return { v: tf.sub(tf.add(mean, stopGradient(tf.sub(exact, mean))), x.q.zeroPoint), q: x.q };
    }
    case 'add': {
      const [a, b] = xs;
      // TFLite's ADD: inputs rescaled to a common 2^20-finer grid (2 * max scale), summed, then requantized: exactly
      // on the CPU backends (quantAddRaw); elsewhere through a float32 grid, which can differ by an LSB.
      const real = tf.add(tf.mul(a.v, a.q.scale), tf.mul(b.v, b.q.scale));
      const onGrid = (q: QParams): tf.Tensor => {
        const twiceMax = tf.mul(tf.maximum(a.q.scale, b.q.scale), 2);
        const grid = tf.add(
          tf.mul(a.v, tf.div(tf.mul(a.q.scale, 1 << 20), twiceMax)),
          tf.mul(b.v, tf.div(tf.mul(b.q.scale, 1 << 20), twiceMax)),
        );
        return fixedPointScale(grid, tf.div(twiceMax, tf.mul(q.scale, 1 << 20)), 'away');
      };
      return requantize(
        model,
        n.name,
        st,
        () => real,
        (q) => quantAddRaw(a.v, b.v, a.q.scale, b.q.scale, q.scale) ?? exactAdd(n.name, a, b, q, st) ?? onGrid(q),
        n.activation,
      );
    }
    default:
      throw new Error(`node '${n.name}' (${n.kind}) is not a structural node`);
  }
}

// The exact MUL rescale of an evaluation (not LiteRT's float one): the multiplier from prepareExact, rounded away.
function exactMul(name: string, acc: tf.Tensor, scales: tf.Tensor[], flavor: Flavor, st: QatState): tf.Tensor | undefined {
  if (!st.exact || flavor === 'litert') return undefined;
  const params = st.exact.params.get(name);
  if (params) return rescaleExact(acc, params);
  st.exact.pending.push({
    name,
    kept: scales.map((t) => tf.keep(t.clone())),
    make: ([s1, s2, so]) => {
      const m = quantizeMultiplier(mulMultiplier(s1![0]!, s2![0]!, so![0]!, flavor === 'tflm'));
      return rescaleParams({ multiplier: Int32Array.of(m.multiplier), shift: Int32Array.of(m.shift) }, () => 'away');
    },
  });
  return undefined;
}

// An elementwise op's output at evaluation: its table (int32 [256], the output q of every input q, index q + 128)
// from prepareExact, read at the input's values; undefined while the plan is being made or in training. `offset`
// (per element of a sample) picks among several tables of 256 laid end to end.
function tableLookup(
  name: string,
  x: IntTensor,
  kept: tf.Tensor[],
  make: (values: Float32Array[]) => Int32Array,
  st: QatState,
  offset?: () => tf.Tensor,
): tf.Tensor | undefined {
  if (!st.exact) return undefined;
  const table = st.exact.params.get(name);
  if (table) {
    const index = tf.add(tf.add(x.v, x.q.zeroPoint), 128);
    return tf.cast(tf.gather(table, tf.cast(offset ? tf.add(index, offset()) : index, 'int32')), 'float32');
  }
  st.exact.pending.push({ name, kept: kept.map((t) => tf.keep(t.clone())), make });
  return undefined;
}

// LOGISTIC onto its fixed quantization (1/256, zero point -128): sigmoid of the real input, rounded (straight
// through) in training; at evaluation the runtime's own table (TFLite's float one, or TFLite Micro's fixed point).
function qatSigmoid(name: string, x: IntTensor, st: QatState): IntTensor {
  const q: QParams = { scale: tf.scalar(LOGISTIC_OUTPUT.scale), zeroPoint: tf.scalar(LOGISTIC_OUTPUT.zeroPoint) };
  const flavor = st.scheme.flavor ?? 'x86-64';
  const exact = tableLookup(name, x, [x.q.scale, x.q.zeroPoint], ([s, z]) => Int32Array.from(logisticValues(s![0]!, z![0]!, flavor)), st);
  if (exact) return { v: tf.sub(exact, LOGISTIC_OUTPUT.zeroPoint), q };
  const y = tf.sigmoid(tf.mul(x.v, x.q.scale));
  return { v: clampTensor(steRound(tf.mul(y, 256)), tf.scalar(0), tf.scalar(255)), q };
}

// HARD_SWISH onto its own observed range: x * relu6(x + 3) / 6 of the real input, rounded (straight through) in
// training; at evaluation reference_ops::HardSwish's table for the input and output quantization.
function qatHardSwish(model: Model, name: string, x: IntTensor, st: QatState): IntTensor {
  const real = hardSwish(tf.mul(x.v, x.q.scale));
  return requantize(
    model,
    name,
    st,
    () => real,
    (q) => {
      const exact = tableLookup(
        name,
        x,
        [x.q.scale, x.q.zeroPoint, q.scale, q.zeroPoint],
        ([si, zi, so, zo]) =>
          Int32Array.from(hardSwishValues({ scale: si![0]!, zeroPoint: zi![0]! }, { scale: so![0]!, zeroPoint: zo![0]! })),
        st,
      );
      return exact ? tf.sub(exact, q.zeroPoint) : steRound(tf.div(real, q.scale));
    },
    'none',
  );
}

// QUANTIZE int8 -> int8 onto the node's own range (shared with the concatenation it feeds): x * s_in / s_out rounded
// (straight through) in training; at evaluation the integer reference's Requantize of every int8 value, two tables
// on arm64 (its NEON groups of 16 leading values round ties upward, the rest away from zero), chosen per position.
function qatRequantize(model: Model, name: string, x: IntTensor, st: QatState): IntTensor {
  const flavor = st.scheme.flavor ?? 'x86-64';
  return requantize(
    model,
    name,
    st,
    () => tf.mul(x.v, x.q.scale),
    (q) => {
      const exact = requantizeLookup(name, x, q, flavor, st);
      return exact ? tf.sub(exact, q.zeroPoint) : fixedPointScale(x.v, tf.div(x.q.scale, q.scale), 'away');
    },
    'none',
  );
}

// Tables [0, 256): ties away from zero; [256, 512): ties upward (a NEON group: all 256 values are 16 groups of 16).
// On arm64 a sample's leading multiple of 16 values read the second.
function requantizeLookup(name: string, x: IntTensor, q: QParams, flavor: Flavor, st: QatState): tf.Tensor | undefined {
  const neonGroups = (): tf.Tensor => {
    const per = x.v.shape.slice(1).reduce((a, d) => a * d, 1);
    const neon = per - (per % 16);
    return tf.reshape(tf.mul(tf.cast(tf.less(tf.range(0, per), neon), 'float32'), 256), x.v.shape.slice(1));
  };
  return tableLookup(
    name,
    x,
    [x.q.scale, x.q.zeroPoint, q.scale, q.zeroPoint],
    ([si, zi, so, zo]) => {
      const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);
      const [inQ, outQ] = [
        { scale: si![0]!, zeroPoint: zi![0]! },
        { scale: so![0]!, zeroPoint: zo![0]! },
      ];
      return Int32Array.from([...requantizeInt8(all, inQ, outQ, 'x86-64'), ...requantizeInt8(all, inQ, outQ, 'arm64')]);
    },
    st,
    flavor === 'arm64' ? neonGroups : undefined,
  );
}

// The exact ADD of an evaluation on a backend without the quantAddRaw op (its multipliers from prepareExact).
function exactAdd(name: string, a: IntTensor, b: IntTensor, q: QParams, st: QatState): tf.Tensor | undefined {
  if (!st.exact) return undefined;
  const params = st.exact.params.get(name);
  if (params) return addExact(a.v, b.v, params);
  st.exact.pending.push({
    name,
    kept: [a.q.scale, b.q.scale, q.scale].map((t) => tf.keep(t.clone())),
    make: ([s1, s2, so]) =>
      addParams(
        addRescale(s1![0]!, s2![0]!, so![0]!, (why) => {
          throw new Error(`quantized ADD '${name}': ${why}`);
        }),
      ),
  });
  return undefined;
}

export function quantizeInput(model: Model, x: tf.Tensor, st: QatState): IntTensor {
  // As TFLite's QUANTIZE and pqk verify quantize features: float32 quotient, ties away from zero.
  return requantize(
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
