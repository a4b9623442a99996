// Operator versions as TFLite's converter assigns them (tensorflow/lite/tools/versioning/op_version.cc,
// GetBuiltinOperatorVersion) and the runtime each version needs (runtime_version.cc, FindMinimumRuntimeVersionForOp):
// each op's rule and table are in its descriptor (src/ops/); this module builds the signature they read.
import type { OpCode, QModel, QOp } from '../int/graph.js';
import type { OpSignature } from '../ops/descriptor.js';
import { OPS } from '../ops/table.js';

export type { OpSignature } from '../ops/descriptor.js';

// The version op_version.cc assigns to one operator.
export function opVersion(s: OpSignature): number {
  return (OPS[s.op.op].version as (s: OpSignature) => number)(s);
}

export function signatureOf(model: QModel, op: QOp): OpSignature {
  const t = (i: number) => (i >= 0 ? model.tensors[i] : undefined);
  const sig: OpSignature = {
    op,
    inputs: op.inputs.map((i) => t(i)?.dtype),
    inputRanks: op.inputs.map((i) => t(i)?.shape.length),
    outputs: op.outputs.map((i) => model.tensors[i]!.dtype),
    perChannel: op.inputs.map((i) => (t(i) ? t(i)!.scale.length > 1 : undefined)),
    outputPerChannel: op.outputs.some((i) => model.tensors[i]!.scale.length > 1),
  };
  if (op.op === 'CONV_2D') {
    const [a, w] = [t(op.inputs[0]!), t(op.inputs[1]!)];
    if (a && w && a.shape.length === 4 && w.shape.length === 4) {
      sig.inputChannels = a.shape[3];
      sig.filterChannels = w.shape[3];
    }
  }
  if (op.op === 'MUL') {
    const [a, b, o] = [t(op.inputs[0]!), t(op.inputs[1]!), model.tensors[op.outputs[0]!]];
    if (a?.scale.length && b?.scale.length && o?.scale.length) sig.rescale = (a.scale[0]! * b.scale[0]!) / o.scale[0]!;
  }
  return sig;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// The model's minimum runtime: the highest one its (op, version) pairs need; pairs upstream's table lacks are skipped.
export function minRuntimeVersion(pairs: { op: OpCode; version: number }[]): string {
  let best = '';
  for (const { op, version } of pairs) {
    const v = OPS[op]?.runtimeVersions[version - 1];
    if (v !== undefined && (best === '' || compareVersions(v, best) > 0)) best = v;
  }
  return best;
}
