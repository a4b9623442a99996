// What every quantization-aware forward shares: the scheme and state of QAT, integer-domain tensors, the
// requantization of a block's output onto its range, the runtimes' rounding of acc * multiplier and the exact tables
// of an evaluation. The blocks' own forwards (models/blocks/) and the graph walk (./qat.ts) build on it.
import * as tf from '@tensorflow/tfjs-core';
import { fixedPointRoundSte } from '../../backend/fixed-point.js';
import type { Flavor } from '../../int/common.js';
import { activate } from '../../models/blocks/descriptor.js';
import type { Model } from '../../models/params.js';
import type { ActName } from '../../models/spec.js';
import { activationBounds, clampTensor, observeRange, qparamsOf, type QParams } from './fake-quant.js';

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

// An activation in the integer domain: v = q - zeroPoint (integer-valued float32), real value = v * scale.
export interface IntTensor {
  v: tf.Tensor;
  q: QParams;
}

export function weightQmax(bits: 8 | 4): number {
  return bits === 8 ? 127 : 7;
}

export function flavorOf(st: QatState): Flavor {
  return st.scheme.flavor ?? 'x86-64';
}

// How TFLite 2.9 rounds acc * multiplier. x86-64: a rounding doubling high multiply (ties up), then a rounding right
// shift whose ties go up in ruy's GEMM (CONV_2D, FULLY_CONNECTED) and away from zero in common.h (DEPTHWISE_CONV_2D,
// ADD). arm64: ruy rounds a GEMM's exact product once ('single'), its NEON GEMV (one output column: a batch-1
// FULLY_CONNECTED, a one-pixel CONV_2D, with 4 or more outputs and depth 8 or more) as x86-64 does (gemmRounding);
// NEON depthwise rounds ties up in whole groups of 8 channels and away from zero in the rest (src/int/depthwise.ts).
// The shapes are the trained ones: a channel-pruned layer that falls below the GEMV's 4 outputs or depth 8 at export
// rounds as ruy does on arm64.
export type Rounding = 'ties-up' | 'away' | 'single';

// acc * m rounded exactly as MultiplyByQuantizedMultiplier rounds it (double rounding), straight-through gradient.
// m (per channel) = 2^-rs * q with q in [0.5, 1): the high multiply rounds at the 2^-rs grid, the shift at 1.
export function fixedPointScale(acc: tf.Tensor, m: tf.Tensor, rounding: Rounding): tf.Tensor {
  return fixedPointRoundSte(acc, m, rounding); // one op: exact value, the gradient of acc * m
}

// A block's output onto its own range: the range observed from the real value (with the fused activation) in
// training, then round(scaled) + zero point clamped by the activation's bounds.
export function requantizeOutput(
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
  // clamp(s + zp, lo, hi) - zp, with the zero point moved onto the bounds (integers: exactly the same values)
  return { v: clampTensor(scaled(q), tf.sub(lo, q.zeroPoint), tf.sub(hi, q.zeroPoint)), q };
}

// The integer parameters of a block at evaluation, from prepareExact; undefined while the plan is being made (the
// scale tensors are then kept for `make`) and in training.
export function exactParams(
  name: string,
  kept: tf.Tensor[],
  make: (values: Float32Array[]) => Int32Array,
  st: QatState,
): tf.Tensor | undefined {
  if (!st.exact) return undefined;
  const params = st.exact.params.get(name);
  if (params) return params;
  st.exact.pending.push({ name, kept: kept.map((t) => tf.keep(t.clone())), make });
  return undefined;
}

// An elementwise op's output at evaluation: its table (int32 [256], the output q of every input q, index q + 128)
// from prepareExact, read at the input's values; undefined while the plan is being made or in training. `offset`
// (per element of a sample) picks among several tables of 256 laid end to end.
export function tableLookup(
  name: string,
  x: IntTensor,
  kept: tf.Tensor[],
  make: (values: Float32Array[]) => Int32Array,
  st: QatState,
  offset?: () => tf.Tensor,
): tf.Tensor | undefined {
  const table = exactParams(name, kept, make, st);
  if (!table) return undefined;
  const index = tf.add(tf.add(x.v, x.q.zeroPoint), 128);
  return tf.cast(tf.gather(table, tf.cast(offset ? tf.add(index, offset()) : index, 'int32')), 'float32');
}
