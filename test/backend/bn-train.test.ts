// batchNormTraining: the native fused kernel gives what tf.moments + tf.batchNorm (+ relu) give on cpu, gradients included.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../../src/backend/bn-train.js';
import { forwardFloat } from '../../src/models/forward.js';
import { createModel, disposeModel, trainableVariables } from '../../src/models/params.js';
import { modelSpec } from '../../src/models/zoo.js';
import { crossEntropy } from '../../src/train/stage.js';
import { assertSameOnBoth, gradsOf, rand, setupBackends } from './compare.js';
import { useBackend } from './use-backend.js';

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

  it('zoo DS-CNN float steps give the same losses on native (one fused kernel) and cpu (moments + batchNorm)', () => {
    const losses = ['native', 'cpu'].map((backend) => {
      useBackend(backend);
      const before = tf.memory().numTensors;
      const model = createModel(modelSpec('ds-cnn-32', [49, 10, 1], 12), 3);
      const vars = trainableVariables(model);
      const opt: tf.Optimizer = tf.train.adam(1e-3);
      const x = tf.tidy(() => tf.mul(rand([8, 49, 10, 1], 5), 2));
      const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
      const ls = [0, 1, 2].map(() =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => crossEntropy(forwardFloat(model, x, { training: true }), y, 12), vars);
          opt.applyGradients(grads);
          return value.dataSync()[0]!;
        }),
      );
      opt.dispose();
      disposeModel(model);
      tf.dispose([x, y]);
      assert.equal(tf.memory().numTensors, before, `${backend}: the steps release every tensor they made`);
      return ls;
    });
    assert.ok(losses[0]![2]! < losses[0]![0]!, `loss decreases: ${losses[0]}`);
    losses[0]!.forEach((l, i) => assert.ok(Math.abs(l - losses[1]![i]!) < 1e-4, `step ${i}: ${l} vs ${losses[1]![i]}`));
  });
});
