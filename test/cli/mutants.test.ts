// Seeded mutants of what users hand pqk, in bounded runs: models for `verify` (byte flips of a valid DS-CNN) and
// `--config` files (typos, wrong types, impossible values). Each must be accepted and then valid, or refused with a
// user error that names the file; none may surface as an internal error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import '@tensorflow/tfjs-backend-cpu';
import { ConfigError, UserError } from '../../src/errors.js';
import { loadConfigFile } from '../../src/pipeline/run.js';
import { verifyModel } from '../../src/pipeline/verify.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { mulberry32 } from '../../src/util/rng.js';
import { blobDataset } from '../helpers.js';
import { dsCnnLike } from '../runtimes/models.js';

const dir = mkdtempSync(join(tmpdir(), 'pqk-mutants-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('verify: 300 byte-flip mutants of a DS-CNN end in a result or a model error, never an internal error', async () => {
  const data = blobDataset({ inputShape: [49, 10, 1], classes: 12, train: 12, test: 3, seed: 5 });
  const base = writeTflite(dsCnnLike(3));
  const rand = mulberry32(77);
  const seen = { ran: 0, refused: 0 };
  for (let k = 0; k < 300; k++) {
    const bytes = base.slice();
    const flips = 1 + Math.floor(rand() * 3);
    for (let f = 0; f < flips; f++) bytes[Math.floor(rand() ** 2 * bytes.length)]! ^= 1 + Math.floor(rand() * 255);
    try {
      const r = await verifyModel(bytes, data, 'tflite', { limit: 3, file: `mutant-${k}.tflite` });
      assert.equal(r.samples, 3);
      seen.ran++;
    } catch (e) {
      assert.ok(e instanceof UserError, `mutant ${k}: ${(e as Error).stack}`);
      assert.match(e.message, new RegExp(`^mutant-${k}\\.tflite: \\S`), `mutant ${k}`);
      seen.refused++;
    }
  }
  assert.ok(seen.ran > 20 && seen.refused > 20, JSON.stringify(seen));
  process.stderr.write(`verify mutants: ${JSON.stringify(seen)}\n`);
});

// A valid config with every key, then one to three random mutations of it.
const VALID = {
  model: 'ds-cnn',
  data: 'data/synth-kws',
  seed: 3,
  float: { epochs: 12, batchSize: 100, lr: 0.003, optimizer: 'adam', seed: 1 },
  phase1: {
    sparsity: 0.5,
    pattern: 'channel',
    rounds: 3,
    epochsPerRound: 3,
    finalEpochs: 6,
    lr: 0.003,
    batchSize: 100,
    scope: 'global',
    skipFirst: false,
    skipLast: false,
    norm: 'l2',
    emaDecay: 0.95,
    freezeRangesAfter: 0.5,
    seed: 1,
  },
  phase2: {
    warmupEpochs: 2,
    mutualEpochs: 3,
    tau: 4,
    lambda: 1,
    lrStudent: 5e-4,
    lrTeacher: 1e-3,
    batchSize: 100,
    teacherQuantizeActivations: false,
    teacherBatchNorm: 'batch',
    mode: 'pqk',
    seed: 1,
  },
};

const WRONG: unknown[] = ['many', '', -1, 0, 0.5, 1.5, 1e9, -1e-9, null, true, [], {}, 2 ** 53, '3:7'];

function typo(key: string, rand: () => number): string {
  const i = Math.floor(rand() * (key.length - 1));
  return rand() < 0.5 ? key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2) : key.slice(0, i) + key.slice(i + 1);
}

function mutate(cfg: Record<string, unknown>, rand: () => number): void {
  const sections = ['', 'float', 'phase1', 'phase2'];
  const sec = sections[Math.floor(rand() * sections.length)]!;
  const obj = (sec ? cfg[sec] : cfg) as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => sec || !['float', 'phase1', 'phase2'].includes(k));
  const key = keys[Math.floor(rand() * keys.length)]!;
  const what = rand();
  if (what < 0.3) {
    obj[typo(key, rand)] = obj[key];
    delete obj[key];
  } else if (what < 0.85) obj[key] = WRONG[Math.floor(rand() * WRONG.length)];
  else delete obj[key];
}

// What every accepted config must satisfy (the ranges a stage relies on).
function checkAccepted(c: Record<string, any>, label: string): void {
  const ints = (o: Record<string, unknown> | undefined, keys: string[], min: number) => {
    for (const k of keys) if (o && k in o) assert.ok(Number.isInteger(o[k]) && (o[k] as number) >= min, `${label}: ${k}=${String(o[k])}`);
  };
  ints(c.float, ['epochs', 'batchSize'], 1);
  ints(c.phase1, ['rounds', 'epochsPerRound', 'finalEpochs', 'batchSize'], 1);
  ints(c.phase2, ['warmupEpochs', 'mutualEpochs'], 0);
  ints(c.phase2, ['batchSize'], 1);
  for (const o of [c.float, c.phase1]) if (o && 'lr' in o) assert.ok(o.lr > 0, `${label}: lr`);
  if (c.phase1 && 'sparsity' in c.phase1) assert.ok(c.phase1.sparsity >= 0 && c.phase1.sparsity < 1, `${label}: sparsity`);
  if (c.phase1 && 'pattern' in c.phase1)
    assert.ok(['unstructured', '2:4', '1:4', 'channel'].includes(c.phase1.pattern), `${label}: pattern`);
  if (c.phase2 && 'tau' in c.phase2) assert.ok(c.phase2.tau > 0, `${label}: tau`);
}

test('config: 600 mutants are accepted only when valid, else refused naming the file and the field', () => {
  const rand = mulberry32(2024);
  const file = join(dir, 'pqk.json');
  const seen = { accepted: 0, refused: 0 };
  assert.deepEqual(loadConfigFile((writeFileSync(file, JSON.stringify(VALID)), file)), VALID);
  for (let k = 0; k < 600; k++) {
    const cfg = structuredClone(VALID) as Record<string, unknown>;
    for (let m = 0, n = 1 + Math.floor(rand() * 3); m < n; m++) mutate(cfg, rand);
    writeFileSync(file, JSON.stringify(cfg));
    try {
      checkAccepted(loadConfigFile(file), `mutant ${k}: ${JSON.stringify(cfg)}`);
      seen.accepted++;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      assert.ok(e instanceof ConfigError, `mutant ${k}: ${(e as Error).stack}`);
      assert.match(e.message, /pqk\.json: \/\S*/, `mutant ${k}`);
      seen.refused++;
    }
  }
  assert.ok(seen.accepted > 30 && seen.refused > 300, JSON.stringify(seen));
  process.stderr.write(`config mutants: ${JSON.stringify(seen)}\n`);
});
