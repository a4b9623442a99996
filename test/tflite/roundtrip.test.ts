// Round trips through the writer and reader for every op and weight dtype, INT4 packing against TFLite's nibble
// order, float I/O wrapping, metadata and description.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as flatbuffers from 'flatbuffers';
import type { QModel } from '../../src/int/graph.js';
import { Model, TensorType } from '../../src/tflite/generated/index.js';
import { parseTflite, readTflite } from '../../src/tflite/reader.js';
import { packInt4, unpackInt4 } from '../../src/tflite/tensor-data.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { dsCnn, ModelBuilder, singleOpModels } from './fixtures.js';

for (const { name, model } of singleOpModels()) {
  test(`round trip: ${name}`, () => {
    assert.deepStrictEqual(readTflite(writeTflite(model)), model);
  });
}

test('round trip: DS-CNN with int8 and with int4 weights', () => {
  for (const wt of ['int8', 'int4'] as const) {
    const m = dsCnn(wt);
    assert.deepStrictEqual(readTflite(writeTflite(m)), m);
  }
});

test('scales round to float32 and nothing else changes', () => {
  const b = new ModelBuilder(3);
  const i = b.act('in', [1, 4]);
  const o = b.act('out', [1, 4]);
  b.tensors[i]!.scale = [0.1]; // not float32-representable
  b.op({ op: 'RESHAPE', inputs: [i], outputs: [o], options: { newShape: [1, 4] } });
  const m = b.model([i], [o]);
  const back = readTflite(writeTflite(m));
  assert.equal(back.tensors[i]!.scale[0], Math.fround(0.1));
  assert.notEqual(back.tensors[i]!.scale[0], 0.1);
  back.tensors[i]!.scale = [0.1];
  assert.deepStrictEqual(back, m);
});

test('int4 packing is low nibble first, as TFLite unpacks it', () => {
  // portable_tensor_utils.h: src {0x12, 0x34} unpacks to {2, 1, 4, 3}.
  assert.deepStrictEqual(unpackInt4(new Uint8Array([0x12, 0x34]), 4), Int8Array.from([2, 1, 4, 3]));
  assert.deepStrictEqual(packInt4(Int8Array.from([2, 1, 4, 3])), new Uint8Array([0x12, 0x34]));
  // Negative values are two's-complement nibbles; an odd tail leaves the high nibble zero.
  assert.deepStrictEqual(packInt4(Int8Array.from([-1, -8, 7])), new Uint8Array([0x8f, 0x07]));
  assert.deepStrictEqual(unpackInt4(new Uint8Array([0x8f, 0x07]), 3), Int8Array.from([-1, -8, 7]));
  const all = Int8Array.from({ length: 33 }, (_, k) => (k % 16) - 8);
  assert.deepStrictEqual(unpackInt4(packInt4(all), all.length), all);
});

test('int4 weights are stored as TensorType INT4, ceil(n/2) packed bytes', () => {
  const { model } = singleOpModels().find((c) => c.name === 'FULLY_CONNECTED int4')!;
  const bytes = writeTflite(model);
  const sg = Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes)).subgraphs(0)!;
  const wi = model.tensors.findIndex((t) => t.name === 'w');
  const w = model.tensors[wi]!;
  assert.equal(w.dtype, 'int4');
  const t = sg.tensors(wi)!;
  assert.equal(t.type(), TensorType.INT4);
  assert.equal(TensorType.INT4, 17);
  const stored = Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes)).buffers(t.buffer())!.dataArray()!;
  assert.equal(stored.length, Math.ceil(w.data!.length / 2));
  const d = w.data as Int8Array;
  for (let k = 0; k < d.length; k++) assert.equal(k % 2 ? stored[k >> 1]! >> 4 : stored[k >> 1]! & 15, d[k]! & 15, `element ${k}`);
});

test('floatIO wraps the integer graph in QUANTIZE / DEQUANTIZE with float32 I/O', () => {
  const m = dsCnn();
  const back = readTflite(writeTflite(m, { floatIO: true }));
  const inT = back.tensors[back.inputs[0]!]!;
  const outT = back.tensors[back.outputs[0]!]!;
  assert.equal(inT.dtype, 'float32');
  assert.equal(outT.dtype, 'float32');
  assert.deepStrictEqual(inT.shape, m.tensors[m.inputs[0]!]!.shape);
  assert.deepStrictEqual(back.ops[0], { op: 'QUANTIZE', inputs: [back.inputs[0]], outputs: [m.inputs[0]], options: {} });
  assert.deepStrictEqual(back.ops.at(-1), { op: 'DEQUANTIZE', inputs: [m.outputs[0]], outputs: [back.outputs[0]], options: {} });
  assert.deepStrictEqual(back.ops.slice(1, -1), m.ops);
  assert.deepStrictEqual(back.tensors.slice(0, m.tensors.length), m.tensors);
});

test('metadata, description and min_runtime_version', () => {
  const m: QModel = { ...dsCnn(), description: 'pqk DS-CNN', metadata: { labels: 'yes,no', ünïcode: 'ок ✓', empty: '' } };
  const parsed = parseTflite(writeTflite(m));
  assert.deepStrictEqual(parsed.model, m);
  assert.equal(parsed.minRuntimeVersion, '1.14.0');
  assert.equal(parseTflite(writeTflite(dsCnn('int4'))).minRuntimeVersion, '2.11.0');
  assert.equal(parseTflite(writeTflite(m, { minRuntimeVersion: false })).minRuntimeVersion, undefined);
});

test('the writer refuses inconsistent models, naming the tensor or op', () => {
  const m = dsCnn();
  const badData = { ...m, tensors: m.tensors.map((t, k) => (k === 2 ? { ...t, data: new Int8Array(5) } : t)) };
  assert.throws(() => writeTflite(badData), /tensors\[2\] 'conv0\/w': data has 5 elements/);
  const badInt4 = dsCnn('int4');
  (badInt4.tensors[2]!.data as Int8Array)[7] = 9;
  assert.throws(() => writeTflite(badInt4), /int4 value 9 at element 7/);
  const badIndex = { ...m, ops: [{ ...m.ops[0]!, outputs: [99] }, ...m.ops.slice(1)] } as QModel;
  assert.throws(() => writeTflite(badIndex), /ops\[0\] CONV_2D output 0: tensor index 99/);
});

test('the same model always gives the same bytes', () => {
  const a = writeTflite(dsCnn('int8', 9), { floatIO: true });
  const b = writeTflite(dsCnn('int8', 9), { floatIO: true });
  assert.deepStrictEqual(a, b);
  assert.notDeepStrictEqual(writeTflite(dsCnn('int8', 10)), writeTflite(dsCnn('int8', 9)));
});
