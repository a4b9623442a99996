// What is in a .tflite file: operators with versions and options, tensors with quantization and sizes, MACs per
// op, weight sparsity, metadata, and how the file's bytes split into payload and flatbuffer overhead.
import type { QModel, QOp, QTensor } from '../int/graph.js';
import { elementCount } from '../int/graph.js';
import { opMacs, weightsOf } from '../ops/table.js';
import { packed2of4Tensors } from './packed-2of4.js';
import { parseTflite } from './reader.js';
import { dataBytes } from './tensor-data.js';

export interface InspectTensor {
  index: number;
  name: string;
  shape: number[];
  dtype: string;
  scale: number[];
  zeroPoint: number[];
  quantizedDim?: number;
  constant: boolean;
  bytes: number; // constant data bytes in the file; activation bytes (elements x dtype size) otherwise
  sparsity?: number; // weight tensors: fraction of zero elements
  packed2of4Bytes?: number; // the bytes of its packed 2:4 form (metadata "pqk_2of4"), which pqk micro reads
}

export interface InspectOp {
  index: number;
  op: string;
  version: number;
  inputs: number[];
  outputs: number[];
  options: QOp['options'];
  macs: number;
}

export interface InspectReport {
  fileBytes: number;
  payloadBytes: number; // constant tensor data + quantization parameters (4-byte scales, 8-byte zero points)
  metadataBytes: number; // metadata buffer contents (min_runtime_version included)
  overheadBytes: number; // what the format adds: tables, vtables, offsets, names, shapes, alignment padding
  macs: number;
  minRuntimeVersion?: string;
  description?: string;
  inputs: number[];
  outputs: number[];
  operators: InspectOp[];
  tensors: InspectTensor[];
  metadata: Record<string, string>;
}

function weightIndices(model: QModel): Set<number> {
  const s = new Set<number>();
  for (const op of model.ops) {
    const w = weightsOf(op);
    if (w !== undefined) s.add(w);
  }
  return s;
}

function describeTensor(t: QTensor, index: number, isWeight: boolean, packed?: number): InspectTensor {
  const n = elementCount(t.shape);
  const r: InspectTensor = {
    index,
    name: t.name,
    shape: t.shape,
    dtype: t.dtype,
    scale: t.scale,
    zeroPoint: t.zeroPoint,
    constant: t.data !== undefined,
    bytes: dataBytes(t.dtype, n),
  };
  if (t.quantizedDim !== undefined) r.quantizedDim = t.quantizedDim;
  if (packed !== undefined) r.packed2of4Bytes = packed;
  if (isWeight && t.data) {
    let zeros = 0;
    for (let i = 0; i < t.data.length; i++) if (t.data[i] === 0) zeros++;
    r.sparsity = n === 0 ? 0 : zeros / n;
  }
  return r;
}

export function inspectTflite(bytes: Uint8Array): InspectReport {
  const { model, opVersions, minRuntimeVersion, metadataBytes } = parseTflite(bytes);
  const weights = weightIndices(model);
  const packed = packed2of4Tensors(bytes);
  const tensors = model.tensors.map((t, i) => describeTensor(t, i, weights.has(i), packed.get(i)));
  const operators = model.ops.map((op, i) => ({
    index: i,
    op: op.op,
    version: opVersions[i]!,
    inputs: op.inputs,
    outputs: op.outputs,
    options: op.options,
    macs: opMacs(model, op),
  }));
  const payloadBytes = model.tensors.reduce(
    (s, t, i) => s + (t.data ? tensors[i]!.bytes : 0) + 4 * t.scale.length + 8 * t.zeroPoint.length,
    0,
  );
  const report: InspectReport = {
    fileBytes: bytes.length,
    payloadBytes,
    metadataBytes,
    overheadBytes: bytes.length - payloadBytes - metadataBytes,
    macs: operators.reduce((s, o) => s + o.macs, 0),
    inputs: model.inputs,
    outputs: model.outputs,
    operators,
    tensors,
    metadata: model.metadata,
  };
  if (minRuntimeVersion !== undefined) report.minRuntimeVersion = minRuntimeVersion;
  if (model.description !== undefined) report.description = model.description;
  return report;
}
