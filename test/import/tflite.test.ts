// pqk import of a float .tflite: the ops a converter writes lowered to pqk layer blocks and compared with what TFLite
// 2.9 computes from the same file; integer files and ops pqk cannot import are refused naming them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { QModel, QOp, QTensor } from '../../src/int/graph.js';
import { convertModel, importModel, maxAbsDiff, SUPPORTED_TFLITE_OPS } from '../../src/import/index.js';
import { OP_LIST } from '../../src/ops/table.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { mulberry32, normal } from '../../src/util/rng.js';
import { assertUserError, cli } from '../cli/harness.js';

const MLPERF_FLOAT = 'test/fixtures/mlperf-tiny-kws/kws_ref_model_float32.tflite';
const MLPERF_INT8 = 'test/fixtures/mlperf-tiny-kws/kws_ref_model.tflite';
const root = mkdtempSync(join(tmpdir(), 'pqk-import-tflite-'));
before(async () => {
  await tf.setBackend('cpu');
});
after(() => rmSync(root, { recursive: true, force: true }));

// A float32 model with seeded weights: conv 3x3 stride 2 SAME + RELU6, depthwise 3x3 VALID multiplier 2 + RELU, a
// residual ADD, max pool 2x2, MEAN over height and width, a dense layer and SOFTMAX; `extra` adds ops before MEAN.
type Extra = (
  t: (shape: number[], data?: Int32Array) => number,
  last: number,
  w: (shape: number[], s: number) => number,
) => { ops: QOp[]; out: number };
function floatModel(extra?: Extra): QModel {
  const r = mulberry32(5);
  const tensors: QTensor[] = [];
  const ops: QOp[] = [];
  const t = (shape: number[], data?: Float32Array | Int32Array): number =>
    tensors.push({
      name: `t${tensors.length}`,
      shape,
      dtype: data instanceof Int32Array ? 'int32' : 'float32',
      scale: [],
      zeroPoint: [],
      data,
    }) - 1;
  const w = (shape: number[], s: number): number =>
    t(
      shape,
      Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => s * normal(r)),
    );
  const conv = { padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'RELU6' } as const;
  const x = t([1, 12, 10, 3]);
  const c1 = t([1, 6, 5, 4]);
  ops.push({ op: 'CONV_2D', inputs: [x, w([4, 3, 3, 3], 0.3), w([4], 0.1)], outputs: [c1], options: conv });
  const d1 = t([1, 4, 3, 8]);
  const dw = { ...conv, padding: 'VALID', strideH: 1, strideW: 1, activation: 'RELU', depthMultiplier: 2 } as const;
  ops.push({ op: 'DEPTHWISE_CONV_2D', inputs: [c1, w([1, 3, 3, 8], 0.4), w([8], 0.1)], outputs: [d1], options: dw });
  const p1 = t([1, 4, 3, 8]);
  ops.push({
    op: 'CONV_2D',
    inputs: [d1, w([8, 1, 1, 8], 0.3), w([8], 0.1)],
    outputs: [p1],
    options: { ...conv, strideH: 1, strideW: 1, activation: 'NONE' },
  });
  const a1 = t([1, 4, 3, 8]);
  ops.push({ op: 'ADD', inputs: [d1, p1], outputs: [a1], options: { activation: 'RELU' } });
  const m1 = t([1, 2, 1, 8]);
  ops.push({
    op: 'MAX_POOL_2D',
    inputs: [a1],
    outputs: [m1],
    options: { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'NONE' },
  });
  let last = m1;
  if (extra) {
    const e = extra(t, last, w);
    ops.push(...e.ops);
    last = e.out;
  }
  const channels = tensors[last]!.shape[3]!;
  const g = t([1, channels]);
  ops.push({ op: 'MEAN', inputs: [last, t([2], Int32Array.of(1, 2))], outputs: [g], options: { keepDims: false } });
  const logits = t([1, 5]);
  ops.push({
    op: 'FULLY_CONNECTED',
    inputs: [g, w([5, channels], 0.5), w([5], 0.1)],
    outputs: [logits],
    options: { activation: 'NONE', keepNumDims: false },
  });
  const probs = t([1, 5]);
  ops.push({ op: 'SOFTMAX', inputs: [logits], outputs: [probs], options: { beta: 1 } });
  return { tensors, ops, inputs: [x], outputs: [probs], metadata: {} };
}

test('a float .tflite of convs, depthwise, ADD, pooling, MEAN, dense and SOFTMAX imports with TFLite 2.9 outputs', async (t) => {
  const file = join(root, 'float.tflite');
  writeFileSync(file, writeTflite(floatModel(), { minRuntimeVersion: false }));
  const im = await convertModel(file);
  try {
    assert.deepEqual(im.model.spec.inputShape, [12, 10, 3]);
    assert.equal(im.model.spec.numClasses, 5);
    assert.equal(im.fused.softmax, true);
    assert.deepEqual(
      im.model.spec.nodes.map((n) => n.kind),
      ['conv', 'depthwise', 'conv', 'add', 'maxpool', 'avgpool', 'flatten', 'dense'],
    );
    const diff = await maxAbsDiff(im, 16, 3);
    t.diagnostic(`max |TFLite - imported| of the logits over 16 inputs: ${diff.toExponential(2)}`);
    assert.ok(diff < 5e-6, `max |TFLite - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
});

test('a float PAD (ZeroPadding2D as the converter writes it) imports as a pad block, matching TFLite 2.9', async () => {
  // PAD of height by [1, 2] and width by [0, 1] after the max pool: [1, 2, 1, 8] -> [1, 5, 2, 8].
  const padded = floatModel((t, last) => {
    const out = t([1, 5, 2, 8]);
    return { ops: [{ op: 'PAD', inputs: [last, t([4, 2], Int32Array.of(0, 0, 1, 2, 0, 1, 0, 0))], outputs: [out], options: {} }], out };
  });
  const file = join(root, 'pad.tflite');
  writeFileSync(file, writeTflite(padded, { minRuntimeVersion: false }));
  const im = await convertModel(file);
  try {
    const pad = im.model.spec.nodes.find((n) => n.kind === 'pad');
    assert.deepEqual(pad?.kind === 'pad' && pad.pads, [1, 0, 2, 1]);
    const diff = await maxAbsDiff(im, 16, 4);
    assert.ok(diff < 5e-6, `max |TFLite - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
});

test('a CONCATENATION of channels (a 1x1 conv branch beside the map it reads) imports as a concat block, matching TFLite 2.9', async () => {
  const joined = floatModel((t, last, w) => {
    const c = t([1, 2, 1, 3]);
    const out = t([1, 2, 1, 11]);
    const conv = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU' } as const;
    return {
      ops: [
        { op: 'CONV_2D', inputs: [last, w([3, 1, 1, 8], 0.4), w([3], 0.1)], outputs: [c], options: conv },
        { op: 'CONCATENATION', inputs: [c, last], outputs: [out], options: { axis: -1, activation: 'NONE' } },
      ],
      out,
    };
  });
  const file = join(root, 'concat.tflite');
  writeFileSync(file, writeTflite(joined, { minRuntimeVersion: false }));
  const im = await convertModel(file);
  try {
    const join_ = im.model.spec.nodes.find((n) => n.kind === 'concat');
    assert.deepEqual(join_?.kind === 'concat' && join_.inputs, ['conv_2d_5', 'max_pool_2d_4']);
    const diff = await maxAbsDiff(im, 16, 4);
    assert.ok(diff < 5e-6, `max |TFLite - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
  // Along another axis it is refused, naming the op.
  const across = floatModel((t, last) => {
    const out = t([1, 4, 1, 8]);
    return { ops: [{ op: 'CONCATENATION', inputs: [last, last], outputs: [out], options: { axis: 1, activation: 'NONE' } }], out };
  });
  const bad = join(root, 'concat-h.tflite');
  writeFileSync(bad, writeTflite(across, { minRuntimeVersion: false }));
  assertUserError(
    await cli(['import', bad, '--out', join(root, 'concat-h')]),
    1,
    /ops\[5\] CONCATENATION.*along the last \(channel\) axis only, got axis 1/,
    'import',
    assert,
  );
});

test('HARD_SWISH, a squeeze-and-excitation gate (MEAN, RESHAPE to a 1x1 map, CONV_2D, LOGISTIC, MUL) and MUL by a constant import, matching TFLite 2.9', async () => {
  const gated = floatModel((t, last, w) => {
    const conv = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } as const;
    const [hs, m, r, g, s, y, z] = [
      [1, 2, 1, 8],
      [1, 8],
      [1, 1, 1, 8],
      [1, 1, 1, 8],
      [1, 1, 1, 8],
      [1, 2, 1, 8],
      [1, 2, 1, 8],
    ].map((sh) => t(sh));
    const ops: QOp[] = [
      { op: 'HARD_SWISH', inputs: [last], outputs: [hs!], options: {} },
      { op: 'MEAN', inputs: [hs!, t([2], Int32Array.of(1, 2))], outputs: [m!], options: { keepDims: false } },
      { op: 'RESHAPE', inputs: [m!], outputs: [r!], options: { newShape: [1, 1, 1, 8] } },
      { op: 'CONV_2D', inputs: [r!, w([8, 1, 1, 8], 0.5), w([8], 0.2)], outputs: [g!], options: conv },
      { op: 'LOGISTIC', inputs: [g!], outputs: [s!], options: {} },
      { op: 'MUL', inputs: [hs!, s!], outputs: [y!], options: { activation: 'NONE' } },
      { op: 'MUL', inputs: [y!, w([8], 0.7)], outputs: [z!], options: { activation: 'NONE' } },
    ];
    return { ops, out: z! };
  });
  const file = join(root, 'gated.tflite');
  writeFileSync(file, writeTflite(gated, { minRuntimeVersion: false }));
  const im = await convertModel(file);
  try {
    assert.deepEqual(
      im.model.spec.nodes.map((n) => (n.kind === 'activation' ? n.fn : n.kind)),
      [
        'conv',
        'depthwise',
        'conv',
        'add',
        'maxpool',
        'hard_swish',
        'avgpool',
        'flatten',
        'expand',
        'conv',
        'sigmoid',
        'mul',
        'depthwise',
        'avgpool',
        'flatten',
        'dense',
      ],
    );
    const diff = await maxAbsDiff(im, 16, 6);
    assert.ok(diff < 5e-6, `max |TFLite - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
});

test('SQUEEZE and EXPAND_DIMS one dimension at a time (a gate from MEAN with keep_dims, as converters write it) import, matching TFLite 2.9', async () => {
  const gated = floatModel((t, last, w) => {
    const conv = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } as const;
    const [m, q, e1, e2, g, s, y] = [
      [1, 1, 1, 8],
      [1, 8],
      [1, 1, 8],
      [1, 1, 1, 8],
      [1, 1, 1, 8],
      [1, 1, 1, 8],
      [1, 2, 1, 8],
    ].map((sh) => t(sh));
    const ops: QOp[] = [
      { op: 'MEAN', inputs: [last, t([2], Int32Array.of(1, 2))], outputs: [m!], options: { keepDims: true } },
      { op: 'SQUEEZE', inputs: [m!], outputs: [q!], options: { squeezeDims: [1, 2] } },
      { op: 'EXPAND_DIMS', inputs: [q!, t([1], Int32Array.of(1))], outputs: [e1!], options: {} },
      { op: 'EXPAND_DIMS', inputs: [e1!, t([1], Int32Array.of(-2))], outputs: [e2!], options: {} },
      { op: 'CONV_2D', inputs: [e2!, w([8, 1, 1, 8], 0.5), w([8], 0.2)], outputs: [g!], options: conv },
      { op: 'LOGISTIC', inputs: [g!], outputs: [s!], options: {} },
      { op: 'MUL', inputs: [last, s!], outputs: [y!], options: { activation: 'NONE' } },
    ];
    return { ops, out: y! };
  });
  const file = join(root, 'squeezed.tflite');
  writeFileSync(file, writeTflite(gated, { minRuntimeVersion: false }));
  const im = await convertModel(file);
  try {
    const kinds = im.model.spec.nodes.map((n) => (n.kind === 'activation' ? n.fn : n.kind));
    assert.deepEqual(kinds.slice(5, 10), ['avgpool', 'flatten', 'expand', 'conv', 'sigmoid']);
    const diff = await maxAbsDiff(im, 16, 6);
    assert.ok(diff < 5e-6, `max |TFLite - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
  const bad = floatModel((t, last) => {
    const [s, e] = [t([1, 2, 8]), t([1, 2, 1, 8])];
    const ops: QOp[] = [
      { op: 'SQUEEZE', inputs: [last], outputs: [s], options: { squeezeDims: [2] } },
      { op: 'EXPAND_DIMS', inputs: [s, t([1], Int32Array.of(2))], outputs: [e], options: {} },
    ];
    return { ops, out: e };
  });
  writeFileSync(join(root, 'bad-squeeze.tflite'), writeTflite(bad, { minRuntimeVersion: false }));
  await assert.rejects(
    convertModel(join(root, 'bad-squeeze.tflite')),
    /ops\[5\] SQUEEZE: pqk imports SQUEEZE of a map to \[1, N\] \(a flatten\), of \[1, C\] to \[1, 1, 1, C\] and steps between them only, got \[1,2,1,8\] to \[1,2,8\]/,
  );
});

test('a CONCATENATION joining a LOGISTIC output imports with a requantize node before the join and keeps the outputs', async () => {
  const joined = floatModel((t, last) => {
    const [s, c] = [t([1, 2, 1, 8]), t([1, 2, 1, 16])];
    const ops: QOp[] = [
      { op: 'LOGISTIC', inputs: [last], outputs: [s], options: {} },
      { op: 'CONCATENATION', inputs: [last, s], outputs: [c], options: { axis: 3, activation: 'NONE' } },
    ];
    return { ops, out: c };
  });
  writeFileSync(join(root, 'joined.tflite'), writeTflite(joined, { minRuntimeVersion: false }));
  const im = await convertModel(join(root, 'joined.tflite'));
  try {
    const nodes = im.model.spec.nodes;
    const sig = nodes.find((n) => n.kind === 'activation' && n.fn === 'sigmoid')!;
    const rq = nodes.find((n) => n.kind === 'requantize')!;
    const cat = nodes.find((n) => n.kind === 'concat')!;
    assert.ok(rq.kind === 'requantize' && rq.input === sig.name);
    assert.ok(cat.kind === 'concat' && cat.inputs[1] === rq.name && cat.inputs[0] !== sig.name);
    const diff = await maxAbsDiff(im, 16, 6);
    assert.ok(diff < 5e-6, `max |TFLite - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
});

test("the MLPerf Tiny float DS-CNN (the converter's file, int8 weights in its convolutions) imports and writes a float stage", async () => {
  const out = join(root, 'mlperf');
  const r = await cli(['import', MLPERF_FLOAT, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.format, 'tflite');
  assert.equal(j.layers, 12);
  // conv 10x4x1x64 + 64, four depthwise 3x3x64 + 64, four pointwise 64x64 + 64, dense 64x12 + 12
  assert.equal(j.params, 2624 + 4 * 640 + 4 * 4160 + 780);
  assert.equal(j.softmax, true);
  assert.equal(j.logits, true, 'compared before the softmax');
  // Logits against TFLite's, which runs the int8-weight convolutions as hybrid kernels that quantize their inputs on
  // the fly: close, not float exact.
  assert.ok(j.maxAbsDiff > 1e-3 && j.maxAbsDiff < 0.1, `${j.maxAbsDiff}`);
  // Channel pruning can act on it: the groups derived from its layers are the zoo DS-CNN's (stem and four pointwise
  // convs, each through the next depthwise into the next conv or the dense layer).
  const im = await convertModel(MLPERF_FLOAT);
  try {
    const groups = im.model.spec.channelGroups;
    assert.deepEqual(
      groups.map((g) => [g.size, g.producers.length, g.passthrough.length, g.consumers.map((c) => c.axis)]),
      [...Array(4).fill([64, 1, 1, [2]]), [64, 1, 0, [0]]],
    );
  } finally {
    im.original.dispose();
  }
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.equal(run.model, 'imported');
  assert.deepEqual(run.inputShape, [49, 10, 1]);
  assert.equal(run.numClasses, 12);
});

test('an integer .tflite, an op pqk does not import and a dilated convolution are refused naming them', async () => {
  assertUserError(
    await cli(['import', MLPERF_INT8, '--out', join(root, 'int8')]),
    1,
    /kws_ref_model\.tflite: an int8 model \(input 'input_1' is int8\); pqk import takes float models\. An integer model runs as it is: pqk check/,
    'int8',
    assert,
  );
  const quantized = floatModel((t, last) => {
    const out = t([1, 2, 1, 8]);
    return { ops: [{ op: 'QUANTIZE', inputs: [last], outputs: [out], options: {} }], out };
  });
  const file = join(root, 'quantize.tflite');
  writeFileSync(file, writeTflite(quantized, { minRuntimeVersion: false }));
  assertUserError(
    await cli(['import', file, '--out', join(root, 'quantize')]),
    1,
    /quantize\.tflite: 1 op pqk import does not support: QUANTIZE \(ops\[5\]\); it supports: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED/,
    'quantize',
    assert,
  );
  // The list the error names is the ops whose descriptor lowers them: every op of the table but QUANTIZE, which a
  // float model does not hold.
  assert.deepEqual(
    [...SUPPORTED_TFLITE_OPS].sort(),
    OP_LIST.map((d) => d.name)
      .filter((n) => n !== 'QUANTIZE')
      .sort(),
  );
  const dilated = floatModel();
  const c = dilated.ops[0] as QOp & { op: 'CONV_2D' };
  dilated.ops[0] = { ...c, options: { ...c.options, dilationH: 2 } };
  const dfile = join(root, 'dilated.tflite');
  writeFileSync(dfile, writeTflite(dilated, { minRuntimeVersion: false }));
  await assert.rejects(importModel(dfile, join(root, 'dil')), /dilated\.tflite: ops\[0\] CONV_2D: dilated convolutions are not imported/);
});
