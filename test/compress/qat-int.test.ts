// The fake-quant forward is the integer reference's arithmetic: on every sample the dequantized QAT logits equal the
// integer reference's exactly (0 LSB) and the argmax agrees; for every model, scheme and sparsity pattern.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select.js';
import { evaluateQuantized } from '../../src/compress/pqk/evaluate.js';
import { runPhase1, PHASE1_DEFAULTS, type Phase1Config } from '../../src/compress/pqk/phase1.js';
import { toQModel } from '../../src/compress/quant/convert.js';
import type { QuantScheme } from '../../src/compress/quant/qat.js';
import { createModel, type Model } from '../../src/models/params.js';
import { dsCnn, mlp, resnet } from '../../src/models/zoo.js';
import { deriveChannelGroups, type ModelSpec, type NodeSpec } from '../../src/models/spec.js';
import { trainFloat } from '../../src/train/float.js';
import { blobDataset } from '../helpers.js';

const dirs: string[] = [];
before(async () => {
  await initBackend();
});
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function phase1(spec: ModelSpec, inputShape: number[], scheme: QuantScheme, p1: Partial<Phase1Config>) {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-qat-'));
  dirs.push(dir);
  const data = blobDataset({ inputShape, classes: spec.numClasses, train: 120, test: 60, seed: 5 });
  const quiet = () => {};
  const f = await trainFloat({
    dir,
    data,
    cfg: { model: spec.name, epochs: 1, batchSize: 40, lr: 0.01, optimizer: 'adam', weightDecay: 0, seed: 2 },
    init: async () => createModel(spec, 2),
    log: quiet,
  });
  const r = await runPhase1({
    dir,
    data,
    cfg: { ...PHASE1_DEFAULTS, batchSize: 40, epochsPerRound: 1, finalEpochs: 1, rounds: 2, scope: 'per-layer', ...p1 },
    scheme,
    start: async () => f.model,
    log: quiet,
  });
  return { ...r, data };
}

function assertFaithful(name: string, ev: Awaited<ReturnType<typeof evaluateQuantized>>): void {
  assert.equal(ev.argmaxAgreement, 1, `${name}: argmax agreement ${ev.argmaxAgreement}`);
  assert.equal(ev.maxLogitDiffLsb, 0, `${name}: logits differ by ${ev.maxLogitDiffLsb} LSB`);
  assert.ok(Math.abs(ev.fakeQuantAccuracy - ev.integerAccuracy) < 1e-9, `${name}: accuracies differ`);
}

// Explicit zero padding as an imported PyTorch model has it (pad 1 before a stride-2 depthwise, an asymmetric pad
// before a stride-2 conv), with channel groups derived through the pads.
function padded(): ModelSpec {
  const conv = (name: string, input: string, k: number, s: number, padding: 'same' | 'valid'): NodeSpec => ({
    kind: 'conv',
    name,
    input,
    filters: 8,
    kernel: [k, k],
    stride: [s, s],
    padding,
    bn: true,
    activation: 'relu',
  });
  const nodes: NodeSpec[] = [
    conv('c1', 'input', 3, 1, 'same'),
    { kind: 'pad', name: 'p1', input: 'c1', pads: [1, 1, 1, 1] },
    {
      kind: 'depthwise',
      name: 'd1',
      input: 'p1',
      multiplier: 1,
      kernel: [3, 3],
      stride: [2, 2],
      padding: 'valid',
      bn: true,
      activation: 'relu',
    },
    conv('c2', 'd1', 1, 1, 'valid'),
    { kind: 'pad', name: 'p2', input: 'c2', pads: [0, 0, 1, 1] },
    conv('c3', 'p2', 3, 2, 'valid'),
    { kind: 'avgpool', name: 'pool', input: 'c3', size: [3, 3], stride: [3, 3], padding: 'valid' },
    { kind: 'flatten', name: 'flatten', input: 'pool' },
    { kind: 'dense', name: 'fc', input: 'flatten', units: 3, activation: 'none' },
  ];
  const spec = { name: 'padded', inputShape: [12, 12, 1], numClasses: 3, nodes, output: 'fc' };
  return { ...spec, channelGroups: deriveChannelGroups(spec) };
}

// A dense layer reading a flattened 3x3 map (a Keras or PyTorch CNN without global pooling): channel pruning of the
// conv before it drops every row c + 8k of the dense kernel.
function flattened(): ModelSpec {
  const nodes: NodeSpec[] = [
    { kind: 'conv', name: 'c1', input: 'input', filters: 8, kernel: [3, 3], stride: [2, 2], padding: 'same', bn: true, activation: 'relu' },
    { kind: 'flatten', name: 'flatten', input: 'c1' },
    { kind: 'dense', name: 'fc', input: 'flatten', units: 3, activation: 'none' },
  ];
  const spec = { name: 'flattened', inputShape: [6, 6, 1], numClasses: 3, nodes, output: 'fc' };
  return { ...spec, channelGroups: deriveChannelGroups(spec) };
}

// A SAME-padded conv with batch norm: f filters of k x k, stride s.
function bnConv(name: string, input: string, f: number, k: number, s: number, act: 'relu' | 'none'): NodeSpec {
  return { kind: 'conv', name, input, filters: f, kernel: [k, k], stride: [s, s], padding: 'same', bn: true, activation: act };
}

// Inception-style branches joined by CONCATENATION: the input joined with a conv's output, then a 1x1 conv (ReLU),
// a 3x3 conv without activation (negative values) and a max pool joined; every tensor a concat joins is quantized
// from the union of their ranges, the input's too.
function concatenated(): ModelSpec {
  const nodes: NodeSpec[] = [
    bnConv('c1', 'input', 6, 3, 1, 'relu'),
    { kind: 'concat', name: 'j0', inputs: ['input', 'c1'] },
    bnConv('a', 'j0', 4, 1, 1, 'relu'),
    bnConv('b', 'j0', 4, 3, 1, 'none'),
    { kind: 'maxpool', name: 'm', input: 'j0', size: [3, 3], stride: [1, 1], padding: 'same' },
    { kind: 'concat', name: 'j1', inputs: ['a', 'b', 'm'] },
    bnConv('c3', 'j1', 8, 3, 2, 'relu'),
    { kind: 'avgpool', name: 'pool', input: 'c3', size: [6, 6], stride: [6, 6], padding: 'valid' },
    { kind: 'flatten', name: 'flatten', input: 'pool' },
    { kind: 'dense', name: 'fc', input: 'flatten', units: 3, activation: 'none' },
  ];
  const spec = { name: 'concatenated', inputShape: [12, 12, 1], numClasses: 3, nodes, output: 'fc' };
  return { ...spec, channelGroups: deriveChannelGroups(spec) };
}

// A sigmoid's output joined with another branch: LOGISTIC's fixed quantization (1/256, -128) moved onto the join's
// shared one by a requantize node (QUANTIZE int8 -> int8) before the CONCATENATION. 10 x 10 x 6 = 600 values: on arm64
// 37 NEON groups of 16 round ties upward and the last 8 away from zero.
function sigmoidJoined(): ModelSpec {
  const nodes: NodeSpec[] = [
    bnConv('c1', 'input', 6, 3, 1, 'none'),
    { kind: 'activation', name: 's', input: 'c1', fn: 'sigmoid' },
    { kind: 'requantize', name: 'r', input: 's' },
    bnConv('c2', 'input', 6, 3, 1, 'relu'),
    { kind: 'concat', name: 'j', inputs: ['c2', 'r'] },
    bnConv('c3', 'j', 8, 3, 2, 'relu'),
    { kind: 'avgpool', name: 'pool', input: 'c3', size: [5, 5], stride: [5, 5], padding: 'valid' },
    { kind: 'flatten', name: 'flatten', input: 'pool' },
    { kind: 'dense', name: 'fc', input: 'flatten', units: 3, activation: 'none' },
  ];
  const spec = { name: 'sigmoid-joined', inputShape: [10, 10, 1], numClasses: 3, nodes, output: 'fc' };
  return { ...spec, channelGroups: deriveChannelGroups(spec) };
}

// MobileNetV3 / EfficientNet-style blocks: a hard swish, a swish (x * sigmoid(x)) and a squeeze-and-excitation gate
// (channel means -> flatten -> two dense layers -> back to a 1x1 map -> sigmoid) multiplying the map: HARD_SWISH,
// LOGISTIC, MUL and the RESHAPEs around FULLY_CONNECTED.
function gated(): ModelSpec {
  const conv = (name: string, input: string, f: number, k: number, act: 'relu' | 'none', bn = true): NodeSpec => ({
    kind: 'conv',
    name,
    input,
    filters: f,
    kernel: [k, k],
    stride: [1, 1],
    padding: 'same',
    bn,
    activation: act,
  });
  const nodes: NodeSpec[] = [
    conv('c1', 'input', 8, 3, 'none'),
    { kind: 'activation', name: 'h1', input: 'c1', fn: 'hard_swish' },
    {
      kind: 'depthwise',
      name: 'dw',
      input: 'h1',
      multiplier: 1,
      kernel: [3, 3],
      stride: [2, 2],
      padding: 'same',
      bn: true,
      activation: 'none',
    },
    { kind: 'activation', name: 's1', input: 'dw', fn: 'sigmoid' },
    { kind: 'mul', name: 'swish', inputs: ['dw', 's1'], activation: 'none' },
    { kind: 'avgpool', name: 'gap', input: 'swish', size: [6, 6], stride: [6, 6], padding: 'valid' },
    { kind: 'flatten', name: 'squeeze', input: 'gap' },
    { kind: 'dense', name: 'e1', input: 'squeeze', units: 4, activation: 'relu' },
    { kind: 'dense', name: 'e2', input: 'e1', units: 8, activation: 'none' },
    { kind: 'expand', name: 'unsqueeze', input: 'e2' },
    { kind: 'activation', name: 'gate', input: 'unsqueeze', fn: 'sigmoid' },
    { kind: 'mul', name: 'se', inputs: ['swish', 'gate'], activation: 'none' },
    conv('c3', 'se', 8, 1, 'relu'),
    { kind: 'avgpool', name: 'pool', input: 'c3', size: [6, 6], stride: [6, 6], padding: 'valid' },
    { kind: 'flatten', name: 'flatten', input: 'pool' },
    { kind: 'dense', name: 'fc', input: 'flatten', units: 3, activation: 'none' },
  ];
  const spec = { name: 'gated', inputShape: [12, 12, 1], numClasses: 3, nodes, output: 'fc' };
  return { ...spec, channelGroups: deriveChannelGroups(spec) };
}

const cases: { name: string; spec: ModelSpec; shape: number[]; scheme: QuantScheme; p1: Partial<Phase1Config> }[] = [
  {
    name: 'ds-cnn int8 unstructured 0.8',
    spec: dsCnn([49, 10, 1], 4, 16),
    shape: [49, 10, 1],
    scheme: { weightBits: 8, perChannel: true },
    p1: { pattern: 'unstructured', sparsity: 0.8 },
  },
  {
    name: 'ds-cnn int4 2:4',
    spec: dsCnn([49, 10, 1], 4, 16),
    shape: [49, 10, 1],
    scheme: { weightBits: 4, perChannel: true },
    p1: { pattern: '2:4' },
  },
  {
    name: 'resnet int8 channel 0.5',
    spec: resnet([12, 12, 1], 3),
    shape: [12, 12, 1],
    scheme: { weightBits: 8, perChannel: true },
    p1: { pattern: 'channel', sparsity: 0.5 },
  },
  {
    name: 'ds-cnn int8 arm64 flavor, 12 channels (8 NEON + 4 plain)',
    spec: dsCnn([49, 10, 1], 4, 12),
    shape: [49, 10, 1],
    scheme: { weightBits: 8, perChannel: true, flavor: 'arm64' },
    p1: { pattern: 'unstructured', sparsity: 0.5 },
  },
  {
    name: 'ds-cnn int4 tflm flavor (TFLite Micro: ties away from zero in CONV_2D and FULLY_CONNECTED)',
    spec: dsCnn([49, 10, 1], 4, 12),
    shape: [49, 10, 1],
    scheme: { weightBits: 4, perChannel: true, flavor: 'tflm' },
    p1: { pattern: 'unstructured', sparsity: 0.5 },
  },
  {
    name: 'resnet int8 tflm flavor channel 0.5',
    spec: resnet([12, 12, 1], 3),
    shape: [12, 12, 1],
    scheme: { weightBits: 8, perChannel: true, flavor: 'tflm' },
    p1: { pattern: 'channel', sparsity: 0.5 },
  },
  {
    name: 'explicit zero padding (PAD) int8 channel 0.5',
    spec: padded(),
    shape: [12, 12, 1],
    scheme: { weightBits: 8, perChannel: true },
    p1: { pattern: 'channel', sparsity: 0.5 },
  },
  {
    name: 'dense after a flatten of a 3x3 map int8 channel 0.5',
    spec: flattened(),
    shape: [6, 6, 1],
    scheme: { weightBits: 8, perChannel: true },
    p1: { pattern: 'channel', sparsity: 0.5 },
  },
  {
    name: 'concatenated branches (CONCATENATION) int8 channel 0.5',
    spec: concatenated(),
    shape: [12, 12, 1],
    scheme: { weightBits: 8, perChannel: true },
    p1: { pattern: 'channel', sparsity: 0.5 },
  },
  {
    name: 'concatenated branches (CONCATENATION) int4 tflm flavor unstructured 0.5',
    spec: concatenated(),
    shape: [12, 12, 1],
    scheme: { weightBits: 4, perChannel: true, flavor: 'tflm' },
    p1: { pattern: 'unstructured', sparsity: 0.5 },
  },
  {
    name: 'hard swish, swish and a squeeze-and-excitation gate (HARD_SWISH, LOGISTIC, MUL) int8 channel 0.5',
    spec: gated(),
    shape: [12, 12, 1],
    scheme: { weightBits: 8, perChannel: true },
    p1: { pattern: 'channel', sparsity: 0.5 },
  },
  {
    name: 'hard swish, swish and a squeeze-and-excitation gate int4 tflm flavor (fixed-point LOGISTIC) unstructured 0.5',
    spec: gated(),
    shape: [12, 12, 1],
    scheme: { weightBits: 4, perChannel: true, flavor: 'tflm' },
    p1: { pattern: 'unstructured', sparsity: 0.5 },
  },
  ...(['x86-64', 'arm64', 'tflm'] as const).map((flavor) => ({
    name: `a sigmoid joined by a concatenation (LOGISTIC, QUANTIZE int8 -> int8, CONCATENATION) int8 ${flavor} flavor unstructured 0.5`,
    spec: sigmoidJoined(),
    shape: [10, 10, 1],
    scheme: { weightBits: 8 as const, perChannel: true, flavor },
    p1: { pattern: 'unstructured' as const, sparsity: 0.5 },
  })),
  {
    name: 'mlp int8 per-tensor unstructured 0.5',
    spec: mlp([8, 4, 1], 3),
    shape: [8, 4, 1],
    scheme: { weightBits: 8, perChannel: false },
    p1: { pattern: 'unstructured', sparsity: 0.5 },
  },
];

test('QUANTIZE int8 -> int8 at exact ties: fake quant equals the integer reference in every flavour (arm64 by position)', async () => {
  // A requantize node on a signed tensor: c1's range [-1, 1.5] (scale 2.5 / 255, zero point -26) onto the join's
  // [-4, 6] (scale 10 / 255, zero point -26), a multiplier of exactly 1/4 (2^30 and a right shift of 1), so every
  // q - zp = 4k + 2 is a tie, of either sign, where NEON's rounding shift and TFLite's differ below zero.
  const spec = sigmoidJoined();
  const nodes = spec.nodes.map((n) => (n.name === 'r' ? { ...n, input: 'c1' } : n)).filter((n) => n.name !== 's');
  const signed = { ...spec, name: 'signed-joined', nodes, channelGroups: deriveChannelGroups({ ...spec, nodes }) };
  const r = await phase1(signed, [10, 10, 1], { weightBits: 8, perChannel: true }, { pattern: 'unstructured', sparsity: 0.5 });
  const set = (name: string, lo: number, hi: number): void => {
    r.model.ranges.get(name)!.min.assign(tf.scalar(lo));
    r.model.ranges.get(name)!.max.assign(tf.scalar(hi));
  };
  set('c1', -1, 1.5);
  set('c2', -4, 6);
  set('r', -4, 6);
  for (const flavor of ['x86-64', 'arm64', 'tflm'] as const) {
    const qat = { ...r.qat, scheme: { ...r.qat.scheme, flavor } };
    assertFaithful(`ties, ${flavor}`, await evaluateQuantized(r.model, qat, r.data, 'test'));
  }
  const q = await toQModel(r.model, { scheme: r.qat.scheme, softmax: true, metadata: {} });
  const rq = q.model.ops.find((o) => o.op === 'QUANTIZE')!;
  const [x, y] = [q.model.tensors[rq.inputs[0]!]!, q.model.tensors[rq.outputs[0]!]!];
  assert.deepEqual([x.zeroPoint, y.zeroPoint], [[-26], [-26]]);
  assert.equal(Math.fround(x.scale[0]! / y.scale[0]!), 0.25);
});

for (const c of cases)
  test(`fake quant equals the integer reference: ${c.name}`, async () => {
    const r = await phase1(c.spec, c.shape, c.scheme, c.p1);
    const ev = await evaluateQuantized(r.model, r.qat, r.data, 'test');
    assertFaithful(c.name, ev);
    if (c.p1.pattern === 'unstructured')
      for (const [layer, s] of Object.entries(ev.sparsityPerLayer))
        assert.ok(Math.abs(s - c.p1.sparsity!) < 0.01, `${layer} sparsity ${s}`);
    if (c.spec.name === 'padded') {
      // The pads carry their input's kept channels: PAD ops of the pruned width, the borders at the zero point.
      assert.deepEqual(
        c.spec.channelGroups.map((g) => [g.producers[0]!.weight, g.passthrough.map((p) => p.weight), g.consumers.map((k) => k.weight)]),
        [
          ['c1', ['d1'], ['c2']],
          ['c2', [], ['c3']],
          ['c3', [], ['fc']],
        ],
      );
      const q = await toQModel(r.model, { scheme: c.scheme, softmax: true, metadata: {} });
      const pads = q.model.ops.filter((o) => o.op === 'PAD');
      assert.equal(pads.length, 2);
      for (const o of pads) {
        const [x, y] = [q.model.tensors[o.inputs[0]!]!, q.model.tensors[o.outputs[0]!]!];
        assert.deepEqual([y.scale, y.zeroPoint], [x.scale, x.zeroPoint]);
        assert.ok(x.shape[3]! < 8, `pruned channels: ${x.shape}`);
      }
      assert.deepEqual(Array.from(q.model.tensors[pads[1]!.inputs[1]!]!.data!), [0, 0, 0, 1, 0, 1, 0, 0]);
    }
    if (c.spec.name === 'flattened') {
      // The exported dense kernel keeps, at each of the 9 positions, the rows of the conv's kept channels.
      const q = await toQModel(r.model, { scheme: c.scheme, softmax: true, metadata: {} });
      const conv = q.model.ops.find((o) => o.op === 'CONV_2D')!;
      const fc = q.model.ops.find((o) => o.op === 'FULLY_CONNECTED')!;
      const kept = q.model.tensors[conv.outputs[0]!]!.shape[3]!;
      assert.ok(kept < 8, `channels kept ${kept}`);
      assert.deepEqual(q.model.tensors[fc.inputs[1]!]!.shape, [3, 9 * kept]);
    }
    if (c.spec.name === 'concatenated') {
      // Only the conv after the joins forms a channel group; each CONCATENATION's inputs and output share one
      // quantization; the max pool carries the first join's into the second, so the input, c1, a and b share one.
      assert.deepEqual(
        c.spec.channelGroups.map((g) => g.producers[0]!.weight),
        ['c3'],
      );
      const q = await toQModel(r.model, { scheme: c.scheme, softmax: true, metadata: {} });
      const joins = q.model.ops.filter((o) => o.op === 'CONCATENATION');
      assert.deepEqual(
        joins.map((o) => q.model.tensors[o.outputs[0]!]!.shape),
        [
          [1, 12, 12, 7],
          [1, 12, 12, 15],
        ],
      );
      for (const o of joins) {
        const y = q.model.tensors[o.outputs[0]!]!;
        for (const i of o.inputs) assert.deepEqual([q.model.tensors[i]!.scale, q.model.tensors[i]!.zeroPoint], [y.scale, y.zeroPoint]);
      }
      assert.equal(q.model.tensors[q.model.inputs[0]!]!.scale[0], q.model.tensors[joins[0]!.outputs[0]!]!.scale[0]);
      assert.equal(q.model.tensors[joins[0]!.outputs[0]!]!.scale[0], q.model.tensors[joins[1]!.outputs[0]!]!.scale[0]);
      const c3 = q.model.ops.find((o) => o.op === 'CONV_2D' && q.model.tensors[o.outputs[0]!]!.name === 'c3')!;
      assert.notEqual(q.model.tensors[c3.outputs[0]!]!.scale[0], q.model.tensors[joins[1]!.outputs[0]!]!.scale[0]);
    }
    if (c.spec.name === 'sigmoid-joined') {
      // LOGISTIC keeps its fixed quantization; QUANTIZE moves it onto the one the join shares with the other branch.
      const q = await toQModel(r.model, { scheme: c.scheme, softmax: true, metadata: {} });
      const t = (i: number): [number[], number[]] => [q.model.tensors[i]!.scale, q.model.tensors[i]!.zeroPoint];
      const [lg, rq, join] = ['LOGISTIC', 'QUANTIZE', 'CONCATENATION'].map((op) => q.model.ops.find((o) => o.op === op)!);
      assert.deepEqual(t(lg!.outputs[0]!), [[1 / 256], [-128]]);
      assert.equal(rq!.inputs[0], lg!.outputs[0]);
      assert.deepEqual(join!.inputs[1], rq!.outputs[0]);
      assert.deepEqual(t(rq!.outputs[0]!), t(join!.outputs[0]!));
      assert.deepEqual(t(join!.inputs[0]!), t(join!.outputs[0]!));
      assert.notDeepEqual(t(rq!.outputs[0]!), t(lg!.outputs[0]!));
    }
    if (c.spec.name === 'gated') {
      // The gate's convs read a mul's input path, so only the groups away from the muls remain; the ops are exported.
      const q = await toQModel(r.model, { scheme: c.scheme, softmax: true, metadata: {} });
      assert.deepEqual(
        q.model.ops.map((o) => o.op),
        [
          'CONV_2D',
          'HARD_SWISH',
          'DEPTHWISE_CONV_2D',
          'LOGISTIC',
          'MUL',
          'AVERAGE_POOL_2D',
          'RESHAPE',
          'FULLY_CONNECTED',
          'FULLY_CONNECTED',
          'RESHAPE',
          'LOGISTIC',
          'MUL',
          'CONV_2D',
          'AVERAGE_POOL_2D',
          'RESHAPE',
          'FULLY_CONNECTED',
          'SOFTMAX',
        ],
      );
      for (const o of q.model.ops.filter((o) => o.op === 'LOGISTIC'))
        assert.deepEqual([q.model.tensors[o.outputs[0]!]!.scale, q.model.tensors[o.outputs[0]!]!.zeroPoint], [[1 / 256], [-128]]);
      const se = q.model.ops.filter((o) => o.op === 'MUL')[1]!;
      assert.deepEqual(
        se.inputs.map((i) => q.model.tensors[i]!.shape),
        [
          [1, 6, 6, 8],
          [1, 1, 1, 8],
        ],
      );
    }
    if (c.scheme.weightBits === 4) {
      const q = await toQModel(r.model, { scheme: c.scheme, softmax: true, metadata: {} });
      for (const t of q.model.tensors.filter((t) => t.dtype === 'int4')) for (const v of t.data!) assert.ok(v >= -7 && v <= 7);
    }
  });

test('channel pruning removes filters physically and keeps the graph consistent', async () => {
  const r = await phase1(
    dsCnn([49, 10, 1], 4, 16),
    [49, 10, 1],
    { weightBits: 8, perChannel: true },
    { pattern: 'channel', sparsity: 0.5 },
  );
  const q = (await toQModel(r.model, { scheme: { weightBits: 8, perChannel: true }, softmax: true, metadata: {} })).model;
  const byName = (n: string) => q.tensors.find((t) => t.name === n)!;
  assert.deepEqual(byName('conv1/weights').shape, [8, 10, 4, 1]); // (out, kh, kw, in): 16 -> 8 filters
  assert.deepEqual(byName('dw1/weights').shape, [1, 3, 3, 8]);
  assert.deepEqual(byName('pw1/weights').shape, [8, 1, 1, 8]);
  assert.deepEqual(byName('fc/weights').shape, [4, 8]);
  assert.equal(byName('conv1/bias').data!.length, 8);
  assert.equal(byName('conv1/weights').scale.length, 8);
});

test('phase 1 never resurrects a pruned weight and masks only grow', async () => {
  const r = await phase1(
    mlp([8, 4, 1], 3),
    [8, 4, 1],
    { weightBits: 8, perChannel: true },
    { pattern: 'unstructured', sparsity: 0.75, rounds: 3 },
  );
  const m: Model = r.model;
  for (const p of m.layers.values()) {
    const w = (await tf.mul(p.w, p.mask).data()) as Float32Array;
    const mask = (await p.mask.data()) as Float32Array;
    let zeros = 0;
    mask.forEach((v, i) => {
      if (v === 0) {
        zeros++;
        assert.ok(w[i] === 0, `pruned weight ${i} is ${w[i]}`);
      }
    });
    assert.equal(zeros, Math.round(0.75 * mask.length));
  }
});
