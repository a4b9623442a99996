import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerFigures, modelFigures, verificationFromRun } from '../../src/report/metrics.js';
import { deviceRun, referenceOutputs, tinyModel } from './fixture.js';

test('modelFigures counts MACs, params, payload and sparsity from the integer model', () => {
  const m = modelFigures(tinyModel(), { name: 'tiny', file: 'model.tflite', fileBytes: 2000 });
  // conv 8*8*4 outputs x 3*3*1, depthwise 8*8*4 x 3*3, FC 3 x 256
  assert.equal(m.macs, 2304 + 2304 + 768);
  assert.equal(m.params, 36 + 4 + 36 + 4 + 768 + 3);
  // int8 weights 1 B each, int32 biases 4 B each
  assert.equal(m.payloadBytes, 36 + 16 + 36 + 16 + 768 + 12);
  assert.deepEqual(
    m.sparsityPerLayer.map((l) => [l.layer, l.op, l.zeros, l.sparsity]),
    [
      ['conv/w', 'CONV_2D', 18, 0.5],
      ['dw/w', 'DEPTHWISE_CONV_2D', 0, 0],
      ['fc/w', 'FULLY_CONNECTED', 192, 0.25],
    ],
  );
  assert.equal(m.sparsity, 210 / 840);
});

test('int4 weights count half a byte each in the payload', () => {
  const model = tinyModel();
  model.tensors[7] = { ...model.tensors[7]!, dtype: 'int4' };
  assert.equal(modelFigures(model, { name: 't', file: 'm', fileBytes: 1 }).payloadBytes, 36 + 16 + 36 + 16 + 384 + 12);
});

test('verificationFromRun judges accuracy against labels and exactness against the reference', () => {
  const { labels, reference } = referenceOutputs();
  const run = deviceRun('qemu:cortex-m4', [10, 30, 20], 1234);
  run.outputs[4]![0] = run.outputs[4]![0]! + 3; // class 0 logit of a class-1 sample: still not the argmax
  run.outputs[5]![2] = 127; // sample 5 (class 2) keeps its argmax but differs by 27
  const v = verificationFromRun(run, labels, reference);
  assert.equal(v.accuracy, 0.9); // sample 9 is labelled 2 but the reference says 0
  assert.equal(v.mismatches, 2);
  assert.equal(v.maxDiff, 27);
  assert.deepEqual(v.instructionsPerInference, { min: 10, mean: 20, max: 30 });
  assert.equal(v.arenaBytes, 1234);
  assert.equal(v.instructionsPerOp!.length, 3);
  // Rows true, columns predicted: sample 9 (class 2) predicted 0; the rest on the diagonal.
  assert.deepEqual(v.confusion, [
    [3, 0, 0],
    [0, 3, 0],
    [1, 0, 3],
  ]);
  assert.equal('confusion' in verificationFromRun(run, null, reference), false, 'no labels, no confusion matrix');
  assert.throws(() => verificationFromRun({ runtime: 'tflite', outputs: [] }, labels, reference), /tflite: 0 outputs for 10 labels/);
});

test('layerFigures: per op its output, MACs, constants and output channels against the model before pruning', () => {
  const layers = modelFigures(tinyModel(), { name: 't', file: 'm', fileBytes: 1, channelsBefore: { 'conv/w': 8 } }).layers!;
  assert.deepEqual(
    layers.map((l) => [l.node, l.op, l.output.join('x'), l.macs, l.params, l.bytes, l.channels]),
    [
      [0, 'CONV_2D', '1x8x8x4', 2304, 40, 52, { kept: 4, of: 8 }],
      [1, 'DEPTHWISE_CONV_2D', '1x8x8x4', 2304, 40, 52, { kept: 4 }],
      [2, 'FULLY_CONNECTED', '1x3', 768, 771, 780, { kept: 3 }],
    ],
  );
  // A PAD's paddings are stored (bytes) but not trained (params).
  const q = (name: string, shape: number[]) => ({ name, shape, dtype: 'int8' as const, scale: [0.1], zeroPoint: [0] });
  const padded = {
    tensors: [
      q('x', [1, 2, 2, 1]),
      { name: 'p', shape: [4, 2], dtype: 'int32' as const, scale: [], zeroPoint: [], data: Int32Array.of(0, 0, 1, 1, 1, 1, 0, 0) },
      q('y', [1, 4, 4, 1]),
    ],
    ops: [{ op: 'PAD' as const, inputs: [0, 1], outputs: [2], options: {} }],
    inputs: [0],
    outputs: [2],
    metadata: {},
  };
  assert.deepEqual(
    layerFigures(padded).map((l) => [l.op, l.params, l.bytes]),
    [['PAD', 0, 32]],
  );
});
