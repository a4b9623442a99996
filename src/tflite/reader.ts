// .tflite bytes -> QModel. The bytes are verified (bounds, alignment, bounded work) before any generated accessor
// reads them; then every value is checked against what pqk's IR can hold: known builtin ops and types, indices in
// range, constant buffers exactly as long as shape and dtype say.
import * as flatbuffers from 'flatbuffers';
import type { OpCode, QModel, QOp, QTensor } from '../int/graph.js';
import { elementCount } from '../int/graph.js';
import { BuiltinOptions, Model, type Operator, type SubGraph, type Tensor } from './generated/index.js';
import { OPS, opCodeOf } from '../ops/table.js';
import { dataBytes, decodeData, fromTensorType } from './tensor-data.js';
import { validateModel } from './validate.js';
import { formatError, TfliteFormatError, verifyTflite } from './verify.js';
import { MIN_RUNTIME_KEY, SCHEMA_VERSION } from './writer.js';
import { PACKED_2OF4_KEY } from './packed-2of4.js';

export interface ParsedTflite {
  model: QModel;
  opVersions: number[]; // per op in model.ops: the version its operator code declares
  minRuntimeVersion?: string;
  metadataBytes: number; // bytes of all metadata buffers
}

function fail(where: string, what: string): never {
  throw formatError(where, what);
}

function hasField(t: { bb: flatbuffers.ByteBuffer | null; bb_pos: number }, id: number): boolean {
  return t.bb!.__offset(t.bb_pos, 4 + 2 * id) !== 0;
}

function ints(n: number, get: (i: number) => number | null): number[] {
  return Array.from({ length: n }, (_, i) => get(i)!);
}

function bufferData(m: Model, index: number, where: string): Uint8Array | undefined {
  if (index >= m.buffersLength()) fail(where, `buffer index ${index} is outside 0..${m.buffersLength() - 1}`);
  const data = m.buffers(index)!.dataArray();
  return data && data.length > 0 ? data : undefined;
}

function readTensor(m: Model, t: Tensor, where: string): QTensor {
  const dtype = fromTensorType(t.type());
  if (dtype === undefined) fail(where, `tensor type ${t.type()} is not one of INT8, INT4, INT32, FLOAT32`);
  const shape = ints(t.shapeLength(), (i) => t.shape(i));
  if (shape.some((d) => d < 0)) fail(where, `shape [${shape.join(', ')}] has a negative (dynamic) dimension`);
  const out: QTensor = { name: t.name() ?? '', shape, dtype, scale: [], zeroPoint: [] };
  const q = t.quantization();
  if (q) {
    out.scale = ints(q.scaleLength(), (i) => q.scale(i));
    out.zeroPoint = Array.from({ length: q.zeroPointLength() }, (_, i) => Number(q.zeroPoint(i)!));
    if (q.detailsType() !== 0) fail(where, 'custom quantization details are not supported');
    if (hasField(q, 6) || out.scale.length > 1) out.quantizedDim = q.quantizedDimension();
  }
  const bytes = bufferData(m, t.buffer(), where);
  if (bytes) {
    const want = dataBytes(dtype, elementCount(shape));
    if (bytes.length !== want)
      fail(where, `buffer ${t.buffer()} holds ${bytes.length} bytes, shape [${shape.join(', ')}] of ${dtype} needs ${want}`);
    out.data = decodeData(dtype, shape, bytes);
  }
  return out;
}

function readOpcodes(m: Model): { op: OpCode; version: number }[] {
  return Array.from({ length: m.operatorCodesLength() }, (_, i) => {
    const c = m.operatorCodes(i)!;
    const where = `operator_codes[${i}]`;
    // TFLite's GetBuiltinCode: the larger of the deprecated byte field and the int32 field.
    const code = Math.max(c.deprecatedBuiltinCode(), c.builtinCode());
    if (c.customCode() !== null) fail(where, `custom operator '${c.customCode() ?? ''}' is not supported`);
    const op = opCodeOf(code);
    if (op === undefined) fail(where, `builtin operator code ${code} is not one pqk supports`);
    if (c.version() < 1) fail(where, `version ${c.version()} is invalid`);
    return { op, version: c.version() };
  });
}

function readOp(o: Operator, codes: { op: OpCode; version: number }[], where: string): QOp {
  const idx = o.opcodeIndex();
  if (idx >= codes.length) fail(where, `opcode_index ${idx} is outside 0..${codes.length - 1}`);
  const name = codes[idx]!.op;
  const spec = OPS[name];
  const type = o.builtinOptionsType();
  if (type !== BuiltinOptions.NONE && type !== spec.optionsType)
    fail(where, `${name} carries ${BuiltinOptions[type] ?? type}, expected ${BuiltinOptions[spec.optionsType]}`);
  const options = spec.decode(o, `${where} ${name}`);
  return {
    op: name,
    inputs: ints(o.inputsLength(), (i) => o.inputs(i)),
    outputs: ints(o.outputsLength(), (i) => o.outputs(i)),
    options,
  } as QOp;
}

function readMetadata(m: Model): { metadata: Record<string, string>; minRuntime?: string; bytes: number } {
  const metadata: Record<string, string> = {};
  let minRuntime: string | undefined;
  let total = 0;
  const dec = new TextDecoder();
  for (let i = 0; i < m.metadataLength(); i++) {
    const e = m.metadata(i)!;
    const where = `metadata[${i}]`;
    const name = e.name() ?? fail(where, 'entry has no name');
    const bytes = bufferData(m, e.buffer(), where) ?? new Uint8Array(0);
    total += bytes.length;
    if (name === MIN_RUNTIME_KEY) minRuntime = dec.decode(bytes).replace(/\0+$/, '');
    else if (name !== PACKED_2OF4_KEY) metadata[name] = dec.decode(bytes); // binary, derived from the weights
  }
  return minRuntime === undefined ? { metadata, bytes: total } : { metadata, minRuntime, bytes: total };
}

function readSubgraph(m: Model, sg: SubGraph): Omit<QModel, 'metadata'> & { opVersions: number[] } {
  const codes = readOpcodes(m);
  const tensors = Array.from({ length: sg.tensorsLength() }, (_, i) => readTensor(m, sg.tensors(i)!, `subgraphs[0].tensors[${i}]`));
  const ops = Array.from({ length: sg.operatorsLength() }, (_, i) => readOp(sg.operators(i)!, codes, `subgraphs[0].operators[${i}]`));
  const opVersions = Array.from({ length: sg.operatorsLength() }, (_, i) => codes[sg.operators(i)!.opcodeIndex()]!.version);
  const inputs = ints(sg.inputsLength(), (i) => sg.inputs(i));
  const outputs = ints(sg.outputsLength(), (i) => sg.outputs(i));
  return { tensors, ops, inputs, outputs, opVersions };
}

// Verifies and decodes a whole file; throws TfliteFormatError saying what is wrong and where.
export function parseTflite(bytes: Uint8Array): ParsedTflite {
  verifyTflite(bytes);
  const m = Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
  if (m.version() !== SCHEMA_VERSION) fail('model.version', `schema version ${m.version()}, expected ${SCHEMA_VERSION}`);
  if (m.subgraphsLength() !== 1) fail('model.subgraphs', `${m.subgraphsLength()} subgraphs, pqk models have exactly 1`);
  const { opVersions, ...graph } = readSubgraph(m, m.subgraphs(0)!);
  const { metadata, minRuntime, bytes: metadataBytes } = readMetadata(m);
  const model: QModel = { ...graph, metadata };
  const description = m.description();
  if (description !== null) model.description = description;
  try {
    validateModel(model, 'tflite');
  } catch (e) {
    throw new TfliteFormatError((e as Error).message);
  }
  const parsed: ParsedTflite = { model, opVersions, metadataBytes };
  if (minRuntime !== undefined) parsed.minRuntimeVersion = minRuntime;
  return parsed;
}

export function readTflite(bytes: Uint8Array): QModel {
  return parseTflite(bytes).model;
}
