// The 'arm64' runtime: TFLite 2.9.0 for arm64 under qemu-aarch64 gives the same bytes as the x86-64 library, and
// counts each Invoke's instructions exactly (the same count on every run).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeTflite } from '../../src/tflite/writer.js';
import { Arm64Runtime } from '../../src/runtimes/arm64.js';
import { TfliteRuntime } from '../../src/runtimes/tflite.js';
import { FC4, FC8, fcModel, samples } from './models.js';
import { buildNative } from './build.js';

const fc8 = writeTflite(fcModel(FC8));

describe('arm64 runtime', () => {
  before(buildNative);

  it('gives the same outputs as the x86-64 TFLite library, with a count per sample', async () => {
    const xs = [Int8Array.from([1, -3, 5, 7]), ...samples(FC8, 31)];
    const arm = await new Arm64Runtime().run(fc8, xs);
    const x86 = await new TfliteRuntime().run(fc8, xs);
    assert.equal(arm.runtime, 'arm64');
    assert.match(arm.version ?? '', /^TFLite 2\.9\.0 arm64 \(qemu-aarch64 7\.2\.\d+\) -cpu cortex-a53$/);
    assert.deepEqual(arm.outputs[0], Int8Array.from([16, -6, 9]));
    assert.deepEqual(arm.outputs, x86.outputs);
    const counts = arm.instructionsPerInference ?? [];
    assert.equal(counts.length, xs.length);
    assert.ok(
      counts.every((n) => n > 500 && n < 100_000),
      `counts ${counts.slice(0, 4).join(', ')}`,
    );
  });

  it('counts the same instructions on a repeated run', async () => {
    const xs = samples(FC8, 4, 3);
    const a = await new Arm64Runtime().run(fc8, xs);
    const b = await new Arm64Runtime().run(fc8, xs);
    assert.deepEqual(a.instructionsPerInference, b.instructionsPerInference);
  });

  it('runs without the plugin when asked', async () => {
    const r = await new Arm64Runtime({ countInstructions: false }).run(fc8, [Int8Array.from([1, -3, 5, 7])]);
    assert.deepEqual(r.outputs, [Int8Array.from([16, -6, 9])]);
    assert.equal(r.instructionsPerInference, undefined);
  });

  it("emulates the core it is given: same outputs, that core's instruction count", async () => {
    const x = [Int8Array.from([1, -3, 5, 7])];
    const a53 = await new Arm64Runtime({ cpu: 'cortex-a53' }).run(fc8, x);
    const a76 = await new Arm64Runtime({ cpu: 'cortex-a76' }).run(fc8, x);
    assert.deepEqual(a76.outputs, a53.outputs);
    assert.notEqual(a76.instructionsPerInference?.[0], a53.instructionsPerInference?.[0]);
    assert.match(a76.version ?? '', /-cpu cortex-a76$/);
    await assert.rejects(new Arm64Runtime({ cpu: 'pentium' }).run(fc8, x), /unable to find CPU model 'pentium'/);
  });

  it("reports the harness's error for a rejected model or a bad file", async () => {
    await assert.rejects(
      new Arm64Runtime().run(writeTflite(fcModel(FC4)), [new Int8Array(8)]),
      /arm64 harness failed \(exit 1\): tflite: Didn't find op for builtin opcode 'FULLY_CONNECTED' version '10'[\s\S]*command: qemu-aarch64/,
    );
    await assert.rejects(
      new Arm64Runtime().run(new TextEncoder().encode('not a flatbuffer at all'), [new Int8Array(4)]),
      /not a valid TFLite flatbuffer/,
    );
    await assert.rejects(
      new Arm64Runtime().run(fc8, [new Int8Array(3)]),
      /input '.*' has 3 bytes, not a multiple of the model's 4 input bytes per sample/,
    );
    const floatIO = writeTflite(fcModel(FC8), { floatIO: true });
    await assert.rejects(new Arm64Runtime().run(floatIO, [new Int8Array(16)]), /input 0 of '.*' is FLOAT32; the harness feeds int8 bytes/);
  });
});
