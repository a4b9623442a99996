// pqk run's settings: flags over --config over a resumed folder's run.json over the defaults (the target's pattern and
// level where nothing sets them). A folder made by pqk train + pqk compress resumes under pqk run without its flags.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { runSettings } from '../../src/cli/commands/run.js';
import { resolvePhase1 } from '../../src/compress/pqk/phase1.js';
import { PHASE2_DEFAULTS } from '../../src/compress/pqk/phase2.js';
import { dataLocation } from '../../src/data/index.js';
import { guardTrainingSettings, readRunConfig, readStoredRunConfig, type RunConfig } from '../../src/pipeline/config.js';
import { loadTarget } from '../../src/targets/load.js';
import { FLOAT_DEFAULTS } from '../../src/train/float.js';
import { assertUserError, cli } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'pqk-run-settings-'));
after(() => rmSync(root, { recursive: true, force: true }));
const m4 = loadTarget('cortex-m4');
const fresh = (seed: number, file: Partial<RunConfig> = {}, stored?: RunConfig): RunConfig =>
  runSettings({ target: m4, file, stored, seed, model: stored?.model ?? 'ds-cnn', data: stored?.data ?? 'data/x', ceControl: false });

test('a new run: the defaults with the seed in every stage and the target pattern and level; --config over them', () => {
  const c = fresh(3);
  assert.deepEqual(c.float, { ...FLOAT_DEFAULTS, seed: 3 });
  assert.deepEqual(c.phase1, resolvePhase1(undefined, { pattern: 'channel', sparsity: 0.5, seed: 3 }));
  assert.deepEqual(c.phase2, { ...PHASE2_DEFAULTS, seed: 3 });
  assert.equal(c.target, 'cortex-m4');
  const f = fresh(3, {
    float: { epochs: 4 } as RunConfig['float'],
    phase1: { pattern: 'unstructured', sparsity: 0.8 } as RunConfig['phase1'],
  });
  assert.deepEqual([f.float.epochs, f.float.lr], [4, FLOAT_DEFAULTS.lr]);
  assert.deepEqual([f.phase1.pattern, f.phase1.sparsity, f.phase1.rounds], ['unstructured', 0.8, 16]); // its own schedule
});

test('a folder made by pqk train --seed 2 and pqk compress --pattern unstructured resumes with its own settings', () => {
  const run = join(root, 'made');
  const made = { format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 2, target: 'cortex-m4' };
  writeRun(run, { ...made, float: { ...FLOAT_DEFAULTS, seed: 2, epochs: 5 } });
  const compressed = { ...readRunConfig(run, m4), phase1: resolvePhase1({ pattern: 'unstructured', sparsity: 0.8 }, { seed: 2 }) };
  writeRun(run, compressed);
  guardTrainingSettings(run, readRunConfig(run, m4), m4); // what pqk compress recorded
  // Before: the defaults (seed 1, the target's 50% channel pruning) were refused, naming each difference.
  assert.throws(
    () => guardTrainingSettings(run, fresh(1), m4),
    /seed: 2 there, 1 now;.*phase1\.pattern: "unstructured" there, "channel" now/,
  );
  // Now: the folder's settings, accepted as they are.
  const stored = readRunConfig(run, m4);
  const c = fresh(stored.seed, {}, stored);
  assert.deepEqual([c.seed, c.float.epochs, c.phase1.pattern, c.phase1.sparsity, c.phase1.seed], [2, 5, 'unstructured', 0.8, 2]);
  guardTrainingSettings(run, c, m4);
  // --config changes one key and keeps the rest (and a changed key is refused by name), --ce-control adds the control.
  const later = fresh(stored.seed, { phase1: { finalEpochs: 7 } as RunConfig['phase1'] }, stored);
  assert.deepEqual({ ...later.phase1, finalEpochs: c.phase1.finalEpochs }, c.phase1);
  assert.throws(() => guardTrainingSettings(run, later, m4), /\(phase1\.finalEpochs: 40 there, 7 now\)/);
  const control = runSettings({ target: m4, file: {}, stored, seed: 2, model: 'ds-cnn', data: 'data/x', ceControl: true });
  assert.equal(control.phase2.control, 'ce');
  guardTrainingSettings(run, control, m4);
});

test('pqk run --out on a folder made for a target that is not built in, without --target: exit 2, naming it', async () => {
  const run = join(root, 'board');
  writeRun(run, { format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 1, target: 'my-board' });
  const r = await cli(['run', '--out', run, '--backend', 'cpu']);
  assertUserError(r, 2, /was made for target 'my-board': give --target with its profile file to resume it/, 'target', assert);
});

function writeRun(run: string, json: object): void {
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'run.json'), JSON.stringify(json));
}

test('a run records its data folder as an absolute path: later commands find it from any folder; one recorded relative still resumes', async () => {
  assert.equal(dataLocation('mnist'), 'mnist');
  assert.equal(dataLocation('data/x'), resolve('data/x'));
  // pqk import started in one folder with a relative --data, pqk compress started in another (the repository root):
  // compress looks where the import was started, not in its own working directory.
  const here = process.cwd();
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere);
  const runDir = join(root, 'relative-data');
  const fixture = resolve('test/fixtures/mlperf-tiny-kws/kws_ref_model_float32.tflite');
  process.chdir(elsewhere);
  let imp;
  try {
    imp = await cli(['import', fixture, '--out', runDir, '--data', 'kws-set']);
  } finally {
    process.chdir(here);
  }
  assert.equal(imp.code, 0, imp.stderr);
  assert.equal(readStoredRunConfig(runDir).data, join(elsewhere, 'kws-set'));
  const r = await cli(['compress', '--run', runDir, '--target', 'cortex-m4', '--phase', '1']);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(`${join(elsewhere, 'kws-set')}: no such directory`), r.stderr);
  // A folder whose settings were recorded with a relative path (earlier versions) accepts that path made absolute
  // from the same working directory, and keeps what it recorded; another folder is refused.
  const old = join(root, 'old-relative');
  writeRun(old, { format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 1, target: 'cortex-m4' });
  guardTrainingSettings(old, fresh(1), m4);
  guardTrainingSettings(old, { ...fresh(1), data: resolve('data/x') }, m4);
  assert.equal(JSON.parse(readFileSync(join(old, 'settings.json'), 'utf8')).data, 'data/x');
  assert.throws(() => guardTrainingSettings(old, { ...fresh(1), data: resolve('data/y') }, m4), /data: "data\/x" there, ".*data\/y" now/);
});

test('a run whose --data does not load leaves its folder unbound: the same folder then takes the right data', async () => {
  const run = join(root, 'typo');
  const r = await cli(['run', '--data', join(root, 'no-such-set'), '--out', run]);
  assertUserError(r, 1, /no-such-set: no such directory/, 'missing data', assert);
  assert.ok(!existsSync(join(run, 'settings.json')), 'settings recorded before the data loaded');
  // What the retry checks first: the other data is not refused (before, "data: .../no-such-set there, ... now").
  const retry = readRunConfig(run, m4);
  guardTrainingSettings(run, { ...retry, data: resolve('data/x') }, m4, false);
  assert.ok(!existsSync(join(run, 'settings.json')));
  guardTrainingSettings(run, { ...retry, data: resolve('data/x') }, m4);
  assert.equal(JSON.parse(readFileSync(join(run, 'settings.json'), 'utf8')).data, resolve('data/x'));
});
