// QModel -> .tflite bytes. One subgraph, buffer 0 empty, every constant buffer 16-byte aligned in the file, INT4
// packed, operator versions as TFLite's converter assigns them, string metadata as named buffers.
import * as flatbuffers from 'flatbuffers';
import type { OpCode, QModel, QOp, QTensor } from '../int/graph.js';
import {
  Buffer as TfBuffer,
  Metadata,
  Model,
  Operator,
  OperatorCode,
  QuantizationParameters,
  SubGraph,
  Tensor,
} from './generated/index.js';
import { encodeOptions, OPS } from '../ops/table.js';
import { encodeData, toTensorType } from './tensor-data.js';
import { validateModel } from './validate.js';
import { minRuntimeVersion, opVersion, signatureOf } from './versions.js';
import { withFloatIO } from './float-io.js';
import { BUFFER_ALIGN, VectorPool } from './vector-pool.js';
import { PACKED_2OF4_KEY, packed2of4 } from './packed-2of4.js';

export interface WriteOptions {
  floatIO?: boolean; // float32 model I/O through QUANTIZE / DEQUANTIZE around the integer graph
  minRuntimeVersion?: boolean; // write the `min_runtime_version` metadata entry, as TFLite's converter does (default true)
  // Add the packed form of 2:4 CONV_2D weights that pqk micro's kernels read (metadata "pqk_2of4", packed-2of4.ts).
  packTwoOfFour?: boolean;
  // With packTwoOfFour: leave out the dense data of the weights that have a packed form. Only pqk micro runs such a
  // file (a bundle's device form of the model); TFLite and TFLite Micro need the dense weights.
  packedOnly?: boolean;
}

export const SCHEMA_VERSION = 3;
export const MIN_RUNTIME_KEY = 'min_runtime_version';
// A byte vector whose first element sits at a multiple of BUFFER_ALIGN from the start of the finished file.
function alignedBytes(b: flatbuffers.Builder, data: Uint8Array): flatbuffers.Offset {
  b.startVector(1, data.length, BUFFER_ALIGN);
  for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]!);
  return b.endVector();
}

function bufferTable(b: flatbuffers.Builder, data: Uint8Array | undefined, pool?: VectorPool): flatbuffers.Offset {
  if (data !== undefined) pool?.fillHoleBefore(data.length);
  const vec = data === undefined ? 0 : alignedBytes(b, data);
  TfBuffer.startBuffer(b);
  if (vec) TfBuffer.addData(b, vec);
  return TfBuffer.endBuffer(b);
}

function quantization(b: flatbuffers.Builder, t: QTensor, scaleVector: () => flatbuffers.Offset): flatbuffers.Offset {
  if (t.scale.length === 0 && t.quantizedDim === undefined) return 0;
  const zp = QuantizationParameters.createZeroPointVector(
    b,
    t.zeroPoint.map((z) => BigInt(z)),
  );
  const scale = scaleVector();
  QuantizationParameters.startQuantizationParameters(b);
  QuantizationParameters.addScale(b, scale);
  QuantizationParameters.addZeroPoint(b, zp);
  if (t.quantizedDim !== undefined) {
    // Written even when 0, so that a reader can tell "per-tensor" from "per-channel along axis 0".
    b.forceDefaults(true);
    QuantizationParameters.addQuantizedDimension(b, t.quantizedDim);
    b.forceDefaults(false);
  }
  return QuantizationParameters.endQuantizationParameters(b);
}

function tensorTable(b: flatbuffers.Builder, m: QModel, index: number, buffer: number, pool: VectorPool): flatbuffers.Offset {
  const t = m.tensors[index]!;
  const name = b.createString(t.name);
  const shape = pool.int32(t.shape);
  const q = quantization(b, t, () => pool.scale(index));
  Tensor.startTensor(b);
  Tensor.addShape(b, shape);
  Tensor.addType(b, toTensorType(t.dtype));
  Tensor.addBuffer(b, buffer);
  Tensor.addName(b, name);
  if (q) Tensor.addQuantization(b, q);
  return Tensor.endTensor(b);
}

function operatorTable(
  b: flatbuffers.Builder,
  op: QOp,
  opcodeIndex: number,
  pool: VectorPool,
  options: flatbuffers.Offset,
): flatbuffers.Offset {
  const inputs = pool.int32(op.inputs);
  const outputs = pool.int32(op.outputs);
  const spec = OPS[op.op];
  Operator.startOperator(b);
  Operator.addOpcodeIndex(b, opcodeIndex);
  Operator.addInputs(b, inputs);
  Operator.addOutputs(b, outputs);
  if (options) {
    Operator.addBuiltinOptionsType(b, spec.optionsType);
    Operator.addBuiltinOptions(b, options);
  }
  return Operator.endOperator(b);
}

// One operator code per (op, version) pair, in order of first use; returns each op's index into that list.
function operatorCodes(model: QModel): { codes: { op: OpCode; version: number }[]; index: number[] } {
  const codes: { op: OpCode; version: number }[] = [];
  const index = model.ops.map((op) => {
    const version = opVersion(signatureOf(model, op));
    let i = codes.findIndex((c) => c.op === op.op && c.version === version);
    if (i < 0) i = codes.push({ op: op.op, version }) - 1;
    return i;
  });
  return { codes, index };
}

function opcodeTable(b: flatbuffers.Builder, op: OpCode, version: number): flatbuffers.Offset {
  const code = OPS[op].code;
  // Codes below 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) also go in the deprecated byte field, which TFLite <= 2.3 reads.
  return OperatorCode.createOperatorCode(b, Math.min(code, 127), 0, version, code);
}

function metadataEntries(model: QModel, minRuntime: string | undefined, packed: Uint8Array | undefined): [string, Uint8Array][] {
  const enc = new TextEncoder();
  const out: [string, Uint8Array][] = Object.entries(model.metadata)
    .filter(([k]) => k !== MIN_RUNTIME_KEY && k !== PACKED_2OF4_KEY)
    .map(([k, v]) => [k, enc.encode(v)]);
  if (packed) out.push([PACKED_2OF4_KEY, packed]);
  if (minRuntime !== undefined) {
    const bytes = new Uint8Array(16); // converter's fixed 16-byte, NUL-padded field
    bytes.set(enc.encode(minRuntime).subarray(0, 15));
    out.push([MIN_RUNTIME_KEY, bytes]);
  }
  return out;
}

export function writeTflite(model: QModel, opts: WriteOptions = {}): Uint8Array {
  validateModel(model, 'writeTflite');
  const m = opts.floatIO ? withFloatIO(model) : model;
  const { codes, index } = operatorCodes(m);
  const minRuntime = opts.minRuntimeVersion === false ? undefined : minRuntimeVersion(codes);
  const packed = opts.packTwoOfFour === true ? packed2of4(m) : undefined;
  const meta = metadataEntries(m, minRuntime, packed?.bytes);
  const dropped = new Set(opts.packedOnly === true ? (packed?.tensors ?? []) : []);
  const payload = m.tensors.reduce((s, t) => s + (t.data ? t.data.byteLength : 0), 0);
  const b = new flatbuffers.Builder(payload + 4096);

  // Constant data first: the builder writes back to front, so the large buffers end up at the end of the file.
  const pool = new VectorPool(b, m.tensors);
  const bufferOffsets = [bufferTable(b, undefined)];
  const tensorBuffer = m.tensors.map((t, i) =>
    t.data && t.data.length > 0 && !dropped.has(i) ? bufferOffsets.push(bufferTable(b, encodeData({ ...t, data: t.data }), pool)) - 1 : 0,
  );
  const metaBuffer = meta.map(([, bytes]) => bufferOffsets.push(bufferTable(b, bytes, pool)) - 1);

  const tensors = m.tensors.map((_, i) => tensorTable(b, m, i, tensorBuffer[i]!, pool));
  const optionTables = new Map<string, flatbuffers.Offset>(); // equal options tables are shared too
  const operators = m.ops.map((op, i) => {
    const key = `${op.op}:${JSON.stringify(op.options)}`;
    if (!optionTables.has(key)) optionTables.set(key, encodeOptions(b, op));
    return operatorTable(b, op, index[i]!, pool, optionTables.get(key)!);
  });
  const sgName = b.createString('main');
  const subgraph = SubGraph.createSubGraph(
    b,
    SubGraph.createTensorsVector(b, tensors),
    pool.int32(m.inputs),
    pool.int32(m.outputs),
    SubGraph.createOperatorsVector(b, operators),
    sgName,
  );
  const metadata = meta.map(([name], i) => Metadata.createMetadata(b, b.createString(name), metaBuffer[i]!));
  const opcodes = codes.map((c) => opcodeTable(b, c.op, c.version));
  const description = m.description === undefined ? 0 : b.createString(m.description);

  const opcodesVec = Model.createOperatorCodesVector(b, opcodes);
  const subgraphsVec = Model.createSubgraphsVector(b, [subgraph]);
  const buffersVec = Model.createBuffersVector(b, bufferOffsets);
  const metadataVec = metadata.length ? Model.createMetadataVector(b, metadata) : 0;
  Model.startModel(b);
  Model.addVersion(b, SCHEMA_VERSION);
  Model.addOperatorCodes(b, opcodesVec);
  Model.addSubgraphs(b, subgraphsVec);
  if (description) Model.addDescription(b, description);
  Model.addBuffers(b, buffersVec);
  if (metadataVec) Model.addMetadata(b, metadataVec);
  Model.finishModelBuffer(b, Model.endModel(b));
  return b.asUint8Array().slice();
}
