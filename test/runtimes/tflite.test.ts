// The 'tflite' runtime runs real TFLite 2.9.0 (x86-64 C library) on models written by pqk's writer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeTflite } from '../../src/tflite/writer.js';
import { TfliteRuntime } from '../../src/runtimes/tflite.js';
import { openTfliteLibrary } from '../../src/runtimes/tflite-lib.js';
import { FC4, FC8, fcExpected, fcModel, samples } from './models.js';

const rt = new TfliteRuntime();
const fc8 = writeTflite(fcModel(FC8));

describe('tflite runtime', () => {
  it('reports TFLite 2.9.0', () => {
    assert.equal(rt.version, 'TFLite 2.9.0');
  });

  it('computes a FULLY_CONNECTED by hand', async () => {
    // x - zp_in = [3, -1, 7, 9]; multiplier 0.5 * 0.25 / 0.75 = 1/6; output zero point 5.
    //   row 0: 3 - 2 + 21 + 36 + 10 = 68   -> 68 / 6 = 11.33 -> 16
    //   row 1: -58 - 10 = -68              -> -11.33        -> -6
    //   row 2: 30 - 70 + 63 + 0 = 23       -> 3.83          -> 9
    const r = await rt.run(fc8, [Int8Array.from([1, -3, 5, 7])]);
    assert.equal(r.runtime, 'tflite');
    assert.deepEqual(r.outputs, [Int8Array.from([16, -6, 9])]);
  });

  it('matches the float formula on a batch, saturation included', async () => {
    const xs = samples(FC8, 64);
    const r = await rt.run(fc8, xs);
    assert.equal(r.outputs.length, 64);
    r.outputs.forEach((y, i) => assert.deepEqual(y, fcExpected(FC8, xs[i]), `sample ${i}`));
    assert.ok(r.outputs.some((y) => y.includes(127)) && r.outputs.some((y) => y.includes(-128)), 'both rails reached');
  });

  it('runs float32 I/O models (QUANTIZE ... DEQUANTIZE)', async () => {
    const model = writeTflite(fcModel(FC8), { floatIO: true });
    const d = await rt.describe(model);
    assert.deepEqual(
      d.inputs.map((t) => [t.type, t.bytes]),
      [[1, 16]],
    );
    // [1.5, -0.5, 3.5, 4.5] quantizes to [1, -3, 5, 7]; outputs [16, -6, 9] dequantize to 0.75 * (y - 5).
    const [y] = await rt.runFloat(model, [Float32Array.from([1.5, -0.5, 3.5, 4.5])]);
    assert.deepEqual(y, Float32Array.from([8.25, -8.25, 3]));
    await assert.rejects(rt.run(model, [new Int8Array(4)]), /needs int8 I\/O; tensor '.*' is float32/);
  });

  it('ignores per-channel FULLY_CONNECTED weight scales, as TFLite 2.9 does (outputs sit at the zero point)', async () => {
    const perChannel = { ...FC8, weightScales: [0.25, 0.25, 0.25] };
    const r = await rt.run(writeTflite(fcModel(perChannel)), [Int8Array.from([1, -3, 5, 7])]);
    assert.deepEqual(r.outputs, [Int8Array.from([5, 5, 5])]);
  });

  it("rejects INT4 weights with TFLite's own message", async () => {
    // The writer gives an INT4 FULLY_CONNECTED op version 10, which 2.9 does not know; the data type comes next.
    const msg = /TFLite rejected the model: .*Didn't find op for builtin opcode 'FULLY_CONNECTED' version '10'/;
    await assert.rejects(rt.run(writeTflite(fcModel(FC4)), [new Int8Array(8)]), msg);
  });

  it('says which library it could not load', () => {
    assert.throws(
      () => openTfliteLibrary('/nonexistent/libtensorflowlite_c.so'),
      /cannot load the TFLite C library \/nonexistent\/libtensorflowlite_c\.so: .*run npm ci/,
    );
  });

  it('rejects a file that is not a model, and a sample of the wrong size', async () => {
    await assert.rejects(
      rt.run(new TextEncoder().encode('not a flatbuffer at all'), []),
      /not a valid TFLite flatbuffer \(file identifier is 'a fl', expected 'TFL3'\)/,
    );
    const truncated = fc8.subarray(0, 200);
    await assert.rejects(rt.run(truncated, []), /TFLite rejected the model/);
    await assert.rejects(rt.run(fc8, [new Int8Array(3)]), /sample 0 has 3 bytes; the model's inputs take 4 \('input' 4\)/);
  });
});
