// batchNormTraining: the native fused kernel gives what tf.moments + tf.batchNorm (+ relu) give on cpu, gradients included.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../../src/backend/bn-train.js';
import { createDsCnnTrainer, randomDsCnnBatch } from '../../src/backend/dscnn-step.js';
import { assertSameOnBoth, gradsOf, rand, setupBackends } from './compare.js';

describe('batchNormTraining', () => {
  before(setupBackends);

  for (const relu of [false, true]) {
    it(`matches moments + batchNorm${relu ? ' + relu' : ''}: y, mean, variance and gradients`, () => {
      const bn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, relu).y;
      const inputs = () => [tf.add(tf.mul(rand([4, 6, 5, 7], 1), 3), 0.5), tf.add(rand([7], 2), 1), rand([7], 3)];
      assertSameOnBoth('bn', gradsOf(bn, inputs), 1e-4);
      assertSameOnBoth('stats', () => {
        const r = batchNormTraining(inputs()[0]!, tf.ones([7]), tf.zeros([7]));
        return [r.mean, r.variance];
      });
    });
  }

  it('DS-CNN steps give the same losses with plain and fused batch norm on native', () => {
    tf.setBackend('native');
    const before = tf.memory().numTensors;
    const losses = (['moments', 'fused'] as const).map((mode) => {
      const trainer = createDsCnnTrainer(3, 1e-3, mode);
      const { x, labels } = randomDsCnnBatch(8, 5);
      const ls = [0, 1, 2].map(() => trainer.step(x, labels));
      trainer.dispose();
      tf.dispose([x, labels]);
      return ls;
    });
    assert.equal(tf.memory().numTensors, before, 'trainers release every tensor they made');
    assert.ok(losses[0]![2]! < losses[0]![0]!, `loss decreases: ${losses[0]}`);
    losses[0]!.forEach((l, i) => assert.ok(Math.abs(l - losses[1]![i]!) < 1e-4, `step ${i}: ${l} vs ${losses[1]![i]}`));
  });
});
