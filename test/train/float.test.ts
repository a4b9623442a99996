// Float training: learns, checkpoints every epoch, and a killed run resumes to exactly the same weights.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { floatLogits, trainFloat, type FloatConfig } from '../../src/train/float.js';
import { evaluate } from '../../src/train/stage.js';
import { checkpointExists, loadCheckpoint } from '../../src/train/checkpoint.js';
import { namedVariables } from '../../src/models/params.js';
import { blobDataset } from '../helpers.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pqk-train-'));
  dirs.push(d);
  return d;
}
before(async () => {
  await tf.setBackend('cpu');
});
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const data = blobDataset({ inputShape: [6, 4, 1], classes: 3, train: 300, test: 150 });
const cfg: FloatConfig = { model: 'mlp', epochs: 3, batchSize: 50, lr: 0.01, optimizer: 'adam', seed: 3 };
const quiet = () => {};

async function weights(dir: string): Promise<Float32Array[]> {
  const { model } = await loadCheckpoint(dir, 'float');
  return Promise.all([...namedVariables(model).values()].map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
}

test('float training learns the blobs and writes a finished checkpoint', async () => {
  const dir = tmp();
  const r = await trainFloat({ dir, data, cfg, log: quiet });
  assert.equal(r.state.epoch, 3);
  assert.equal(r.state.history.length, 3);
  assert.ok(r.state.history[2].loss < r.state.history[0].loss, 'loss goes down');
  assert.ok((await evaluate(data, floatLogits(r.model), 'test')) > 0.9);
  assert.ok(checkpointExists(dir, 'float'));
  assert.ok(!checkpointExists(dir, 'float-progress'), 'progress checkpoint removed once finished');
});

test('a run killed mid-epoch resumes from its last epoch and ends with the same weights', async () => {
  const straight = tmp();
  await trainFloat({ dir: straight, data, cfg, log: quiet });
  const killed = tmp();
  await assert.rejects(
    trainFloat({
      dir: killed,
      data,
      cfg,
      log: quiet,
      onProgress: (p) => {
        if (p.epoch === 3) throw new Error('killed');
      },
    }),
    /killed/,
  );
  assert.ok(checkpointExists(killed, 'float-progress'));
  assert.ok(!checkpointExists(killed, 'float'));
  const lines: string[] = [];
  const r = await trainFloat({ dir: killed, data, cfg, log: (l) => lines.push(l) });
  assert.ok(
    lines.some((l) => /resuming after epoch 2\/3/.test(l)),
    lines.join('\n'),
  );
  assert.equal(r.state.history.length, 3);
  const [a, b] = [await weights(straight), await weights(killed)];
  assert.equal(a.length, b.length);
  a.forEach((w, i) => assert.deepEqual(w, b[i], `variable ${i} differs`));
});

test('a finished stage is loaded, not trained again', async () => {
  const dir = tmp();
  await trainFloat({ dir, data, cfg, log: quiet });
  const lines: string[] = [];
  let steps = 0;
  await trainFloat({ dir, data, cfg, log: (l) => lines.push(l), onProgress: () => steps++ });
  assert.equal(steps, 0);
  assert.ok(lines.some((l) => /finished earlier/.test(l)));
});
