// Edge cases of the optimized kernel variants (the four-pixel GEMM for CONV_2D, unrolled 3x3 DEPTHWISE_CONV_2D,
// channel-group AVERAGE_POOL_2D): channel counts that are not multiples of 4, depths the GEMM does not take, pixel
// counts that are not multiples of 4, padding taps, strides, the int4 / depth-multiplier models that fall back to the
// other optimized paths, and 2:4 weights read from their packed form. Each op's output equals the integer reference
// on the host (plain and optimized), and the whole chain does on the M4 (DSP) and M55 (Helium) boards.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBatch } from '../../src/ops/interpreter.js';
import type { QModel } from '../../src/int/graph.js';
import { QemuRuntime } from '../../src/runtimes/qemu.js';
import { deviceForm } from '../../src/deploy/device-form.js';
import { pack2of4, packed2of4Tensors } from '../../src/tflite/packed-2of4.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { buildHarness, compareBatches, prefixModel, randomInputs, runHost } from './harness.js';
import { GraphBuilder } from './models.js';
import { addModel } from '../int/helpers.js';

before(buildHarness);

/** 5x7 pixels (35, odd) of 7 channels through every shape the optimized paths special-case. */
function edgeModel(seed: number): QModel {
  const g = new GraphBuilder(seed);
  const x = g.activation([1, 5, 7, 7], 0.05, g.int(-20, 20));
  let h = g.conv(x, 5, [1, 1], [1, 1], 'SAME', 'NONE'); // pointwise: depth 7, 5 rows (odd)
  h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'NONE'); // 3x3: one group of 4 channels and one left over
  h = g.pool('AVERAGE_POOL_2D', h, [3, 3], [1, 1], 'SAME'); // windows of 4, 6 and 9 values; 4 + 1 channels
  h = g.conv(h, 12, [3, 3], [1, 1], 'SAME', 'RELU'); // im2col: depth 45, padding taps
  h = g.conv(h, 8, [3, 3], [1, 1], 'SAME', 'NONE'); // GEMM from a gather: depth 108, padding taps, 35 pixels
  h = g.depthwise(h, [3, 3], [2, 2], 'VALID', 'NONE'); // 3x3 with stride 2, 8 channels
  h = g.conv(h, 9, [1, 1], [1, 1], 'VALID', 'NONE'); // pointwise GEMM: depth 8, 9 rows, 2x3 pixels
  h = g.conv(h, 6, [1, 1], [2, 2], 'SAME', 'RELU6'); // 1x1 with stride 2: the gathered path
  h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'NONE', 'int4'); // int4 3x3 on 6 channels: the channel-group path
  h = g.conv(h, 8, [1, 1], [1, 1], 'SAME', 'NONE', 'int4'); // int4 pointwise, depth 6: the packed im2col path
  h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'NONE', 'int4'); // int4 3x3 on 8 channels: the unrolled path
  h = g.conv(h, 5, [3, 3], [1, 1], 'SAME', 'NONE', 'int4'); // int4 GEMM from a gather: depth 72, padding taps
  h = g.conv(h, 8, [1, 1], [1, 1], 'SAME', 'NONE', 'int4'); // int4 pointwise, depth 5: im2col again
  h = g.conv(h, 7, [1, 1], [1, 1], 'SAME', 'NONE', 'int4'); // int4 pointwise GEMM: depth 8
  h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'NONE', 'int8', 2); // multiplier 2: the generic channel loop
  return g.build(x, h);
}

/**
 * A chain whose real multipliers are exact powers of two (weight scales 0.5, output scales chosen so that
 * in x 0.5 / out = 2^-s), so the rescale's rounding shift meets exact .5 ties of both signs on many outputs: the
 * four-pixel GEMM (pointwise and gathered, int8 and int4), the unrolled 3x3 depthwise (int8 and int4), right
 * shifts from 1 (the shortest) to 8 and a multiplier of 0.5 (no right shift: the general rescale), outputs without activation (the whole int8 range) and after a ReLU whose
 * zero point is above -128 (a narrower clamp).
 */
function tieModel(seed: number): QModel {
  const g = new GraphBuilder(seed);
  const x = g.activation([1, 5, 6, 8], 1, 0);
  const chain: [number, number][] = []; // [op's output tensor, s]
  let h = g.conv(x, 8, [1, 1], [1, 1], 'SAME', 'NONE');
  chain.push([h, 2]);
  h = g.depthwise(h, [3, 3], [1, 1], 'SAME', 'NONE');
  chain.push([h, 3]);
  h = g.conv(h, 8, [3, 3], [1, 1], 'SAME', 'RELU');
  chain.push([h, 6]);
  h = g.depthwise(h, [3, 3], [2, 2], 'SAME', 'NONE', 'int4');
  chain.push([h, 2]);
  h = g.conv(h, 8, [1, 1], [1, 1], 'SAME', 'NONE', 'int4');
  chain.push([h, 1]);
  h = g.conv(h, 4, [1, 1], [1, 1], 'SAME', 'NONE');
  chain.push([h, 5]);
  const model = g.build(x, h);
  let inScale = 1;
  for (const [i, op] of model.ops.entries()) {
    const [out, s] = chain[i];
    const w = model.tensors[op.inputs[1]];
    w.scale = w.scale.map(() => 0.5);
    w.data = Int8Array.from(w.data as Int8Array, (v) => v % 4); // small sums: few outputs saturate
    const b = model.tensors[op.inputs[2]];
    b.scale = b.scale.map(() => inScale * 0.5);
    b.data = Int32Array.from(b.data as Int32Array, (v) => v % 200);
    const o = model.tensors[out];
    o.scale = [(inScale * 0.5) / 2 ** -s];
    o.zeroPoint = ['activation' in op.options && op.options.activation === 'RELU' ? -20 : 0];
    inScale = o.scale[0];
  }
  return model;
}

// Every weight tensor 2:4 in place: each group of four keeps its two largest weights, or one, or none (groups at
// multiples of 20 and 44), and the most negative value (`lowest`) stands in for the largest now and then.
function twoOfFourWeights(m: QModel, lowest: number): QModel {
  for (const op of m.ops) {
    const d = m.tensors[op.inputs[1]].data as Int8Array;
    for (let i = 0; i < d.length; i += 4) {
      const order = [0, 1, 2, 3].sort((a, b) => Math.abs(d[i + a]) - Math.abs(d[i + b]));
      const drop = i % 44 === 0 ? 4 : i % 20 === 0 ? 3 : 2;
      for (let k = 0; k < drop; k++) d[i + order[k]] = 0;
      if (i % 36 === 8) d[i + order[3]] = lowest;
    }
  }
  return m;
}

// Both forms of a file with packed 2:4 weights on the host, plain and optimized: the file (dense and packed weights)
// and the device form (packed only, which the plain kernels read too; the emulated boards hold it).
async function hostForms(bytes: Uint8Array, ins: Int8Array[], want: Int8Array[], label: string): Promise<void> {
  for (const [form, b] of [
    ['file', bytes],
    ['device form', deviceForm(bytes)],
  ] as const) {
    for (const optimized of [false, true]) {
      const host = await runHost(b, ins, optimized);
      assert.equal(host.status, 0, host.error);
      assert.equal(compareBatches(host.outputs, want).mismatches, 0, `host ${form} ${optimized ? 'optimized' : 'plain'}, ${label}`);
    }
  }
}

describe('optimized kernel variants', () => {
  const model = edgeModel(41);
  const inputs = randomInputs(model, 12, 13);

  it('equal the integer reference after every op on the host, plain and optimized', async () => {
    for (let k = 0; k < model.ops.length; k++) {
      const prefix = prefixModel(model, k);
      const bytes = writeTflite(prefix);
      const want = runBatch(prefix, inputs, 'tflm');
      const plain = await runHost(bytes, inputs);
      const fast = await runHost(bytes, inputs, true);
      assert.equal(fast.status, 0, fast.error);
      const { mismatches, distinct } = compareBatches(fast.outputs, want);
      assert.equal(mismatches, 0, `optimized, after op ${k} (${model.ops[k].op})`);
      assert.deepEqual(plain.outputs, fast.outputs, `plain, after op ${k}`);
      assert.ok(distinct >= 3, `op ${k} outputs take only ${distinct} values`);
    }
  });

  it('keep the weights in the model: the optimized build adds scratch only', async () => {
    const bytes = writeTflite(model);
    const plain = await runHost(bytes, []);
    const opt = await runHost(bytes, [], true);
    assert.equal(opt.persistent_bytes, plain.persistent_bytes);
    // The largest scratch: the GEMM of the 3x3 conv on 12 channels to 8, a column of four pixels of depth 108 as
    // int16, three words a row for the DSP row loop (8 rows), one pixel's gather and the output block of a last
    // group of fewer than four pixels (4 x 8 rows); it overlaps tensors that are dead by then or not.
    const align = (n: number): number => Math.ceil(n / 16) * 16;
    assert.ok(
      opt.arena_used_bytes <= plain.arena_used_bytes + align(8 * 108 + 12 * 8 + 108 + 4 * 8),
      `${opt.arena_used_bytes} vs ${plain.arena_used_bytes}`,
    );
  });

  it('round exact .5 ties of both signs as TFLite Micro does, on the host and on qemu:cortex-m4 and cortex-m55', async () => {
    const ties = tieModel(7);
    const tieInputs = randomInputs(ties, 6, 5);
    // x86-64 TFLite rounds the GEMM's ties upwards: where the two flavours differ, ties were met.
    const x86 = runBatch(ties, tieInputs, 'x86-64');
    for (let k = 0; k < ties.ops.length; k++) {
      const prefix = prefixModel(ties, k);
      const bytes = writeTflite(prefix);
      const want = runBatch(prefix, tieInputs, 'tflm');
      const fast = await runHost(bytes, tieInputs, true);
      assert.equal(fast.status, 0, fast.error);
      assert.equal(compareBatches(fast.outputs, want).mismatches, 0, `host optimized, after op ${k} (${ties.ops[k].op})`);
      if (k === 0) assert.ok(compareBatches(runBatch(prefix, tieInputs, 'x86-64'), want).mismatches > 10, 'no ties met');
    }
    const want = runBatch(ties, tieInputs, 'tflm');
    assert.ok(compareBatches(x86, want).mismatches > 0);
    for (const cpu of ['cortex-m4', 'cortex-m55'] as const) {
      const r = await new QemuRuntime(cpu, { countInstructions: false }).run(writeTflite(ties), tieInputs, { optimized: true });
      assert.equal(compareBatches(r.outputs, want).mismatches, 0, `qemu:${cpu}`);
    }
  });

  // Helium sums two taps' int8 products in int16 when no weight is -128: at |x| = 128, |w| = 127 the pair reaches
  // 32,512 of 32,767. A weight of -128 (legal in a file, though converters write [-127, 127]) takes the int32 path.
  it('sum paired 3x3 depthwise taps at the int16 limit exactly on qemu:cortex-m55, and take -128 weights elsewhere', async () => {
    const g = new GraphBuilder(9);
    const x = g.activation([1, 4, 5, 20], 0.05, 0);
    const h = g.depthwise(x, [3, 3], [1, 1], 'SAME', 'NONE'); // one block of 16 channels and one of 4
    const extreme = g.build(x, h);
    const w = extreme.tensors[extreme.ops[0].inputs[1]];
    const pick = (i: number, v: number): number => [127, -127, v][i % 3];
    w.data = Int8Array.from(w.data as Int8Array, (v, i) => pick(i, v));
    const edgeInputs = randomInputs(extreme, 4, 3).map((a) => Int8Array.from(a, (v, i) => [-128, 127, v][i % 3]));
    edgeInputs.push(new Int8Array(edgeInputs[0].length).fill(-128), new Int8Array(edgeInputs[0].length).fill(127));
    // Channel 0's first two taps at -128: against an input of -128 their products sum to 32,768.
    const withMin: QModel = structuredClone(extreme);
    const wm = withMin.tensors[withMin.ops[0].inputs[1]];
    wm.data = Int8Array.from(wm.data as Int8Array, (v, i) => (i === 0 || i === 20 ? -128 : v));
    const runtime = new QemuRuntime('cortex-m55', { countInstructions: false });
    for (const m of [extreme, withMin]) {
      const want = runBatch(m, edgeInputs, 'tflm');
      const { mismatches, distinct } = compareBatches((await runtime.run(writeTflite(m), edgeInputs, { optimized: true })).outputs, want);
      assert.equal(mismatches, 0);
      assert.ok(distinct >= 20, `outputs take only ${distinct} values`);
    }
  });

  // The 3x3 depthwise path that lays the widened weights out once per Eval (dw_rec_* in depthwise_conv_3x3_s8.c): on
  // DSP cores a pixel whose filter column 0 or 2 is in the padding, or neither, runs its own code; one with both (an
  // input one pixel wide) the C form. Every case, with a ReLU's floor above -128, strides 1 and 2, int8 weights of
  // -128, int4 weights of -8 and inputs at both ends of the range.
  it('run 3x3 depthwise from widened weight records exactly in every padding case, on the host and qemu:cortex-m4', async () => {
    const chain = (shape: number[], steps: (g: GraphBuilder, h: number) => number, seed: number, min = -128): QModel => {
      const g = new GraphBuilder(seed);
      const x = g.activation(shape, 0.05, g.int(-20, 20));
      const m = g.build(x, steps(g, x));
      for (const op of m.ops) {
        const w = m.tensors[op.inputs[1]];
        w.data = Int8Array.from(w.data as Int8Array, (v, i) => (i % 7 === 3 ? min : v));
      }
      return m;
    };
    const models = [
      chain(
        [1, 6, 5, 8],
        (g, x) => {
          let h = g.depthwise(x, [3, 3], [1, 1], 'SAME', 'RELU'); // left, right and middle columns; a floor
          h = g.depthwise(h, [3, 3], [2, 2], 'SAME', 'NONE'); // stride 2: 3x3 out, column 0 then 2 in the padding
          return g.depthwise(h, [3, 3], [1, 1], 'VALID', 'NONE'); // no padding
        },
        3,
      ),
      chain([1, 4, 1, 12], (g, x) => g.depthwise(x, [3, 3], [1, 1], 'SAME', 'RELU'), 4), // both ends in the padding
      chain([1, 3, 2, 4], (g, x) => g.depthwise(x, [3, 3], [1, 1], 'SAME', 'NONE'), 5), // two columns: left, right
      chain(
        [1, 5, 4, 8],
        (g, x) => g.depthwise(g.depthwise(x, [3, 3], [1, 1], 'SAME', 'RELU', 'int4'), [3, 3], [2, 2], 'SAME', 'NONE', 'int4'),
        6,
        -8,
      ), // int4 weights, -8 among them
    ];
    const runtime = new QemuRuntime('cortex-m4', { countInstructions: false });
    for (const [i, m] of models.entries()) {
      const ins = randomInputs(m, 6, 20 + i);
      ins.push(new Int8Array(ins[0].length).fill(-128), new Int8Array(ins[0].length).fill(127));
      for (let k = 0; k < m.ops.length; k++) {
        const prefix = prefixModel(m, k);
        const bytes = writeTflite(prefix);
        const want = runBatch(prefix, ins, 'tflm');
        const host = await runHost(bytes, ins, true);
        assert.equal(host.status, 0, host.error);
        assert.equal(compareBatches(host.outputs, want).mismatches, 0, `host, model ${i}, op ${k}`);
        const { mismatches, distinct } = compareBatches((await runtime.run(bytes, ins, { optimized: true })).outputs, want);
        assert.equal(mismatches, 0, `qemu:cortex-m4, model ${i}, op ${k}`);
        assert.ok(distinct >= 8, `model ${i}, op ${k}: outputs take only ${distinct} values`);
      }
    }
  });

  it('skip the zeros of 2:4 weights read from their packed form, exactly, on the host and qemu:cortex-m4', async () => {
    // 35 pixels (a last group of three), depths 32 and 144 (a 3x3 gather with padding taps), an output clamp of the
    // whole range, a ReLU's floor above -128 and a ReLU6 (a clamp at both ends); every group of four keeps its two
    // largest weights, or one, or none, and -128 is among them. Last 8 rows: too few for the packed path beside the
    // dense weights, which the device form (packed only) still takes.
    const g = new GraphBuilder(7);
    const x = g.activation([1, 5, 7, 32], 0.05, g.int(-20, 20));
    let h = g.conv(x, 32, [1, 1], [1, 1], 'SAME', 'NONE');
    h = g.conv(h, 16, [1, 1], [1, 1], 'SAME', 'RELU');
    h = g.conv(h, 16, [3, 3], [1, 1], 'SAME', 'RELU');
    h = g.conv(h, 16, [1, 1], [1, 1], 'SAME', 'RELU6');
    h = g.conv(h, 8, [1, 1], [1, 1], 'SAME', 'NONE');
    const model = g.build(x, h);
    for (const k of [1, 2]) model.tensors[model.ops[k].outputs[0]].zeroPoint = [-20];
    Object.assign(model.tensors[model.ops[3].outputs[0]], { scale: [6 / 170], zeroPoint: [-60] }); // clamp [-60, 110]
    const sparsify = (m: QModel): QModel => twoOfFourWeights(m, -128);
    sparsify(model);
    // One input channel and 4x4 taps: groups of four that span taps (the plain kernels read such weights one by one).
    const g1 = new GraphBuilder(8);
    const x1 = g1.activation([1, 6, 5, 1], 0.05, 3);
    const taps = sparsify(g1.build(x1, g1.conv(x1, 16, [4, 4], [1, 1], 'SAME', 'RELU')));
    const tapIns = randomInputs(taps, 6, 32);
    const tapBytes = writeTflite(taps, { packTwoOfFour: true });
    assert.equal(packed2of4Tensors(tapBytes).size, 1);
    for (const b of [tapBytes, deviceForm(tapBytes)])
      for (const optimized of [false, true]) {
        const host = await runHost(b, tapIns, optimized);
        assert.equal(host.status, 0, host.error);
        assert.equal(compareBatches(host.outputs, runBatch(taps, tapIns, 'tflm')).mismatches, 0, `4x4 taps, ${optimized}`);
      }
    const ins = randomInputs(model, 6, 31);
    ins.push(new Int8Array(ins[0].length).fill(-128), new Int8Array(ins[0].length).fill(127));
    const runtime = new QemuRuntime('cortex-m4');
    for (let k = 0; k < model.ops.length; k++) {
      const prefix = prefixModel(model, k);
      const dense = writeTflite(prefix);
      const bytes = writeTflite(prefix, { packTwoOfFour: true });
      const op = prefix.tensors[prefix.ops[k].inputs[1]];
      assert.equal(bytes.length - dense.length >= ((op.data as Int8Array).length * 3) / 4, true, `op ${k}: packed form written`);
      const want = runBatch(prefix, ins, 'tflm');
      await hostForms(bytes, ins, want, `op ${k}`);
      const [sparse, full] = [await runtime.run(bytes, ins, { optimized: true }), await runtime.run(dense, ins, { optimized: true })];
      const { mismatches, distinct } = compareBatches(sparse.outputs, want);
      assert.equal(mismatches, 0, `qemu:cortex-m4, op ${k}`);
      assert.ok(distinct >= 8, `op ${k}: outputs take only ${distinct} values`);
      // The instruction counts are exact: the packed path must retire fewer than the dense one on the same weights.
      const last = (r: typeof sparse): number => r.instructionsPerOp!.at(-1)!.instructions;
      if (k < 4) assert.ok(last(sparse) < last(full), `op ${k}: ${last(sparse)} vs dense ${last(full)} instructions`);
    }
    const bytes = writeTflite(model, { packTwoOfFour: true });
    const plain = await new QemuRuntime('cortex-m4', { countInstructions: false }).run(bytes, ins);
    assert.equal(compareBatches(plain.outputs, runBatch(model, ins, 'tflm')).mismatches, 0, 'qemu:cortex-m4 plain, device form');
    // A packed form that does not hold the tensor's weights is refused at load, naming the tensor.
    const packed = pack2of4(model.tensors[model.ops[0].inputs[1]].data as Int8Array, 32, 32)!;
    const at = Buffer.from(bytes).indexOf(Buffer.from(packed));
    assert.ok(at > 0);
    const bad = bytes.slice();
    bad[at + 4] ^= 1; // group 0's first weight
    const r = await runHost(bad, ins.slice(0, 1), true);
    assert.notEqual(r.status, 0);
    assert.match(r.error, new RegExp(`pqk_2of4 metadata does not hold the weights of tensor ${model.ops[0].inputs[1]}`));
    // Without a dense copy to compare with, an entry offset that names no pair is refused all the same.
    const device = deviceForm(bytes).slice();
    const atDevice = Buffer.from(device).indexOf(Buffer.from(packed));
    assert.ok(atDevice > 0);
    device[atDevice] = 0xff; // group 0's entry offset
    const d = await runHost(device, ins.slice(0, 1), true);
    assert.notEqual(d.status, 0);
    assert.match(d.error, new RegExp(`pqk_2of4 metadata does not hold the weights of tensor ${model.ops[0].inputs[1]}`));
  });

  it('skip the zeros of 2:4 int4 weights read from their packed form, exactly, on the host and qemu:cortex-m4', async () => {
    // Depths 64, 32, 288 (a 3x3 gather with padding taps) and 32, packed 12 bytes per 32 weights; no clamp, a ReLU's
    // floor above -128, a ReLU6 (both ends); -8 among the kept weights. The last conv (8 rows) takes the packed path
    // only without a dense copy (the board's device form), and one of its biases is too large for int4 sums times 16,
    // which sends it to the C loop.
    const g = new GraphBuilder(9);
    const x = g.activation([1, 5, 7, 64], 0.05, g.int(-20, 20));
    let h = g.conv(x, 32, [1, 1], [1, 1], 'SAME', 'NONE', 'int4');
    h = g.conv(h, 32, [1, 1], [1, 1], 'SAME', 'RELU', 'int4');
    h = g.conv(h, 32, [3, 3], [1, 1], 'SAME', 'RELU', 'int4');
    h = g.conv(h, 32, [1, 1], [1, 1], 'SAME', 'RELU6', 'int4');
    h = g.conv(h, 8, [1, 1], [1, 1], 'SAME', 'NONE', 'int4');
    const model = g.build(x, h);
    for (const k of [1, 2]) model.tensors[model.ops[k].outputs[0]].zeroPoint = [-20];
    Object.assign(model.tensors[model.ops[3].outputs[0]], { scale: [6 / 170], zeroPoint: [-60] });
    twoOfFourWeights(model, -8);
    (model.tensors[model.ops[4].inputs[2]].data as Int32Array)[5] = 3 << 26;
    // Scales that spread the small int4 sums over the int8 range: the ReLU6 reaches its ceiling (110), the last conv
    // both ends.
    const w3 = model.tensors[model.ops[3].inputs[1]];
    w3.scale = w3.scale.map((v) => v * 300);
    model.tensors[model.ops[4].outputs[0]].scale = [0.004];
    const bytes = writeTflite(model, { packTwoOfFour: true });
    const dense = writeTflite(model);
    assert.deepEqual(
      [...packed2of4Tensors(bytes).values()],
      [64 * 32, 32 * 32, 288 * 32, 32 * 32, 32 * 8].map((n) => (n * 3) / 8),
    );
    const ins = randomInputs(model, 6, 33);
    ins.push(new Int8Array(ins[0].length).fill(-128), new Int8Array(ins[0].length).fill(127));
    const want = runBatch(model, ins, 'tflm');
    await hostForms(bytes, ins, want, 'int4');
    const runtime = new QemuRuntime('cortex-m4');
    const [sparse, full] = [await runtime.run(bytes, ins, { optimized: true }), await runtime.run(dense, ins, { optimized: true })];
    const { mismatches, distinct } = compareBatches(sparse.outputs, want);
    assert.equal(mismatches, 0, 'qemu:cortex-m4');
    assert.ok(distinct >= 8, `outputs take only ${distinct} values`);
    assert.equal(compareBatches(full.outputs, want).mismatches, 0, 'qemu:cortex-m4, dense int4');
    // Exact counts: the packed DSP loop retires fewer instructions than the dense int4 GEMM on the same weights.
    for (let k = 0; k < 4; k++) {
      const [s2, d2] = [sparse.instructionsPerOp![k].instructions, full.instructionsPerOp![k].instructions];
      assert.ok(s2 < 0.85 * d2, `op ${k}: ${s2} vs dense ${d2} instructions`);
    }
  });

  for (const cpu of ['cortex-m4', 'cortex-m55'] as const) {
    it(`give the plain kernels' bytes and the reference on qemu:${cpu}`, async () => {
      const runtime = new QemuRuntime(cpu, { countInstructions: false });
      for (const k of cpu === 'cortex-m4' ? [1, 2, 5, 11, 13, model.ops.length - 1] : [model.ops.length - 1]) {
        const prefix = prefixModel(model, k);
        const bytes = writeTflite(prefix);
        const fast = await runtime.run(bytes, inputs, { optimized: true });
        assert.equal(compareBatches(fast.outputs, runBatch(prefix, inputs, 'tflm')).mismatches, 0, `after op ${k}`);
        assert.deepEqual(fast.outputs, (await runtime.run(bytes, inputs)).outputs, `plain, after op ${k}`);
      }
    });
  }
});

// The optimized ADD (one SMMULR per rescale on DSP cores, VQRDMULH / VRSHL on Helium) against the reference
// arithmetic: every pair of int8 inputs, under scales that give right shifts of 0 (equal input scales: a multiplier of
// exactly 0.5), small and large ones, exact .5 ties of both signs, and each fused activation's clamp.
describe('optimized ADD', () => {
  const a = Int8Array.from({ length: 65536 }, (_, i) => (i & 255) - 128);
  const b = Int8Array.from({ length: 65536 }, (_, i) => (i >> 8) - 128);
  const configs: { q: [number, number][]; act: 'NONE' | 'RELU' | 'RELU6'; qemu?: boolean }[] = [
    {
      q: [
        [0.5, 0],
        [0.5, 0],
        [1, 0],
      ],
      act: 'NONE',
      qemu: true,
    }, // ties: 0.5a + 0.5b onto scale 1
    {
      q: [
        [0.0235, -3],
        [0.0417, 17],
        [0.051, -9],
      ],
      act: 'NONE',
    },
    {
      q: [
        [0.1, 100],
        [0.1, -100],
        [0.07, 0],
      ],
      act: 'NONE',
      qemu: true,
    }, // equal scales: no right shift on the inputs
    {
      q: [
        [0.03, 5],
        [0.011, -60],
        [0.02, -128],
      ],
      act: 'RELU',
    },
    {
      q: [
        [0.001, 0],
        [0.5, 0],
        [0.25, 3],
      ],
      act: 'NONE',
      qemu: true,
    }, // a right shift of 9 on the first input
    {
      q: [
        [0.05, -20],
        [0.04, 30],
        [6 / 255, -128],
      ],
      act: 'RELU6',
    },
  ];
  it('equals the reference on the host for every input pair, and on qemu:cortex-m4 and cortex-m55', async () => {
    for (const [k, c] of configs.entries()) {
      const model = addModel([1, 65536], [1, 65536], [1, 65536], c.q[0]!, c.q[1]!, c.q[2]!, b, c.act);
      const bytes = writeTflite(model);
      const want = runBatch(model, [a], 'tflm');
      const fast = await runHost(bytes, [a], true);
      assert.equal(fast.status, 0, fast.error);
      const { mismatches, distinct } = compareBatches(fast.outputs, want);
      assert.equal(mismatches, 0, `config ${k}, host optimized`);
      assert.ok(distinct >= 20, `config ${k}: ${distinct} output values`);
      if (!c.qemu) continue;
      for (const cpu of ['cortex-m4', 'cortex-m55'] as const) {
        const r = await new QemuRuntime(cpu, { countInstructions: false }).run(bytes, [a], { optimized: true });
        assert.equal(compareBatches(r.outputs, want).mismatches, 0, `config ${k}, qemu:${cpu}`);
      }
    }
  });
});

describe('PAD', () => {
  it('copies a row of pixels at once where the channels are not padded, pixel by pixel where they are', async () => {
    for (const paddings of [
      [0, 0, 1, 1, 1, 1, 0, 0],
      [0, 0, 0, 1, 2, 0, 0, 0],
      [0, 0, 1, 0, 0, 1, 1, 2],
      [0, 0, 0, 0, 0, 0, 3, 0],
    ]) {
      const g = new GraphBuilder(5);
      const x = g.activation([1, 4, 5, 6], 0.05, 3);
      const model = g.build(x, g.pad(x, paddings));
      const inputs = randomInputs(model, 3, 9);
      const want = runBatch(model, inputs, 'tflm');
      for (const optimized of [false, true]) {
        const r = await runHost(writeTflite(model), inputs, optimized);
        assert.equal(r.status, 0, r.error);
        assert.equal(compareBatches(r.outputs, want).mismatches, 0, `paddings ${paddings}, optimized ${optimized}`);
      }
    }
  });
});
