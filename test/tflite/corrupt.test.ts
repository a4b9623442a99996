// Malformed and hostile files: truncations, seeded byte flips, huge vector lengths, bad offsets, wrong identifier,
// unknown ops, shared-offset bombs. Each must end in a clear TfliteFormatError or a model that validates; none may
// crash with another error type, hang or allocate much.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as flatbuffers from 'flatbuffers';
import { Buffer as TfBuffer, Model, SubGraph, Tensor } from '../../src/tflite/generated/index.js';
import { parseTflite } from '../../src/tflite/reader.js';
import { validateModel } from '../../src/tflite/validate.js';
import { TfliteFormatError } from '../../src/tflite/verify.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { mulberry32 } from '../../src/util/rng.js';
import { dsCnn, singleOpModels } from './fixtures.js';

const MAX_PARSE_MS = 500; // a whole DS-CNN parse takes a few ms; anything near this means a runaway loop

type Outcome = 'rejected' | 'accepted';

// Parses `bytes`, which must either be rejected with a TfliteFormatError or yield a self-consistent model.
function outcome(bytes: Uint8Array, label: string): Outcome {
  const t0 = performance.now();
  let result: Outcome;
  try {
    const { model } = parseTflite(bytes);
    validateModel(model, label);
    result = 'accepted';
  } catch (e) {
    assert.ok(e instanceof TfliteFormatError, `${label}: ${(e as Error).name}: ${(e as Error).message}`);
    assert.match(e.message, /^tflite: \S.*: \S/, label);
    result = 'rejected';
  }
  assert.ok(performance.now() - t0 < MAX_PARSE_MS, `${label}: took ${(performance.now() - t0).toFixed(0)} ms`);
  return result;
}

function rejects(bytes: Uint8Array, pattern: RegExp, label: string): void {
  assert.throws(
    () => parseTflite(bytes),
    (e: unknown) => e instanceof TfliteFormatError && pattern.test(e.message),
    label,
  );
}

const root = (bytes: Uint8Array): Model => Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
const setU32 = (bytes: Uint8Array, pos: number, v: number): void => new DataView(bytes.buffer, bytes.byteOffset).setUint32(pos, v, true);

// Absolute position of the vector (its length word) that field `id` of the table at `pos` points to.
function vectorAt(bytes: Uint8Array, pos: number, id: number): number {
  const bb = new flatbuffers.ByteBuffer(bytes);
  const field = pos + bb.__offset(pos, 4 + 2 * id);
  assert.ok(field > pos, `field ${id} present`);
  return field + bb.readInt32(field);
}

const base = writeTflite(dsCnn());

test('truncation at many lengths is rejected', () => {
  const lengths = new Set<number>();
  for (let n = 0; n < 96; n++) lengths.add(n);
  for (let n = 96; n < base.length; n += 97) lengths.add(n);
  for (let n = base.length - 64; n < base.length; n++) lengths.add(n);
  for (const n of lengths) assert.equal(outcome(base.slice(0, n), `truncated to ${n}`), 'rejected', `truncated to ${n}`);
});

test('seeded random byte flips end in a clear error or a valid model', () => {
  const rand = mulberry32(20240601);
  const counts = { rejected: 0, accepted: 0 };
  const small = writeTflite(singleOpModels()[0]!.model);
  for (let k = 0; k < 3000; k++) {
    const src = k % 3 === 0 ? small : base;
    const bytes = src.slice();
    const flips = 1 + Math.floor(rand() * 4);
    // Bias positions towards the flatbuffer structure (the front), where flips are most dangerous.
    for (let f = 0; f < flips; f++) bytes[Math.floor(rand() ** 2 * bytes.length)]! ^= 1 + Math.floor(rand() * 255);
    counts[outcome(bytes, `flip set ${k}`)]++;
  }
  assert.ok(counts.rejected > 100 && counts.accepted > 100, JSON.stringify(counts));
});

test('huge vector lengths are rejected before anything is allocated', () => {
  const m = root(base);
  const sg = m.subgraphs(0)!;
  const targets: [string, number][] = [
    ['model.buffers', vectorAt(base, m.bb_pos, 4)],
    ['subgraphs[0].tensors', vectorAt(base, sg.bb_pos, 0)],
    ['subgraphs[0].tensors[2].shape', vectorAt(base, sg.tensors(2)!.bb_pos, 0)],
    ['model.buffers[1].data', vectorAt(base, m.buffers(1)!.bb_pos, 0)],
    ['subgraphs[0].tensors[0].name', vectorAt(base, sg.tensors(0)!.bb_pos, 3)],
  ];
  const rss0 = process.memoryUsage().rss;
  for (const [path, pos] of targets) {
    for (const len of [0x7fffffff, 0xffffffff, 0x40000000, base.length]) {
      const bytes = base.slice();
      setU32(bytes, pos, len);
      rejects(bytes, new RegExp(`${path.replace(/[[\].]/g, '\\$&')}: .*runs outside the file`), `${path} length ${len}`);
    }
  }
  assert.ok(process.memoryUsage().rss - rss0 < 256 * 2 ** 20, 'no large allocation');
});

test('bad root offset and wrong identifier', () => {
  for (const off of [0xfffffff0, base.length, base.length - 2, 3]) {
    const bytes = base.slice();
    setU32(bytes, 0, off);
    rejects(bytes, /^tflite: (root|model)/, `root offset ${off}`);
  }
  const wrong = base.slice();
  wrong.set([0x54, 0x46, 0x4c, 0x32], 4); // 'TFL2'
  rejects(wrong, /file identifier is 'TFL2', expected 'TFL3'/, 'identifier');
  rejects(new Uint8Array(4), /too short/, 'four bytes');
});

test('unknown builtin operator, custom operator and options of the wrong type are rejected', () => {
  const m = root(base);
  const code = m.operatorCodes(0)!;
  const builtinField = code.bb_pos + code.bb!.__offset(code.bb_pos, 10);
  const unknown = base.slice();
  setU32(unknown, builtinField, 150); // GELU: valid TFLite, not a pqk op
  rejects(unknown, /operator_codes\[0\]: builtin operator code 150 is not one pqk supports/, 'opcode 150');

  // An operator whose union type says Pool2DOptions while its code says CONV_2D.
  const op = m.subgraphs(0)!.operators(0)!;
  const typeField = op.bb_pos + op.bb!.__offset(op.bb_pos, 10);
  const mismatch = base.slice();
  mismatch[typeField] = 5;
  assert.throws(() => parseTflite(mismatch), TfliteFormatError);
  mismatch[typeField] = 200;
  rejects(mismatch, /operators\[0\]\.builtin_options: unknown union type 200/, 'union type 200');
});

test('indices and buffer sizes are checked against the model', () => {
  const m = root(base);
  const sg = m.subgraphs(0)!;
  const bad = base.slice();
  setU32(bad, vectorAt(base, sg.operators(3)!.bb_pos, 1) + 4, 1000); // first input of op 3
  rejects(bad, /ops\[3\] DEPTHWISE_CONV_2D input 0: tensor index 1000 is outside 0\.\.34/, 'input index');

  const shape = base.slice();
  setU32(shape, vectorAt(base, sg.tensors(2)!.bb_pos, 0) + 4, 65); // conv0/w [64,...] -> [65,...]
  rejects(shape, /tensors\[2\]: buffer \d+ holds 2560 bytes, shape \[65, 10, 4, 1\] of int8 needs 2600/, 'buffer size');

  const buf = base.slice();
  const t2 = sg.tensors(2)!;
  setU32(buf, t2.bb_pos + t2.bb!.__offset(t2.bb_pos, 8), 5000);
  rejects(buf, /tensors\[2\]: buffer index 5000 is outside/, 'buffer index');
});

// A file whose tensors vector repeats one tensor with a long shape: tiny to store, quadratic to walk naively.
function sharedOffsetBomb(n: number): Uint8Array {
  const b = new flatbuffers.Builder(16 * n);
  const shape = Tensor.createShapeVector(b, new Array<number>(n).fill(1));
  Tensor.startTensor(b);
  Tensor.addShape(b, shape);
  const t = Tensor.endTensor(b);
  const tensors = SubGraph.createTensorsVector(b, new Array<number>(n).fill(t));
  SubGraph.startSubGraph(b);
  SubGraph.addTensors(b, tensors);
  const sg = SubGraph.endSubGraph(b);
  TfBuffer.startBuffer(b);
  const buf0 = TfBuffer.endBuffer(b);
  const subgraphs = Model.createSubgraphsVector(b, [sg]);
  const buffers = Model.createBuffersVector(b, [buf0]);
  Model.startModel(b);
  Model.addVersion(b, 3);
  Model.addSubgraphs(b, subgraphs);
  Model.addBuffers(b, buffers);
  Model.finishModelBuffer(b, Model.endModel(b));
  return b.asUint8Array().slice();
}

test('shared offsets cannot make verification quadratic', () => {
  const bomb = sharedOffsetBomb(50_000); // 2.5e9 shape elements if every tensor were walked in full
  const t0 = performance.now();
  rejects(bomb, /more than \d+ elements to visit/, 'bomb');
  assert.ok(performance.now() - t0 < MAX_PARSE_MS);
});

// Quantization parameters are checked as strictly as the firmware's reader checks them: a scale must be positive and
// finite, a zero point a value of its tensor's type. Tensor 0 is the int8 input.
test('NaN, infinite, zero and negative scales and out-of-range zero points are rejected', () => {
  const m = root(base);
  const input = m.subgraphs(0)!.tensors(m.subgraphs(0)!.inputs(0)!)!;
  const q = input.quantization()!;
  const scaleAt = vectorAt(base, q.bb_pos, 2) + 4;
  const zpAt = vectorAt(base, q.bb_pos, 3) + 4;
  for (const [v, shown] of [
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [0, '0'],
    [-0.5, '-0.5'],
  ] as const) {
    const bytes = base.slice();
    new DataView(bytes.buffer).setFloat32(scaleAt, v, true);
    rejects(bytes, new RegExp(`tensors\\[0\\] 'input': scale\\[0\\] is ${shown}; a scale must be positive and finite`), `scale ${shown}`);
  }
  for (const z of [128n, -129n, 2n ** 62n]) {
    const bytes = base.slice();
    new DataView(bytes.buffer).setBigInt64(zpAt, z, true);
    rejects(bytes, /tensors\[0\] 'input': zero_point\[0\] is -?\d+(e\+\d+)?, outside the int8 range \[-128, 127\]/, `zero point ${z}`);
  }
  const ok = base.slice();
  new DataView(ok.buffer).setBigInt64(zpAt, -128n, true);
  assert.equal(parseTflite(ok).model.tensors[0]!.zeroPoint[0], -128);
});

test('a subgraph without inputs or outputs is rejected', () => {
  const sg = root(base).subgraphs(0)!;
  // The writer shares identical vectors: the subgraph's outputs are the last op's outputs, so emptying them says so.
  for (const [field, what] of [
    [1, /subgraphs\[0\]\.inputs: the subgraph has no inputs/],
    [2, /SOFTMAX: 0 outputs, expected 1|the subgraph has no outputs/],
  ] as const) {
    const bytes = base.slice();
    setU32(bytes, vectorAt(base, sg.bb_pos, field), 0);
    rejects(bytes, what, `field ${field} emptied`);
  }
});
