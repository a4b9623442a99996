// The 'litert' runtime: LiteRT.js (WebAssembly, XNNPACK) in Node, int8 I/O through the tensor buffers, INT4 weights.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeTflite } from '../../src/tflite/writer.js';
import { LiteRtRuntime } from '../../src/runtimes/litert.js';
import { FC4, FC8, fcExpected, fcModel, samples } from './models.js';

const rt = new LiteRtRuntime();

describe('litert runtime', () => {
  it('runs an int8 FULLY_CONNECTED with int8 I/O (the hand-computed sample of tflite.test.ts)', async () => {
    const r = await rt.run(writeTflite(fcModel(FC8)), [Int8Array.from([1, -3, 5, 7]), Int8Array.from([0, 0, 0, 0])]);
    assert.equal(r.runtime, 'litert');
    assert.match(r.version ?? '', /^LiteRT\.js \d+\.\d+\.\d+$/);
    // Second sample: x - zp_in = [2, 2, 2, 2] -> accumulators 30, -30, 14 -> /6 -> 5, -5, 2.33 -> +5.
    assert.deepEqual(r.outputs, [Int8Array.from([16, -6, 9]), Int8Array.from([10, 0, 7])]);
  });

  it('runs INT4 per-channel weights within 1 LSB of the float formula, mostly exact', async () => {
    const xs = samples(FC4, 64, 7);
    const r = await rt.run(writeTflite(fcModel(FC4)), xs);
    let exact = 0;
    r.outputs.forEach((y, i) => {
      const want = fcExpected(FC4, xs[i]);
      assert.equal(y.length, 5);
      y.forEach((v, k) => {
        assert.ok(Math.abs(v - want[k]) <= 1, `sample ${i} output ${k}: ${v} vs ${want[k]}`);
        if (v === want[k]) exact++;
      });
    });
    assert.ok(exact >= 0.95 * 64 * 5, `${exact} of ${64 * 5} exact`);
    const distinct = new Set(r.outputs.flatMap((y) => [...y]));
    assert.ok(distinct.size > 20, 'outputs spread over many values');
  });

  it('runs float32 I/O models', async () => {
    const [y] = await rt.runFloat(writeTflite(fcModel(FC8), { floatIO: true }), [Float32Array.from([1.5, -0.5, 3.5, 4.5])]);
    assert.deepEqual(y, Float32Array.from([8.25, -8.25, 3]));
  });

  it('rejects a file that is not a model, and the wrong I/O type', async () => {
    await assert.rejects(
      rt.run(new TextEncoder().encode('not a flatbuffer at all'), []),
      /LiteRT rejected the model: Failed to load model/,
    );
    await assert.rejects(rt.runFloat(writeTflite(fcModel(FC8)), []), /needs float32 I\/O; input 0 is int8/);
  });
});
