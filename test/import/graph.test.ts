import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { convertModel, importedOutput, maxAbsDiff } from '../../src/import/index.js';
import { graphA, graphB, graphBatchNorm, graphC, graphConcat, graphGate, graphPad, graphTanh } from './graph-fixtures.js';
import { removeTempDirs } from './layers-fixtures.js';

after(removeTempDirs);
before(async () => {
  await tf.setBackend('cpu');
});

test('graph with _FusedConv2D, depthwise, Relu6, AvgPool, Reshape, MatMul, Softmax imports exactly', async () => {
  const im = await convertModel(graphA(1));
  assert.equal(im.original.graph.format, 'graph');
  assert.deepEqual(
    im.model.spec.nodes.map((n) => `${n.kind}:${n.name}:${'activation' in n ? n.activation : ''}`),
    ['conv:conv:relu', 'depthwise:dw:relu6', 'avgpool:pool:', 'flatten:flat:', 'dense:fc:none'],
  );
  assert.equal(im.fused.softmax, true);
  assert.deepEqual(im.model.spec.inputShape, [10, 8, 3]);
  const diff = await maxAbsDiff(im, 8, 2);
  assert.ok(diff < 1e-4, `maxAbsDiff ${diff}`);
  im.original.dispose();
});

test('graph with fused depthwise, residual add, MaxPool, Mean, _FusedMatMul and transpose_b imports exactly', async () => {
  const im = await convertModel(graphB(2));
  assert.deepEqual(
    im.model.spec.nodes.map((n) => `${n.kind}:${n.name}`),
    ['depthwise:dw', 'add:res', 'maxpool:mp', 'conv:pw', 'avgpool:gap', 'flatten:gap/flatten', 'dense:fc1', 'dense:fc2'],
  );
  const add = im.model.spec.nodes[1];
  assert.ok(add.kind === 'add' && add.activation === 'relu' && add.inputs[0] === 'input' && add.inputs[1] === 'dw');
  assert.equal(im.fused.softmax, false);
  const diff = await maxAbsDiff(im, 8, 3);
  assert.ok(diff < 1e-4, `maxAbsDiff ${diff}`);
  im.original.dispose();
});

test('_FusedConv2D with a fused batch norm folds to the pqk BN block and matches the unfused graph', async () => {
  const fused = await convertModel(graphBatchNorm(4, true));
  const plain = await convertModel(graphBatchNorm(4, false));
  const conv = fused.model.spec.nodes[0];
  assert.ok(conv.kind === 'conv' && conv.bn && conv.activation === 'relu');
  // tfjs cannot execute the fused form; compare it with tfjs running the unfused form of the same weights.
  await assert.rejects(maxAbsDiff(fused), /FusedBatchNorm/);
  const x = tf.randomNormal([6, 6, 6, 2], 0, 1, 'float32', 7);
  const want = await plain.original.predict(x);
  const got = importedOutput(fused, x);
  const d = (await tf.max(tf.abs(tf.sub(want, got))).data())[0];
  assert.ok(d < 1e-4, `fused BN diff ${d}`);
  const spread = (await tf.sub(tf.max(want), tf.min(want)).data())[0];
  assert.ok(spread > 0.1, `outputs spread ${spread}`);
  assert.ok((await maxAbsDiff(plain)) < 1e-4);
  fused.original.dispose();
  plain.original.dispose();
});

test('graph with a Pad before a VALID conv and a Squeeze after global pooling imports with the original outputs', async () => {
  const im = await convertModel(graphPad(8));
  assert.deepEqual(
    im.model.spec.nodes.map((n) => (n.kind === 'pad' ? `pad:${n.pads}` : n.kind)),
    ['pad:0,1,1,2', 'conv', 'avgpool', 'flatten', 'dense'],
  );
  const diff = await maxAbsDiff(im, 8, 5);
  assert.ok(diff < 1e-4, `maxAbsDiff ${diff}`);
  im.original.dispose();
});

test('graph with a ConcatV2 of two conv branches and the input imports as a concat block with the original outputs', async () => {
  const im = await convertModel(graphConcat(9));
  assert.deepEqual(
    im.model.spec.nodes.map((n) => (n.kind === 'concat' ? `concat:${n.inputs}` : n.kind)),
    ['conv', 'conv', 'concat:a,b,input', 'conv', 'avgpool', 'flatten', 'dense'],
  );
  const diff = await maxAbsDiff(im, 8, 6);
  assert.ok(diff < 1e-4, `maxAbsDiff ${diff}`);
  im.original.dispose();
});

test('graph with a squeeze-and-excitation gate (Sigmoid, Mul of two tensors) imports with the original outputs', async () => {
  const im = await convertModel(graphGate(10));
  assert.deepEqual(
    im.model.spec.nodes.map((n) => (n.kind === 'activation' ? n.fn : n.kind === 'mul' ? `mul:${n.inputs}` : n.kind)),
    ['conv', 'avgpool', 'flatten', 'expand', 'conv', 'sigmoid', 'mul:c,gate', 'avgpool', 'flatten', 'dense'],
  );
  const diff = await maxAbsDiff(im, 8, 7);
  assert.ok(diff < 1e-4, `maxAbsDiff ${diff}`);
  im.original.dispose();
});

test('graph with Sub/Mul normalization, Mul + AddV2 batch norm, Mean keeping dims and an Identity output', async () => {
  const im = await convertModel(graphC(6));
  assert.deepEqual(
    im.model.spec.nodes.map((n) => `${n.kind}:${n.name}:${'activation' in n ? n.activation : ''}`),
    ['depthwise:norm/sub:none', 'conv:conv:relu6', 'avgpool:gap:', 'flatten:flat:'],
  );
  assert.equal(im.fused.softmax, true);
  const diff = await maxAbsDiff(im, 8, 4);
  assert.ok(diff < 1e-4, `maxAbsDiff ${diff}`);
  im.original.dispose();
});

test('a Tanh node is an error that names the op, the node and the supported ops', async () => {
  await assert.rejects(convertModel(graphTanh(5)), (e: Error) => {
    assert.match(
      e.message,
      /model\.json: 1 op type pqk import does not support: Tanh x1 \(first at node act\/Tanh \(Tanh\)\); pqk import supports: /,
    );
    assert.match(e.message, /supports: .*_FusedConv2D.*DepthwiseConv2dNative.*MatMul/);
    return e.name === 'UserError';
  });
});
