// The firmware on emulated Cortex-M boards against the integer reference: a DS-CNN-shaped model end to end on
// the M4 (writeTflite -> qemu:cortex-m4 -> 0 mismatches vs runBatch), every board on the all-ops model, the
// memory figures and instruction counts, and the errors a model that cannot run there gets.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBatch } from '../../src/ops/interpreter.js';
import { qemuCpus } from '../../src/runtimes/qemu-boards.js';
import { QemuRuntime } from '../../src/runtimes/qemu.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { buildHarness, compareBatches, randomInputs, runHost } from './harness.js';
import { coverageModel, dscnnModel, GraphBuilder } from './models.js';

before(buildHarness);

describe('qemu firmware runtime', () => {
  it('runs a DS-CNN-shaped int8 model on qemu:cortex-m4 bit-exact, with instruction counts and memory figures', async () => {
    const model = dscnnModel(21);
    const bytes = writeTflite(model);
    const inputs = randomInputs(model, 40, 8);
    const r = await new QemuRuntime('cortex-m4').run(bytes, inputs);
    const { mismatches, distinct } = compareBatches(r.outputs, runBatch(model, inputs, 'tflm'));
    assert.equal(mismatches, 0);
    assert.ok(distinct >= 4, `reference outputs take only ${distinct} values`);
    assert.equal(r.runtime, 'qemu:cortex-m4');
    assert.match(r.version ?? '', /^QEMU 7\.2\.\d+ mps2-an386/);
    // The firmware's own plan equals the host build's.
    assert.equal(r.arenaBytes, (await runHost(bytes, [])).arena_used_bytes);
    assert.ok(r.flashBytes! > bytes.length && r.flashBytes! < bytes.length + 64 * 1024, `flash ${r.flashBytes}`);
    assert.ok(r.ramBytes! > r.arenaBytes! && r.ramBytes! < r.arenaBytes! + 32 * 1024, `ram ${r.ramBytes}`);
    const ins = r.instructionsPerInference!;
    assert.equal(ins.length, inputs.length);
    // ~2.7M MACs: at least one instruction per MAC, and the counts barely depend on the data.
    assert.ok(Math.min(...ins) > 2.7e6, `${Math.min(...ins)} instructions`);
    assert.ok(Math.max(...ins) - Math.min(...ins) < 0.01 * Math.min(...ins));
    const perOp = r.instructionsPerOp!;
    assert.deepEqual(
      perOp.map((o) => o.op),
      model.ops.map((o) => o.op),
    );
    const opSum = perOp.reduce((a, o) => a + o.instructions, 0);
    const mean = ins.reduce((a, b) => a + b, 0) / ins.length;
    assert.ok(opSum < mean && opSum > 0.99 * mean, `ops ${opSum} vs inference ${mean}`);
    // Per op, the arena bytes live while it runs: a depthwise layer holds its input and output map (25x5x64 each)
    // and no more than a few hundred bytes of plain-kernel scratch; the largest of them, with the persistent
    // multipliers, is the whole arena (a first-fit plan that wastes nothing on this chain).
    const host = await runHost(bytes, []);
    for (const o of perOp.filter((x) => x.op === 'DEPTHWISE_CONV_2D'))
      assert.ok(o.arenaLiveBytes! >= 2 * 8000 && o.arenaLiveBytes! < 2 * 8000 + 512, `node ${o.node}: ${o.arenaLiveBytes}`);
    assert.equal(Math.max(...perOp.map((o) => o.arenaLiveBytes!)) + host.persistent_bytes, r.arenaBytes);
    // The pointwise convolutions dominate a DS-CNN.
    const pointwise = perOp.filter((o, i) => o.op === 'CONV_2D' && i > 0).reduce((a, o) => a + o.instructions, 0);
    assert.ok(pointwise > 0.4 * mean);
  });

  for (const cpu of qemuCpus()) {
    it(`runs every op bit-exact on qemu:${cpu}, plain and optimized (DSP / MVE) kernels`, async () => {
      const model = coverageModel(31);
      const bytes = writeTflite(model);
      const inputs = randomInputs(model, 20, 9);
      const want = runBatch(model, inputs, 'tflm');
      const runtime = new QemuRuntime(cpu, { countInstructions: false });
      const plain = await runtime.run(bytes, inputs);
      assert.equal(compareBatches(plain.outputs, want).mismatches, 0);
      assert.equal(plain.instructionsPerInference, undefined);
      const fast = await runtime.run(bytes, inputs, { optimized: true });
      assert.deepEqual(fast.outputs, plain.outputs);
      assert.match(fast.version ?? '', /optimized kernels/);
    });
  }

  // On the M55 the int4 model runs Helium's GEMM on nibbles split in registers (depths 40 and 64: whole 32-element
  // chunks and a shorter last one) and its 3x3 depthwise on weights widened once per Eval (64 channels).
  it("optimized kernels give the plain kernels' bytes on DS-CNN int8 and int4 for fewer instructions (M4, M55)", async () => {
    for (const [cpu, weights] of [
      ['cortex-m4', 'int8'],
      ['cortex-m4', 'int4'],
      ['cortex-m55', 'int8'],
      ['cortex-m55', 'int4'],
    ] as const) {
      const model = dscnnModel(23, { weights });
      const bytes = writeTflite(model);
      const inputs = randomInputs(model, 8, 10);
      const runtime = new QemuRuntime(cpu);
      const plain = await runtime.run(bytes, inputs);
      const fast = await runtime.run(bytes, inputs, { optimized: true });
      assert.equal(compareBatches(fast.outputs, runBatch(model, inputs, 'tflm')).mismatches, 0, `${cpu} ${weights}`);
      assert.deepEqual(fast.outputs, plain.outputs);
      const mean = (v: number[] | undefined): number => (v ?? []).reduce((a, b) => a + b, 0) / (v?.length || 1);
      assert.ok(mean(fast.instructionsPerInference) < 0.7 * mean(plain.instructionsPerInference), `${cpu} ${weights}`);
    }
  });

  it('splits a large batch over concurrent emulators and merges outputs and counts in sample order', async () => {
    const model = coverageModel(32);
    const bytes = writeTflite(model);
    const inputs = randomInputs(model, 450, 11);
    const split = await new QemuRuntime('cortex-m7', { launches: 2 }).run(bytes, inputs, { optimized: true });
    assert.equal(compareBatches(split.outputs, runBatch(model, inputs, 'tflm')).mismatches, 0);
    assert.equal(split.instructionsPerInference!.length, 450);
    const single = await new QemuRuntime('cortex-m7', { launches: 1 }).run(bytes, inputs.slice(0, 20), { optimized: true });
    // The firmware's state does not carry between samples, so per-sample counts match across launches.
    assert.deepEqual(split.instructionsPerInference!.slice(0, 20), single.instructionsPerInference);
  });

  it('says when the model does not fit the target flash or RAM, naming the board', async () => {
    const bytes = writeTflite(dscnnModel(22, { channels: 16, blocks: 1 }));
    const x = randomInputs(dscnnModel(22, { channels: 16, blocks: 1 }), 1, 1);
    await assert.rejects(
      new QemuRuntime('cortex-m4', { memory: { flashBytes: 16 * 1024, ramBytes: 196608 } }).run(bytes, x),
      /^Error: qemu:cortex-m4 \(mps2-an386\): the model does not fit: FLASH overflowed by \d+ bytes \(limit 16384 bytes\)/,
    );
    await assert.rejects(
      new QemuRuntime('cortex-m33', { memory: { flashBytes: 1 << 20, ramBytes: 8 * 1024 } }).run(bytes, x),
      /^Error: qemu:cortex-m33 \(mps2-an505\): the model does not fit: RAM overflowed by \d+ bytes \(limit 8192 bytes\)/,
    );
  });

  it('names the unsupported op and node before building', async () => {
    const g = new GraphBuilder(4);
    const x = g.activation([1, 1, 1, 8], 0.1, 0);
    const h = g.conv(x, 4, [1, 1], [1, 1], 'SAME', 'NONE');
    const y = g.tensors.push({ name: 'f', shape: [1, 1, 1, 4], dtype: 'float32', scale: [], zeroPoint: [] }) - 1;
    g.ops.push({ op: 'DEQUANTIZE', inputs: [h], outputs: [y], options: {} });
    await assert.rejects(
      new QemuRuntime('cortex-m55').run(writeTflite(g.build(x, y)), [new Int8Array(8)]),
      /^Error: qemu:cortex-m55 \(mps3-an547\): DEQUANTIZE node 1: operator not supported by pqk micro; builtin code 6$/,
    );
  });
});
