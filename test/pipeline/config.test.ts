// A run folder's settings: what run.json says wins, the target fills what it does not say (its sparsity pattern and
// level), the defaults fill the rest, and the run's seed reaches every stage.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PHASE1_DEFAULTS, roundLevels, type Phase1Config } from '../../src/compress/pqk/phase1.js';
import { FLOAT_DEFAULTS } from '../../src/train/float.js';
import { guardRunSettings, guardTrainingSettings, readRunConfig, schemeOf } from '../../src/pipeline/config.js';
import { loadTarget } from '../../src/targets/load.js';
import { packsTwoOfFour } from '../../src/pipeline/stages.js';

const dir = mkdtempSync(join(tmpdir(), 'pqk-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a folder made by 'pqk train' takes the target's pattern and level, and its seed in every stage", () => {
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 7, float: { epochs: 3 } }),
  );
  const m4 = readRunConfig(dir, loadTarget('cortex-m4'));
  assert.deepEqual([m4.phase1.pattern, m4.phase1.sparsity], ['channel', 0.5]);
  const arm64 = readRunConfig(dir, loadTarget('android-arm64'));
  assert.deepEqual([arm64.phase1.pattern, arm64.phase1.sparsity], ['2:4', 0.5]);
  assert.deepEqual([m4.float.seed, m4.phase1.seed, m4.phase2.seed], [7, 7, 7]);
  assert.equal(m4.float.epochs, 3);
  // What the folder says wins over the target.
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ model: 'ds-cnn', data: 'data/x', seed: 7, phase1: { pattern: 'unstructured', sparsity: 0.8, seed: 3 } }),
  );
  const own = readRunConfig(dir, loadTarget('cortex-m4'));
  assert.deepEqual([own.phase1.pattern, own.phase1.sparsity, own.phase1.seed, own.phase2.seed], ['unstructured', 0.8, 3, 7]);
});

test('unstructured pruning takes its gradual schedule and final epochs unless a config sets them', () => {
  const write = (phase1: object): void =>
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ model: 'ds-cnn', data: 'data/x', seed: 1, phase1 }));
  const m4 = loadTarget('cortex-m4');
  write({ pattern: 'unstructured', sparsity: 0.8 });
  const u = readRunConfig(dir, m4).phase1;
  assert.deepEqual([u.rounds, u.epochsPerRound, u.finalEpochs], [16, 1, 40]);
  assert.deepEqual(
    roundLevels(u).map((l) => +l.toFixed(4)),
    [0.0957, 0.1822, 0.2605, 0.3313, 0.3953, 0.4531, 0.5055, 0.5528, 0.5956, 0.6343, 0.6693, 0.7009, 0.7296, 0.7554, 0.7788, 0.8],
  );
  const schedule = (): number[] => {
    const p = readRunConfig(dir, m4).phase1;
    return [p.rounds, p.epochsPerRound, p.finalEpochs];
  };
  write({ pattern: 'unstructured', sparsity: 0.8, rounds: 3 });
  assert.deepEqual(schedule(), [3, 3, 40]);
  write({ pattern: 'unstructured', sparsity: 0.8, epochsPerRound: 2 });
  assert.deepEqual(schedule(), [3, 2, 40]);
  write({ pattern: 'unstructured', sparsity: 0.8, finalEpochs: 12 });
  assert.deepEqual(schedule(), [16, 1, 12]);
  // Channel pruning (the targets' pattern) keeps three rounds of three epochs and 20 at the final level.
  write({});
  const c = readRunConfig(dir, m4).phase1;
  assert.deepEqual([c.pattern, c.rounds, c.epochsPerRound, c.finalEpochs], ['channel', 3, 3, 20]);
});

test('phase 1 decays the kept weights under every pattern unless a config sets weightDecay', () => {
  const m4 = loadTarget('cortex-m4');
  const decay = (phase1: object): number => {
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ model: 'ds-cnn', data: 'data/x', seed: 1, phase1 }));
    return readRunConfig(dir, m4).phase1.weightDecay;
  };
  assert.equal(decay({}), PHASE1_DEFAULTS.weightDecay);
  assert.ok(PHASE1_DEFAULTS.weightDecay > 0);
  assert.equal(decay({ weightDecay: 0 }), 0);
  assert.equal(decay({ weightDecay: 0.5 }), 0.5);
  assert.equal(decay({ pattern: 'unstructured', sparsity: 0.8 }), PHASE1_DEFAULTS.weightDecay);
  assert.equal(decay({ pattern: 'unstructured', sparsity: 0.8, weightDecay: 0 }), 0);
  assert.equal(decay({ pattern: '2:4' }), PHASE1_DEFAULTS.weightDecay);
  assert.equal(decay({ pattern: '1:4', weightDecay: 0.2 }), 0.2);
  assert.equal(readRunConfig(dir, m4).float.weightDecay, FLOAT_DEFAULTS.weightDecay);
});

test('a run folder written before weight decay existed keeps training without it, and its recorded settings still match', () => {
  const old = mkdtempSync(join(tmpdir(), 'pqk-config-old-'));
  try {
    const float = { model: 'ds-cnn', epochs: 30, batchSize: 100, lr: 0.003, optimizer: 'adam', seed: 1 };
    writeFileSync(join(old, 'run.json'), JSON.stringify({ format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 1, float }));
    const m4 = loadTarget('cortex-m4');
    const before = readRunConfig(old, m4);
    const { weightDecay: _w, shadow: _sh, ...phase1 } = before.phase1;
    const { control: _c, ship: _s, ...phase2 } = before.phase2;
    const recorded = { model: 'ds-cnn', data: 'data/x', seed: 1, float, phase1, phase2, augment: null };
    writeFileSync(join(old, 'settings.json'), JSON.stringify({ ...recorded, quantization: m4.quantization, scheme: schemeOf(m4) }));
    const c = readRunConfig(old, m4);
    assert.equal(c.float.weightDecay, 0);
    assert.equal(c.phase1.weightDecay, 0);
    assert.equal(c.phase1.shadow, false);
    guardTrainingSettings(old, c, m4); // does not throw
    // Resumed again, it still trains without them (the recorded settings keep lacking them).
    const again = readRunConfig(old, m4);
    assert.deepEqual([again.float.weightDecay, again.phase1.weightDecay], [0, 0]);
    guardTrainingSettings(old, again, m4);
    // A setting that really changed is still refused.
    writeFileSync(
      join(old, 'run.json'),
      JSON.stringify({ format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 1, float: { ...float, lr: 0.01 } }),
    );
    assert.throws(
      () => guardTrainingSettings(old, readRunConfig(old, m4), m4),
      /holds a run made with other settings \(float\.lr: 0\.003 there, 0\.01 now\); give the settings it was made with/,
    );
    // So is a weight decay set now on a run recorded without it.
    writeFileSync(
      join(old, 'run.json'),
      JSON.stringify({ format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 1, float: { ...float, weightDecay: 3 } }),
    );
    assert.throws(() => guardTrainingSettings(old, readRunConfig(old, m4), m4), /\(float\.weightDecay: unset there, 3 now\)/);
    // And the dense shadow asked for now.
    writeFileSync(
      join(old, 'run.json'),
      JSON.stringify({ format: 'pqk-run-1', model: 'ds-cnn', data: 'data/x', seed: 1, float, phase1: { shadow: true } }),
    );
    assert.throws(() => guardTrainingSettings(old, readRunConfig(old, m4), m4), /\(phase1\.shadow: unset there, true now\)/);
  } finally {
    rmSync(old, { recursive: true, force: true });
  }
});

test('a run folder resumed with other settings is refused, naming every differing setting down to its key', () => {
  const run = mkdtempSync(join(tmpdir(), 'pqk-config-guard-'));
  try {
    const made = { seed: 2, float: { epochs: 30, seed: 2 }, phase1: { pattern: 'unstructured', sparsity: 0.8, seed: 2 } };
    guardRunSettings(run, made);
    guardRunSettings(run, made); // the same settings again: accepted
    const now = { seed: 1, float: { epochs: 30, seed: 1 }, phase1: { pattern: 'channel', sparsity: 0.5, seed: 1 } };
    assert.throws(
      () => guardRunSettings(run, now),
      (e: Error) =>
        e.message ===
        `${run} holds a run made with other settings (seed: 2 there, 1 now; float.seed: 2 there, 1 now; ` +
          'phase1.pattern: "unstructured" there, "channel" now; phase1.sparsity: 0.8 there, 0.5 now; phase1.seed: 2 there, 1 now); ' +
          `give the settings it was made with (${join(run, 'settings.json')}), use another folder or remove this one`,
    );
    // A key only one side has is named as unset on the other; a setting the command does not depend on is added.
    assert.throws(() => guardRunSettings(run, { ...made, float: { seed: 2 } }), /\(float\.epochs: 30 there, unset now\)/);
    guardRunSettings(run, { ...made, augment: null });
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});

test('2:4 and 1:4 weights get a packed form for the DSP cores only, int8 and int4 alike', () => {
  const packs = (pattern: string, target: string): boolean =>
    packsTwoOfFour({ phase1: { ...PHASE1_DEFAULTS, pattern: pattern as Phase1Config['pattern'] } }, loadTarget(target));
  assert.deepEqual(
    ['cortex-m4', 'cortex-m4-int4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'android-arm64'].map((t) => packs('2:4', t)),
    [true, true, true, true, false, false],
  );
  assert.equal(packs('1:4', 'cortex-m4'), true);
  assert.equal(packs('channel', 'cortex-m4'), false);
  assert.equal(packs('unstructured', 'cortex-m4-int4'), false);
});
