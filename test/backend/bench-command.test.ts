// pqk bench train --json times the steps pqk trains with (float, phase-1 QAT, phase-2 mutual) on the zoo's model or
// on a run's float checkpoint.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { benchTrainCommand } from '../../src/cli/commands/bench.js';
import { UserError, type CommandContext } from '../../src/cli/command.js';
import { timeTrainingSteps } from '../../src/pipeline/step-timing.js';
import { forwardFloat } from '../../src/models/forward.js';
import { createModel, disposeModel, type Model } from '../../src/models/params.js';
import { modelSpec } from '../../src/models/zoo.js';
import { checkpointsDir } from '../../src/pipeline/config.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { crossEntropy } from '../../src/train/stage.js';
import { useBackend } from './use-backend.js';

function ctx(values: CommandContext['values']): CommandContext {
  return { values, positionals: [], json: true, log: () => {} };
}

// The loss of a model's first float step on the batch the timing draws for this seed.
function firstLoss(model: Model, batch: number, seed: number): number {
  const classes = model.spec.numClasses;
  return tf.tidy(() => {
    const x = tf.randomNormal([batch, ...model.spec.inputShape], 0, 1, 'float32', seed + 6);
    const y = tf.randomUniform([batch], 0, classes, 'int32', seed + 7);
    return crossEntropy(forwardFloat(model, x, { training: true }), y, classes).dataSync()[0]!;
  });
}

describe('bench train command', () => {
  it('times the float, QAT and phase-2 steps on the native backend and prints the JSON summary', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    // the test runner itself writes binary frames to stdout; the command writes one JSON string
    process.stdout.write = ((s: unknown, ...rest: unknown[]) =>
      typeof s === 'string' && s.startsWith('{')
        ? (out.push(s), true)
        : (write as (...a: unknown[]) => boolean)(s, ...rest)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await benchTrainCommand.run(ctx({ model: 'ds-cnn', batch: '8', steps: '2', warmup: '1', backend: 'native' }));
    } finally {
      process.stdout.write = write;
    }
    assert.equal(code, 0);
    const r = JSON.parse(out.join('')) as { rows: { step: string; msPerStep: number; loss: number; vsFloat: number }[] } & Record<
      string,
      unknown
    >;
    assert.equal(r.backend, 'native');
    assert.equal(r.model, 'ds-cnn');
    assert.equal(r.batch, 8);
    assert.equal(r.steps, 2);
    assert.deepEqual(
      r.rows.map((x) => x.step),
      ['float', 'qat', 'phase2'],
    );
    for (const row of r.rows) {
      assert.ok(row.msPerStep > 0 && row.msPerStep < 60_000, `${row.step}: ${row.msPerStep} ms`);
      assert.ok(Number.isFinite(row.loss) && row.loss > 0, `${row.step}: loss ${row.loss}`);
    }
    assert.equal(r.msPerStep, r.rows[0]!.msPerStep, 'the top-level figure is the float step');
    assert.equal(r.rows[0]!.vsFloat, 1);
  });

  it('times the model pqk trains: the first float step has the loss of the zoo model on the same batch', async () => {
    useBackend('native');
    const t = await timeTrainingSteps({ model: 'ds-cnn-32', step: 'float', batch: 4, steps: 1, warmup: 0, seed: 3 });
    const model = createModel(modelSpec('ds-cnn-32', [49, 10, 1], 12), 3);
    assert.equal(t.loss, firstLoss(model, 4, 3));
    disposeModel(model);
  });

  it("--from times a run's float checkpoint: the first float step has that model's loss", async () => {
    useBackend('native');
    const dir = mkdtempSync(join(tmpdir(), 'pqk-bench-from-'));
    try {
      // A model the zoo does not make at this shape: a ResNet on 12x12x3 inputs with 4 classes.
      const model = createModel(modelSpec('resnet', [12, 12, 3], 4), 5);
      await saveCheckpoint(checkpointsDir(dir), 'float', model, {});
      const t = await timeTrainingSteps({ model: 'unused', from: dir, step: 'float', batch: 3, steps: 1, warmup: 0, seed: 2 });
      assert.equal(t.loss, firstLoss(model, 3, 2));
      disposeModel(model);
      await assert.rejects(
        benchTrainCommand.run(ctx({ from: dir, model: 'ds-cnn' })),
        (e: unknown) => e instanceof UserError && /--model and --from name two models: give one/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown model or step with a UserError naming the flag', async () => {
    await assert.rejects(
      benchTrainCommand.run(ctx({ model: 'vgg' })),
      (e: unknown) => e instanceof UserError && /--model must be one of ds-cnn, ds-cnn-32, resnet, mlp, got 'vgg'/.test(e.message),
    );
    await assert.rejects(
      benchTrainCommand.run(ctx({ step: 'fp16' })),
      (e: unknown) => e instanceof UserError && /--step must be one of float, qat, phase2, all, got 'fp16'/.test(e.message),
    );
  });
});
