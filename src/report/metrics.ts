// Figures a report is made of: how a runtime's outputs compare with labels and the integer reference, and what a
// quantized model weighs.
import { elementCount, type QModel, type QTensor } from '../int/graph.js';
import { opMacs, weightsOf } from '../ops/table.js';
import { isEmulated } from '../runtimes/names.js';
import type { Dataset } from '../data/types.js';
import type { RunResult } from '../runtimes/types.js';
import { PQK_VERSION } from '../version.js';
import type {
  DatasetInfo,
  InstructionStats,
  LayerFigures,
  LayerSparsity,
  ModelFigures,
  PairedDrop,
  RunReport,
  RuntimeVerification,
} from './types.js';

export function argmax(v: Int8Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

// Per sample, 1 where the prediction is the label.
export function correctness(pred: Int32Array, labels: Int32Array): Uint8Array {
  return Uint8Array.from(pred, (p, i) => (p === labels[i] ? 1 : 0));
}

// Two models' results on the same samples (1 where right): how many only `a` gets right, how many only `b`.
export function disagreements(a: Uint8Array, b: Uint8Array): { onlyA: number; onlyB: number } {
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && !b[i]) onlyA++;
    else if (!a[i] && b[i]) onlyB++;
  }
  return { onlyA, onlyB };
}

// The float and the integer model on the same samples (1 where a model is right): types.ts PairedDrop.
export function pairedDrop(floatCorrect: Uint8Array, integerCorrect: Uint8Array): PairedDrop {
  const n = floatCorrect.length;
  if (integerCorrect.length !== n) throw new Error(`pairedDrop: ${n} float and ${integerCorrect.length} integer results`);
  const { onlyA: floatOnly, onlyB: integerOnly } = disagreements(floatCorrect, integerCorrect);
  const d = n === 0 ? 0 : (floatOnly - integerOnly) / n;
  const d2 = n === 0 ? 0 : (floatOnly + integerOnly) / n;
  return { samples: n, floatOnly, integerOnly, standardError: n === 0 ? 0 : Math.sqrt(Math.max(0, d2 - d * d) / n) };
}

export function stats(xs: number[] | undefined): InstructionStats | null {
  if (xs === undefined || xs.length === 0) return null;
  let sum = 0;
  for (const x of xs) sum += x;
  return { min: Math.min(...xs), mean: sum / xs.length, max: Math.max(...xs) };
}

// Judges one runtime's outputs: accuracy against `labels` (null without), exactness against the TS integer reference
// outputs.
export function verificationFromRun(result: RunResult, labels: Int32Array | null, reference: Int8Array[]): RuntimeVerification {
  const n = result.outputs.length;
  if ((labels !== null && n !== labels.length) || n !== reference.length) {
    throw new Error(`${result.runtime}: ${n} outputs for ${labels?.length ?? 'no'} labels and ${reference.length} reference outputs`);
  }
  let correct = 0;
  let mismatches = 0;
  let maxDiff = 0;
  const classes = reference[0]?.length ?? 0;
  const confusion = labels === null ? null : Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < n; i++) {
    const out = result.outputs[i]!;
    const ref = reference[i]!;
    if (out.length !== ref.length) throw new Error(`${result.runtime}: sample ${i} has ${out.length} outputs, reference has ${ref.length}`);
    const predicted = argmax(out);
    if (labels !== null && predicted === labels[i]) correct++;
    if (confusion !== null && labels![i]! < classes) confusion[labels![i]!]![predicted]!++;
    for (let j = 0; j < out.length; j++) {
      const d = Math.abs(out[j]! - ref[j]!);
      if (d > 0) mismatches++; // counted per int8 output value, not per sample
      if (d > maxDiff) maxDiff = d;
    }
  }
  return {
    accuracy: labels === null ? null : n === 0 ? 0 : correct / n,
    samples: n,
    mismatches,
    maxDiff,
    instructionsPerInference: stats(result.instructionsPerInference),
    instructionsPerOp: result.instructionsPerOp ?? null,
    arenaBytes: result.arenaBytes ?? null,
    flashBytes: result.flashBytes ?? null,
    ramBytes: result.ramBytes ?? null,
    version: result.version ?? null,
    ...(result.bundleSha256 ? { bundleSha256: result.bundleSha256 } : {}),
    ...(confusion !== null ? { confusion } : {}),
    ...(result.stackBytes !== undefined ? { stackBytes: result.stackBytes } : {}),
  };
}

const BYTES_PER_ELEMENT = { int8: 1, int32: 4, float32: 4 } as const;

function constantBytes(t: QTensor): number {
  if (t.data === undefined) return 0;
  const n = elementCount(t.shape);
  return t.dtype === 'int4' ? Math.ceil(n / 2) : n * BYTES_PER_ELEMENT[t.dtype];
}

function zeros(data: QTensor['data']): number {
  let z = 0;
  if (data) for (let i = 0; i < data.length; i++) if (data[i] === 0) z++;
  return z;
}

// Per op: its output, MACs, the constants it reads, and a weighted op's output channels (against the float model's
// count when given: channels per weight tensor name before pruning).
export function layerFigures(model: QModel, channelsBefore: Record<string, number> = {}): LayerFigures[] {
  return model.ops.map((op, node) => {
    const constants = op.inputs.filter((i) => i >= 0 && model.tensors[i]!.data !== undefined).map((i) => model.tensors[i]!);
    const wi = weightsOf(op);
    const w = wi === undefined ? undefined : model.tensors[wi]!;
    const kept = w ? (op.op === 'DEPTHWISE_CONV_2D' ? w.shape[w.shape.length - 1]! : w.shape[0]!) : undefined;
    const of = w ? channelsBefore[w.name] : undefined;
    const bias = w && (op.inputs[2] ?? -1) >= 0 ? model.tensors[op.inputs[2]!] : undefined;
    return {
      node,
      op: op.op,
      output: model.tensors[op.outputs[0]!]!.shape.slice(),
      macs: opMacs(model, op),
      // Trained parameters (weights and bias); other constants (PAD's paddings, shapes) count in bytes only.
      params: w ? elementCount(w.shape) + (bias ? elementCount(bias.shape) : 0) : 0,
      bytes: constants.reduce((s, t) => s + constantBytes(t), 0),
      ...(kept !== undefined ? { channels: of !== undefined ? { kept, of } : { kept } } : {}),
    };
  });
}

export function modelFigures(
  model: QModel,
  opts: { name: string; file: string; fileBytes: number; deviceBytes?: number; channelsBefore?: Record<string, number> },
): ModelFigures {
  const layers: LayerSparsity[] = [];
  let macs = 0;
  let params = 0;
  for (const op of model.ops) {
    const wi = weightsOf(op);
    if (wi === undefined) continue;
    const w = model.tensors[wi]!;
    const bias = op.inputs[2] !== undefined && op.inputs[2] >= 0 ? model.tensors[op.inputs[2]] : undefined;
    const weights = elementCount(w.shape);
    const z = zeros(w.data);
    layers.push({ layer: w.name, op: op.op, weights, zeros: z, sparsity: weights === 0 ? 0 : z / weights });
    macs += opMacs(model, op);
    params += weights + (bias ? elementCount(bias.shape) : 0);
  }
  const totalWeights = layers.reduce((s, l) => s + l.weights, 0);
  const totalZeros = layers.reduce((s, l) => s + l.zeros, 0);
  return {
    name: opts.name,
    file: opts.file,
    fileBytes: opts.fileBytes,
    ...(opts.deviceBytes !== undefined ? { deviceBytes: opts.deviceBytes } : {}),
    payloadBytes: model.tensors.reduce((s, t) => s + constantBytes(t), 0),
    macs,
    params,
    sparsity: totalWeights === 0 ? 0 : totalZeros / totalWeights,
    sparsityPerLayer: layers,
    operators: [...new Set(model.ops.map((o) => o.op))],
    layers: layerFigures(model, opts.channelsBefore),
  };
}

export function datasetInfo(ds: Dataset): DatasetInfo {
  return { name: ds.name, task: ds.task, classes: ds.labels.length, train: ds.train.n, val: ds.val.n, test: ds.test.n, labels: ds.labels };
}

// What produced and judged the model: the tfjs backend that trained it (null when nothing was trained), the TFLite
// and emulator versions the verifying runtimes reported.
export function reportVersions(backend: string | null, v: Record<string, RuntimeVerification>): RunReport['versions'] {
  const qemu = Object.entries(v).find(([k]) => isEmulated(k))?.[1]?.version ?? null;
  return { pqk: PQK_VERSION, tfjsBackend: backend, tflite: v.tflite?.version ?? v.arm64?.version ?? null, qemu };
}
