// The files the writer makes open in the real runtimes: TFLite 2.9's C library builds an interpreter, allocates
// tensors and invokes every int8 model (float I/O included); LiteRT.js, the runtime that takes INT4, runs the INT4
// models. Numbers are not judged here; that is the verification stage's job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elementCount } from '../../src/int/graph.js';
import { LiteRtRuntime } from '../../src/runtimes/litert.js';
import { TfliteSession } from '../../src/runtimes/tflite.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { dsCnn, singleOpModels } from './fixtures.js';

const int8Cases = [
  { name: 'DS-CNN', bytes: writeTflite(dsCnn()) },
  { name: 'DS-CNN float I/O', bytes: writeTflite(dsCnn(), { floatIO: true }) },
  ...singleOpModels()
    .filter((c) => !c.name.includes('int4'))
    .map((c) => ({ name: c.name, bytes: writeTflite(c.model) })),
];

test('TFLite 2.9 opens, allocates and invokes every int8 file', () => {
  for (const { name, bytes } of int8Cases) {
    const s = TfliteSession.open(bytes);
    try {
      const outs = s.invoke(s.inputs.map((t) => new Uint8Array(t.bytes).fill(7)));
      assert.equal(outs.length, s.outputs.length, name);
      assert.ok(outs[0]!.length > 0, name);
    } finally {
      s.close();
    }
  }
});

test('TFLite 2.9 sees the float I/O types the writer declares', () => {
  const s = TfliteSession.open(writeTflite(dsCnn(), { floatIO: true }));
  try {
    assert.deepStrictEqual([s.inputs[0]!.type, s.outputs[0]!.type], [1, 1]); // kTfLiteFloat32
    assert.deepStrictEqual([s.inputs[0]!.bytes, s.outputs[0]!.bytes], [4 * 490, 4 * 12]);
  } finally {
    s.close();
  }
});

test('LiteRT.js runs the INT4 files', async () => {
  const lite = new LiteRtRuntime();
  const cases = [{ name: 'DS-CNN int4', model: dsCnn('int4') }, ...singleOpModels().filter((c) => c.name.includes('int4'))];
  for (const { name, model } of cases) {
    const n = elementCount(model.tensors[model.inputs[0]!]!.shape);
    const x = Int8Array.from({ length: n }, (_, i) => ((i * 37) % 255) - 127);
    const r = await lite.run(writeTflite(model), [x]);
    assert.equal(r.outputs[0]!.length, elementCount(model.tensors[model.outputs[0]!]!.shape), name);
  }
});
