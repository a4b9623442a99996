import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BN_EPSILON } from '../../src/models/params.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { convertModel, importModel, importedOutput, maxAbsDiff, type Imported } from '../../src/import/index.js';
import {
  branchNet,
  convNet,
  denseNet,
  gatedNet,
  swishNet,
  lstmNet,
  paddedNet,
  randomize,
  removeTempDirs,
  saveLayers,
  standaloneNet,
  tempDir,
} from './layers-fixtures.js';

after(removeTempDirs);
before(async () => {
  await tf.setBackend('cpu');
});

// A fixture model with random weights, saved and imported.
async function importRandom(make: () => tfl.LayersModel, seed: number): Promise<Imported> {
  const m = make();
  randomize(m, seed);
  return convertModel(await saveLayers(m));
}

async function assertMatchesOriginal(im: Imported, seed = 1): Promise<void> {
  const diff = await maxAbsDiff(im, 8, seed);
  assert.ok(diff < 1e-4, `maxAbsDiff ${diff}`);
}

test('conv/BN/depthwise/separable/add/pool/dense model imports with the original outputs', async () => {
  const im = await importRandom(convNet, 3);
  const kinds = im.model.spec.nodes.map((n) => `${n.kind}:${n.name}`);
  // BN and ReLU fold into the conv, the separable conv splits, GAP becomes a full-map avgpool + flatten.
  assert.deepEqual(kinds, [
    'conv:conv1',
    'depthwise:dw',
    'depthwise:sep/depthwise',
    'conv:sep',
    'add:res',
    'maxpool:mp',
    'conv:pw',
    'avgpool:ap',
    'avgpool:gap',
    'flatten:gap/flatten',
    'dense:fc1',
    'dense:fc2',
  ]);
  const conv1 = im.model.spec.nodes[0];
  assert.ok(conv1.kind === 'conv' && conv1.bn && conv1.activation === 'relu');
  assert.equal(im.fused.softmax, true);
  assert.equal(im.model.spec.numClasses, 4);
  // Keras epsilon 1e-5: the stored variance carries the difference to pqk's epsilon.
  const origVar = im.original.graph.prims.find((p) => p.name === 'bn1');
  assert.ok(origVar && origVar.op === 'bn');
  const v = await im.model.layers.get('conv1')!.bn!.variance.data();
  assert.ok(Math.abs(v[0] + BN_EPSILON - (origVar.variance[0] + 1e-5)) < 1e-6);
  await assertMatchesOriginal(im, 5);
  // Softmax hides logit errors; the outputs also have to be non-trivial for the comparison to mean something.
  const out = importedOutput(im, tf.randomNormal([4, 12, 10, 3], 0, 1, 'float32', 9));
  const spread = (await tf.sub(tf.max(out), tf.min(out)).data())[0];
  assert.ok(spread > 0.05, `outputs spread ${spread}`);
  im.original.dispose();
});

test('sequential depthwise + flatten + dense with BN folded into the dense', async () => {
  const im = await importRandom(denseNet, 4);
  assert.deepEqual(
    im.model.spec.nodes.map((n) => n.kind),
    ['depthwise', 'flatten', 'dense', 'dense'],
  );
  const d = im.model.spec.nodes[2];
  assert.ok(d.kind === 'dense' && d.activation === 'relu');
  assert.equal(im.fused.softmax, false);
  await assertMatchesOriginal(im);
  im.original.dispose();
});

test('ZeroPadding2D becomes a pad block (as TFLite PAD) and keeps the original outputs', async () => {
  const im = await importRandom(paddedNet, 6);
  assert.deepEqual(
    im.model.spec.nodes.map((n) => (n.kind === 'pad' ? `pad ${n.pads}` : n.kind)),
    ['pad 0,0,1,1', 'conv', 'pad 1,1,1,1', 'avgpool', 'flatten', 'dense'],
  );
  await assertMatchesOriginal(im);
  im.original.dispose();
});

test('Concatenate of two conv branches and a max pool becomes a concat block and keeps the original outputs', async () => {
  const im = await importRandom(branchNet, 7);
  assert.deepEqual(
    im.model.spec.nodes.map((n) => (n.kind === 'concat' ? `concat:${n.inputs}` : `${n.kind}:${n.name}`)),
    ['conv:stem', 'conv:a', 'conv:b', 'maxpool:m', 'concat:a,b,m', 'conv:c', 'avgpool:gap', 'flatten:gap/flatten', 'dense:fc'],
  );
  // No channel group may cross the join: only c's output channels (read by fc) can be pruned.
  assert.deepEqual(
    im.model.spec.channelGroups.map((g) => g.producers[0]!.weight),
    ['c'],
  );
  await assertMatchesOriginal(im, 2);
  im.original.dispose();
});

test('a squeeze-and-excitation gate (Multiply of a hard-sigmoid 1x1 map) and a sigmoid output keep the original outputs', async () => {
  const im = await importRandom(gatedNet, 9);
  assert.deepEqual(
    im.model.spec.nodes.map((n) => (n.kind === 'activation' ? n.fn : n.kind === 'mul' ? `mul ${n.inputs}` : `${n.kind}:${n.name}`)),
    [
      'conv:c',
      'avgpool:squeeze',
      'flatten:squeeze/flatten',
      'expand:unsqueeze',
      'conv:e1',
      'conv:e2',
      'depthwise:e2_1',
      'mul c,e2_1',
      'avgpool:gap',
      'flatten:gap/flatten',
      'dense:fc',
      'sigmoid',
    ],
  );
  // The hard sigmoid's scale 1.2, bias 3 and ReLU6 fold into e2; its 1/6 is a 1x1 depthwise block of its own.
  const e2 = im.model.spec.nodes.find((n) => n.name === 'e2');
  assert.ok(e2?.kind === 'conv' && e2.activation === 'relu6');
  await assertMatchesOriginal(im, 3);
  im.original.dispose();
});

test('a swish activation (x * sigmoid(x)) on a conv, a depthwise and a dense layer imports as a sigmoid and a mul, keeping the original outputs', async () => {
  const im = await importRandom(swishNet, 10);
  assert.deepEqual(
    im.model.spec.nodes.map((n) =>
      n.kind === 'mul' ? `mul:${n.name} ${n.inputs}` : `${n.kind === 'activation' ? n.fn : n.kind}:${n.name}`,
    ),
    [
      'conv:c',
      'sigmoid:c/nonlinear',
      'mul:c_1 c/nonlinear,c',
      'depthwise:d',
      'sigmoid:d/nonlinear',
      'mul:d_1 d/nonlinear,d',
      'avgpool:gap',
      'flatten:gap/flatten',
      'dense:h',
      'sigmoid:h/nonlinear',
      'mul:h_1 h/nonlinear,h',
      'dense:fc',
    ],
  );
  await assertMatchesOriginal(im, 4);
  im.original.dispose();
});

test('batch norms and activations with nothing to fuse into become identity blocks', async () => {
  const im = await importRandom(standaloneNet, 8);
  assert.deepEqual(
    im.model.spec.nodes.map((n) => `${n.kind}:${n.name}`),
    ['depthwise:rescale', 'conv:c', 'maxpool:p', 'depthwise:r', 'flatten:f', 'dense:flat_bn', 'dense:out'],
  );
  // The rescaling becomes a 1x1 depthwise of weight 1/8 and the batch norm after it folds into that block.
  const inBn = im.model.spec.nodes[0];
  assert.ok(inBn.kind === 'depthwise' && inBn.bn && inBn.kernel.join() === '1,1');
  assert.deepEqual([...(await im.model.layers.get('rescale')!.w.data())], [0.125, 0.125, 0.125]);
  await assertMatchesOriginal(im);
  im.original.dispose();
});

test('importModel writes the float checkpoint and run.json', async () => {
  const m = denseNet();
  randomize(m, 6);
  const path = await saveLayers(m);
  const out = tempDir('pqk-import-run-');
  const r = await importModel(path, out);
  assert.equal(r.format, 'layers');
  assert.ok(r.maxAbsDiff !== null && r.maxAbsDiff < 1e-4);
  assert.equal(r.params, 3 * 2 * 2 * 2 + 4 + 2 * 5 * 4 * 7 + 7 + 7 * 3 + 3); // flatten sees a 2x5x4 map
  assert.ok(existsSync(join(out, 'checkpoints', 'float.bin')));
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.deepEqual([run.model, run.format, run.inputShape, run.numClasses], ['imported', 'layers', [6, 6, 2], 3]);
  // The checkpoint reloads into a model that computes what the original computes.
  const { model, state } = await loadCheckpoint<{ done: boolean; extra: { imported: { format: string } } }>(
    join(out, 'checkpoints'),
    'float',
  );
  assert.equal(state.done, true);
  assert.equal(state.extra.imported.format, 'layers');
  const x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 2);
  const want = m.predict(x) as tf.Tensor;
  const got = (await import('../../src/models/forward.js')).forwardFloat(model, x, { training: false });
  const d = (await tf.max(tf.abs(tf.sub(want, got))).data())[0];
  assert.ok(d < 1e-4, `reloaded diff ${d}`);
});

test('an LSTM layer is an error that names it and the supported layers', async () => {
  const path = await saveLayers(lstmNet());
  await assert.rejects(convertModel(path), (e: Error) => {
    assert.match(
      e.message,
      /model\.json: 1 layer type pqk import does not support: LSTM x1 \(first at layer rnn \(LSTM\)\); pqk import supports: /,
    );
    assert.match(e.message, /supports: .*Conv2D.*SeparableConv2D/);
    return e.name === 'UserError';
  });
});

test('an unsupported activation and a layer class tfjs does not know are errors that name them', async () => {
  const tanh = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [2, 2, 1] }), tfl.layers.dense({ units: 2, activation: 'tanh', name: 'head' })],
  });
  await assert.rejects(convertModel(await saveLayers(tanh)), /unsupported activation 'tanh' at layer head \(Dense\)/);
  // A Keras layer with no tfjs counterpart (as a Python-converted model can hold).
  const path = await saveLayers(denseNet());
  const json = readFileSync(path, 'utf8').replace('"class_name":"Activation"', '"class_name":"TFOpLambda"');
  writeFileSync(path, json.replace('"class_name":"Flatten"', '"class_name":"Lambda"'));
  // All unknown classes at once, with counts (tfjs itself would stop at the first).
  await assert.rejects(
    convertModel(path),
    /model\.json: 2 layer types pqk import does not support: Lambda x1 \(first at layer \S+ \(Lambda\)\), TFOpLambda x1 \(first at layer \S+ \(TFOpLambda\)\); pqk import supports: Conv2D/,
  );
});
