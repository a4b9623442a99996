// pqk import of ONNX files as PyTorch's exporter writes them (test/fixtures/onnx, made by make_fixtures.py): lowered
// from NCHW to pqk's NHWC layer blocks and compared with what ONNX Runtime computes from the same file; ops and
// paddings pqk cannot express are refused naming them, all unsupported ops at once.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { useCpuBackend } from '../../src/backend/select.js';
import { convertModel, maxAbsDiff } from '../../src/import/index.js';
import { assertUserError, cli } from '../cli/harness.js';

const { onnx } = onnxProto;
const SMALL = 'test/fixtures/onnx/small-cnn.onnx';
const RESNET = 'test/fixtures/onnx/resnet8.onnx';
const BRANCHY = 'test/fixtures/onnx/branchy.onnx';
const GATED = 'test/fixtures/onnx/gated.onnx';
const root = mkdtempSync(join(tmpdir(), 'pqk-import-onnx-'));
before(async () => {
  await useCpuBackend();
});
after(() => rmSync(root, { recursive: true, force: true }));

test('a PyTorch CNN (opset 11: batch norm nodes, ReLU6 as Clip, depthwise, x.view shape arithmetic) imports with ONNX Runtime outputs', async (t) => {
  const im = await convertModel(SMALL);
  try {
    assert.deepEqual(im.model.spec.inputShape, [28, 28, 1]);
    assert.equal(im.model.spec.numClasses, 10);
    assert.equal(im.fused.softmax, true);
    assert.deepEqual(
      im.model.spec.nodes.map((n) => n.kind),
      ['conv', 'maxpool', 'conv', 'depthwise', 'conv', 'avgpool', 'flatten', 'dense'],
    );
    const blocks = im.model.spec.nodes.filter((n) => n.kind === 'conv' || n.kind === 'depthwise');
    assert.deepEqual(
      blocks.map((n) => [n.name, n.bn, n.activation, n.padding]),
      [
        ['c1/c1.0/Conv', true, 'relu', 'same'],
        ['c2/c2.0/Conv', true, 'relu6', 'same'],
        ['dw/dw.0/Conv', true, 'relu', 'same'],
        ['pw/Conv', false, 'none', 'valid'],
      ],
    );
    // The dense layer reads a flattened 7x7x16 map: its rows reordered from PyTorch's (c, h, w) to pqk's (h, w, c).
    // Wrong order or a misread batch norm would show here as differences of order 1.
    const diff = await maxAbsDiff(im, 16, 3);
    t.diagnostic(`max |ONNX Runtime - imported| of the logits over 16 inputs: ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-5, `max |ONNX Runtime - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
});

test('--data compares the import on the first test samples too (MNIST digits into the 28x28 CNN)', async () => {
  const r = await cli(['import', SMALL, '--out', join(root, 'small'), '--data', 'mnist', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.dataSamples, 32);
  assert.ok(j.maxAbsDiffData > 0 && j.maxAbsDiffData < 1e-5, `${j.maxAbsDiffData}`);
  const run = JSON.parse(readFileSync(join(root, 'small', 'run.json'), 'utf8'));
  assert.deepEqual([run.data, run.imported.dataSamples, run.imported.maxAbsDiffData], ['mnist', 32, j.maxAbsDiffData]);
  // The run folder is one the later stages accept (run.json's schema): a size check for a 1 KB part refuses it
  // before any training, naming the part, not the file.
  const t = JSON.parse(readFileSync('targets/cortex-m4.json', 'utf8'));
  delete t.$schema;
  Object.assign(t, { name: 'one-kb' });
  t.memory.flashBytes = 1024;
  t.budgets.modelFlashBytes = 1024;
  const target = join(root, 'one-kb.json');
  writeFileSync(target, JSON.stringify(t));
  assertUserError(
    await cli(['compress', '--run', join(root, 'small'), '--target', target, '--phase', '1']),
    3,
    /cannot fit one-kb/,
    'compress',
    assert,
  );
});

test('the MLPerf Tiny ResNet-8 from PyTorch (opset 17, BN folded, symmetric padding on stride-2 convs) imports with PAD blocks', async () => {
  const out = join(root, 'resnet8');
  const r = await cli(['import', RESNET, '--out', out, '--json', '--data', join(root, 'no-such-data')]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual([j.format, j.softmax, j.logits], ['onnx', false, false]);
  // Data that cannot be loaded is recorded, not compared on (compress checks it before training).
  assert.deepEqual([j.maxAbsDiffData, j.dataSamples], [null, 0]);
  assert.match(r.stdout + r.stderr, /--data \S+no-such-data: not loaded .*; compared on random inputs only/);
  // stem 3x3x3x16, stacks 16-16, 16-32 (1x1 shortcut), 32-64 (1x1 shortcut), dense 64x10; every conv with its bias
  assert.equal(j.params, 448 + 2 * 2320 + 4640 + 9248 + 544 + 18496 + 36928 + 2112 + 650);
  assert.ok(j.maxAbsDiff < 1e-5, `${j.maxAbsDiff}`);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.deepEqual([run.model, run.format, run.numClasses], ['imported', 'onnx', 10]);
  assert.deepEqual(run.inputShape, [32, 32, 3]);
  // PyTorch pads a stride-2 3x3 conv by 1 on every side; TFLite's SAME would pad [0, 1]: a pad block, then VALID.
  const im = await convertModel(RESNET);
  try {
    const nodes = im.model.spec.nodes;
    const pads = nodes.filter((n) => n.kind === 'pad');
    assert.deepEqual(
      pads.map((p) => [p.name, p.pads]),
      [
        ['s2/a/a.0/Conv/pad', [1, 1, 1, 1]],
        ['s3/a/a.0/Conv/pad', [1, 1, 1, 1]],
      ],
    );
    for (const p of pads) {
      const reader = nodes.find((n) => n.kind === 'conv' && n.input === p.name);
      assert.deepEqual(reader?.kind === 'conv' && [reader.stride, reader.padding], [[2, 2], 'valid']);
    }
    assert.equal(nodes.filter((n) => n.kind === 'add').length, 3);
  } finally {
    im.original.dispose();
  }
});

test('Inception-style branches from PyTorch (torch.cat along the channels, twice) import as concat blocks with ONNX Runtime outputs', async () => {
  const im = await convertModel(BRANCHY);
  try {
    const nodes = im.model.spec.nodes;
    assert.deepEqual(
      nodes.map((n) => (n.kind === 'concat' ? `concat ${n.inputs.map((i) => i.split('/')[0]).join('+')}` : n.kind)),
      ['conv', 'conv', 'conv', 'maxpool', 'concat b1+b2+b3', 'pad', 'conv', 'conv', 'conv', 'concat c1+c2', 'avgpool', 'flatten', 'dense'],
    );
    // The stride-2 conv over the first join keeps its pad block; only its channels (read by c1 and c2) may be pruned.
    assert.deepEqual(
      im.model.spec.channelGroups.map((g) => [g.producers[0]!.weight, g.consumers.map((c) => c.weight)]),
      [['down/down.0/Conv', ['c1/c1.0/Conv', 'c2/c2.0/Conv']]],
    );
    const diff = await maxAbsDiff(im, 8, 4);
    assert.ok(diff < 1e-5, `max |ONNX Runtime - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
});

test('MobileNetV3 / EfficientNet blocks from PyTorch (HardSwish, a squeeze-and-excitation gate with HardSigmoid, SiLU) import with ONNX Runtime outputs', async () => {
  const im = await convertModel(GATED);
  try {
    const nodes = im.model.spec.nodes;
    assert.deepEqual(
      nodes.map((n) =>
        n.kind === 'activation'
          ? n.fn
          : n.kind === 'mul'
            ? `mul ${n.inputs.map((i) => i.split('/').slice(0, 2).join('/')).join(' x ')}`
            : n.kind,
      ),
      [
        'pad',
        'conv',
        'hard_swish',
        'depthwise',
        'avgpool',
        'conv',
        'conv',
        'depthwise',
        'mul dw/dw.0 x se/HardSigmoid',
        'conv',
        'depthwise',
        'sigmoid',
        'mul dw2/dw2.0 x dw2/dw2.2',
        'avgpool',
        'flatten',
        'dense',
      ],
    );
    // HardSigmoid = relu6(6 alpha x + 6 beta) / 6: the second gate conv absorbs the scale, bias and ReLU6, a 1x1
    // depthwise block the 1/6.
    const fc2 = nodes.find((n) => n.name === 'se/fc2/Conv');
    assert.ok(fc2?.kind === 'conv' && fc2.activation === 'relu6');
    const diff = await maxAbsDiff(im, 8, 5);
    assert.ok(diff < 1e-5, `max |ONNX Runtime - imported| of the logits ${diff}`);
  } finally {
    im.original.dispose();
  }
});

// A one-input ONNX graph of `nodes` (input 'x' [1, 4, 6, 6]) with `inits` as initializers.
function model(nodes: onnxProto.onnx.INodeProto[], inits: onnxProto.onnx.ITensorProto[] = [], out = 'y'): string {
  const dim = (v: number) => ({ dimValue: v });
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: nodes,
      initializer: inits,
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [dim(1), dim(4), dim(6), dim(6)] } } } }],
      output: [{ name: out }],
    },
  });
  const file = join(root, `m${Math.random().toString(36).slice(2)}.onnx`);
  writeFileSync(file, onnx.ModelProto.encode(m).finish());
  return file;
}

const floats = (name: string, dims: number[]): onnxProto.onnx.ITensorProto => ({
  name,
  dims,
  dataType: 1,
  floatData: Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => ((i % 7) - 3) / 10),
});

test('unsupported ops are listed at once with counts; paddings, groups and files pqk cannot take are named', async () => {
  const ops = model([
    { opType: 'Tanh', input: ['x'], output: ['a'] },
    { opType: 'Erf', input: ['a'], output: ['b'] },
    { opType: 'Tanh', input: ['b'], output: ['y'] },
  ]);
  assertUserError(
    await cli(['import', ops, '--out', join(root, 'ops')]),
    1,
    /2 op types pqk import does not support: Tanh x2 \(first at node 'a'\), Erf x1 \(first at node 'b'\); pqk import supports: Conv, BatchNormalization/,
    'import',
    assert,
  );
  // A max pool's own padding is skipped by the window (-inf), so only SAME's can be expressed.
  const pool = model([
    {
      opType: 'MaxPool',
      input: ['x'],
      output: ['y'],
      attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [2, 2])],
    },
  ]);
  assertUserError(
    await cli(['import', pool, '--out', join(root, 'pool')]),
    1,
    /unsupported MaxPool padding \[top 1, left 1, bottom 1, right 1\] that the window skips at .*node 'y' \(MaxPool\); pqk import supports: SAME's \[top 0, left 0, bottom 1, right 1\] here/,
    'import',
    assert,
  );
  const grouped = model(
    [{ opType: 'Conv', input: ['x', 'w'], output: ['y'], attribute: [ints('kernel_shape', [1, 1]), { name: 'group', type: 2, i: 2 }] }],
    [floats('w', [4, 2, 1, 1])],
  );
  assertUserError(
    await cli(['import', grouped, '--out', join(root, 'grouped')]),
    1,
    /unsupported group 2 of 4 input channels at .*node 'y' \(Conv\); pqk import supports: group 1, group = input channels \(depthwise\)/,
    'import',
    assert,
  );
  const notOnnx = join(root, 'text.onnx');
  writeFileSync(notOnnx, 'not a protobuf at all\n');
  assertUserError(await cli(['import', notOnnx, '--out', join(root, 'text')]), 1, /text\.onnx: not an ONNX model/, 'import', assert);
});

test('a Concat of two conv branches and a max pool along the channels imports as a concat block with ONNX Runtime outputs', async () => {
  // x [1, 4, 6, 6] -> Conv 1x1 + Relu (3) | Conv 3x3 pads 1 (2, negative values kept) | MaxPool 3x3 SAME (4) -> Concat axis 1
  // (9 channels) -> GlobalAveragePool -> Flatten -> Gemm.
  const file = model(
    [
      { opType: 'Conv', input: ['x', 'wa', 'ba'], output: ['a'], attribute: [ints('kernel_shape', [1, 1])] },
      { opType: 'Relu', input: ['a'], output: ['ar'] },
      { opType: 'Conv', input: ['x', 'wb', 'bb'], output: ['b'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
      { opType: 'MaxPool', input: ['x'], output: ['m'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
      { opType: 'Concat', input: ['ar', 'b', 'm'], output: ['j'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
      { opType: 'GlobalAveragePool', input: ['j'], output: ['g'] },
      { opType: 'Flatten', input: ['g'], output: ['f'] },
      { opType: 'Gemm', input: ['f', 'fw', 'fb'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
    ],
    [floats('wa', [3, 4, 1, 1]), floats('ba', [3]), floats('wb', [2, 4, 3, 3]), floats('bb', [2]), floats('fw', [3, 9]), floats('fb', [3])],
  );
  const im = await convertModel(file);
  try {
    assert.deepEqual(
      im.model.spec.nodes.map((n) => (n.kind === 'concat' ? `concat ${n.inputs}` : n.kind)),
      ['conv', 'conv', 'maxpool', 'concat a,b,m', 'avgpool', 'flatten', 'dense'],
    );
    const diff = await maxAbsDiff(im, 8, 3);
    assert.ok(diff < 1e-5, `max |ONNX Runtime - imported| ${diff}`);
  } finally {
    im.original.dispose();
  }
  // Along height, or of a constant, it is refused naming the node.
  const across = model(
    [
      { opType: 'Relu', input: ['x'], output: ['r'] },
      { opType: 'Concat', input: ['x', 'r'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 2 }] },
    ],
    [],
  );
  assertUserError(
    await cli(['import', across, '--out', join(root, 'across')]),
    1,
    /unsupported Concat along axis 2 of \[1,4,6,6\] at .*node 'y' \(Concat\); pqk import supports: Concat along the channels \(axis 1\)/,
    'import',
    assert,
  );
  const withConst = model(
    [{ opType: 'Concat', input: ['x', 'k'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 1 }] }],
    [floats('k', [1, 2, 6, 6])],
  );
  assertUserError(
    await cli(['import', withConst, '--out', join(root, 'with-const')]),
    1,
    /node 'y' \(Concat\): input 1 is a constant; pqk imports ops on activations/,
    'import',
    assert,
  );
});

test('Unsqueeze of a channel-mean vector back to a map (one axis at a time), a Sigmoid gate and Mul import with ONNX Runtime outputs', async () => {
  // x [1, 4, 6, 6] -> Conv 1x1 + Relu -> ReduceMean over H, W (keepdims 0) -> [1, 5] -> Unsqueeze 2 -> Unsqueeze 3 ->
  // Sigmoid -> Mul with the map -> GlobalAveragePool -> Flatten -> Gemm.
  const axes = (name: string, v: number): onnxProto.onnx.ITensorProto => ({ name, dims: [1], dataType: 7, int64Data: [v] });
  const file = model(
    [
      { opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], attribute: [ints('kernel_shape', [1, 1])] },
      { opType: 'Relu', input: ['c'], output: ['r'] },
      { opType: 'ReduceMean', input: ['r'], output: ['m'], attribute: [ints('axes', [2, 3]), { name: 'keepdims', type: 2, i: 0 }] },
      { opType: 'Unsqueeze', input: ['m', 'a2'], output: ['u1'] },
      { opType: 'Unsqueeze', input: ['u1', 'a3'], output: ['u2'] },
      { opType: 'Sigmoid', input: ['u2'], output: ['s'] },
      { opType: 'Mul', input: ['r', 's'], output: ['g'] },
      { opType: 'GlobalAveragePool', input: ['g'], output: ['p'] },
      { opType: 'Flatten', input: ['p'], output: ['f'] },
      { opType: 'Gemm', input: ['f', 'fw', 'fb'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
    ],
    [floats('w', [5, 4, 1, 1]), floats('b', [5]), axes('a2', 2), axes('a3', 3), floats('fw', [3, 5]), floats('fb', [3])],
  );
  const im = await convertModel(file);
  try {
    assert.deepEqual(
      im.model.spec.nodes.map((n) => (n.kind === 'activation' ? n.fn : n.kind)),
      ['conv', 'avgpool', 'flatten', 'expand', 'sigmoid', 'mul', 'avgpool', 'flatten', 'dense'],
    );
    const diff = await maxAbsDiff(im, 8, 4);
    assert.ok(diff < 1e-5, `max |ONNX Runtime - imported| ${diff}`);
  } finally {
    im.original.dispose();
  }
});

test('a Pad node before a conv and an average pool that counts its padding keep ONNX Runtime outputs', async () => {
  // x [1, 4, 6, 6] -> Pad top/left 1 (SAME would pad bottom/right) -> Conv 3x3 stride 2 (7x7 -> 3x3) -> AveragePool 2x2 pads 1 counting them
  // (3x3 -> 2x2) -> GlobalAveragePool -> Flatten -> Gemm: pad blocks where SAME cannot say it.
  const file = model(
    [
      {
        opType: 'Constant',
        output: ['pads'],
        attribute: [{ name: 'value', type: 4, t: { dims: [8], dataType: 7, int64Data: [0, 0, 1, 1, 0, 0, 0, 0] } }],
      },
      { opType: 'Pad', input: ['x', 'pads'], output: ['xp'], attribute: [{ name: 'mode', type: 3, s: Buffer.from('constant') }] },
      { opType: 'Conv', input: ['xp', 'w', 'b'], output: ['c'], attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2])] },
      { opType: 'Relu', input: ['c'], output: ['r'] },
      {
        opType: 'AveragePool',
        input: ['r'],
        output: ['a'],
        attribute: [
          ints('kernel_shape', [2, 2]),
          ints('strides', [2, 2]),
          ints('pads', [1, 1, 1, 1]),
          { name: 'count_include_pad', type: 2, i: 1 },
        ],
      },
      { opType: 'GlobalAveragePool', input: ['a'], output: ['g'] },
      { opType: 'Flatten', input: ['g'], output: ['f'] },
      { opType: 'Gemm', input: ['f', 'fw', 'fb'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] },
    ],
    [floats('w', [5, 4, 3, 3]), floats('b', [5]), floats('fw', [3, 5]), floats('fb', [3])],
  );
  const im = await convertModel(file);
  try {
    assert.deepEqual(
      im.model.spec.nodes.map((n) => (n.kind === 'pad' ? `pad ${n.pads}` : 'padding' in n ? `${n.kind} ${n.padding}` : n.kind)),
      ['pad 1,1,0,0', 'conv valid', 'pad 1,1,1,1', 'avgpool valid', 'avgpool valid', 'flatten', 'dense'],
    );
    const diff = await maxAbsDiff(im, 8, 2);
    assert.ok(diff < 1e-5, `max |ONNX Runtime - imported| ${diff}`);
  } finally {
    im.original.dispose();
  }
});

function ints(name: string, v: number[]): onnxProto.onnx.IAttributeProto {
  return { name, type: 7, ints: v };
}
