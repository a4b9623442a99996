import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBudgets } from '../../src/report/budgets.js';
import { pairedDrop } from '../../src/report/metrics.js';
import type { BudgetResult, RunReport } from '../../src/report/types.js';
import { loadTarget } from '../../src/targets/load.js';
import type { TargetProfile } from '../../src/targets/types.js';
import { sampleReport } from './fixture.js';

function byName(results: BudgetResult[], name: string): BudgetResult {
  const b = results.find((r) => r.name === name);
  assert.ok(b, `budget ${name} present in ${results.map((r) => r.name).join(', ')}`);
  return b;
}

function withBudgets(budgets: TargetProfile['budgets'], base = loadTarget('cortex-m4')): TargetProfile {
  return { ...base, budgets };
}

test('a run inside every budget passes each one, in the profile order', () => {
  const r = sampleReport();
  assert.equal(r.ok, true);
  assert.deepEqual(
    r.budgets.map((b) => `${b.name}=${b.verdict}`),
    [
      'modelFlashBytes=pass',
      'arenaBytes=pass',
      'instructionsPerInference=pass',
      'endToEndInstructions=pass',
      'minAccuracy=pass',
      'maxAccuracyDrop=pass',
      'deviceFlashBytes=pass',
      'deviceRamBytes=pass',
      'operators=pass',
      'exact:tflite=pass',
      'exact:qemu:cortex-m4=pass',
      'exact-from-audio:qemu:cortex-m4=pass',
    ],
  );
  // worst sample, on the target's emulator, not the x86 TFLite arena
  assert.equal(byName(r.budgets, 'instructionsPerInference').value, 9_500_000);
  assert.equal(byName(r.budgets, 'arenaBytes').value, 28_000);
  assert.equal(byName(r.budgets, 'minAccuracy').value, 0.9);
  assert.equal(byName(r.budgets, 'maxAccuracyDrop').value, 0.01);
});

test('budgets set too small fail, and each message names the budget, value and limit', () => {
  const r = sampleReport();
  const tight = withBudgets({
    modelFlashBytes: 20_000,
    arenaBytes: 16_384,
    instructionsPerInference: 9_400_000,
    msPerInference: 50,
    minAccuracy: 0.95,
    maxAccuracyDrop: 0.005,
  });
  const results = checkBudgets(r, tight);
  const flash = byName(results, 'modelFlashBytes');
  assert.equal(flash.verdict, 'fail');
  assert.equal(flash.message, 'modelFlashBytes: 24,000 B exceeds limit 20,000 B (model.tflite, 120% of limit)');
  assert.match(byName(results, 'arenaBytes').message, /^arenaBytes: 28,000 B exceeds limit 16,384 B \(qemu:cortex-m4/);
  assert.match(byName(results, 'instructionsPerInference').message, /9\.50 M instr exceeds limit 9\.40 M instr/);
  // 9.5 M x 1.3 / 168 MHz = 73.5 ms
  const ms = byName(results, 'msPerInference');
  assert.equal(ms.verdict, 'fail');
  assert.ok(Math.abs(ms.value! - 73.511904761904) < 1e-6);
  assert.match(ms.message, /73\.5 ms exceeds limit 50\.0 ms \(qemu:cortex-m4 at 168 MHz, 1\.3 cycles\/instr/);
  assert.match(byName(results, 'minAccuracy').message, /^minAccuracy: 90\.00% is below limit 95\.00%/);
  assert.equal(byName(results, 'maxAccuracyDrop').verdict, 'fail');
  assert.equal(results.filter((b) => b.verdict === 'fail').length, 6); // the six profile budgets; memory and exactness still pass
});

test('a limit exactly met passes', () => {
  const results = checkBudgets(sampleReport(), withBudgets({ modelFlashBytes: 24_000, minAccuracy: 0.9 }));
  assert.deepEqual(
    results.slice(0, 2).map((b) => b.verdict),
    ['pass', 'pass'],
  );
});

test('a budget whose figure is missing is skipped with the reason', () => {
  const r: RunReport = sampleReport();
  const dev = r.verification['qemu:cortex-m4']!;
  const noCounts = {
    ...r,
    verification: { ...r.verification, 'qemu:cortex-m4': { ...dev, instructionsPerInference: null, arenaBytes: null } },
  };
  const results = checkBudgets(noCounts, withBudgets({ instructionsPerInference: 1, msPerInference: 1, arenaBytes: 1 }));
  assert.equal(byName(results, 'instructionsPerInference').verdict, 'skip');
  assert.equal(
    byName(results, 'instructionsPerInference').message,
    'instructionsPerInference: skipped, qemu:cortex-m4 reported no instruction count',
  );
  assert.equal(byName(results, 'msPerInference').verdict, 'skip');
  assert.equal(byName(results, 'arenaBytes').message, 'arenaBytes: skipped, qemu:cortex-m4 reported no arena size');
  const noFloat = checkBudgets({ ...r, stages: r.stages.filter((s) => s.name !== 'float') }, withBudgets({ maxAccuracyDrop: 0.1 }));
  assert.equal(byName(noFloat, 'maxAccuracyDrop').message, 'maxAccuracyDrop: skipped, no float stage in the report');
});

test('a runtime that did not run or disagrees with the reference fails its exactness check', () => {
  const r = sampleReport();
  const { ['qemu:cortex-m4']: dev, ...onlyTflite } = r.verification;
  const missing = checkBudgets({ ...r, verification: onlyTflite }, loadTarget('cortex-m4'));
  assert.equal(byName(missing, 'exact:qemu:cortex-m4').verdict, 'fail');
  assert.equal(byName(missing, 'exact:qemu:cortex-m4').message, 'exact:qemu:cortex-m4: qemu:cortex-m4 did not run');
  assert.equal(byName(missing, 'instructionsPerInference').verdict, 'skip');
  const off = { ...r, verification: { ...r.verification, 'qemu:cortex-m4': { ...dev!, mismatches: 2, maxDiff: 1 } } };
  const exact = byName(checkBudgets(off, loadTarget('cortex-m4')), 'exact:qemu:cortex-m4');
  assert.equal(exact.verdict, 'fail');
  assert.equal(
    exact.message,
    'exact:qemu:cortex-m4: 2 int8 output values over 10 samples differ from the integer reference (max diff 1 LSB), must be bit-exact',
  );
});

test('LiteRT may differ by 1 LSB on an int4 target, not by 2', () => {
  const int4 = loadTarget('cortex-m4-int4');
  const r = sampleReport(int4, 14_000);
  const dev = r.verification['qemu:cortex-m4']!;
  const lite = (maxDiff: number) => ({ ...r, verification: { ...r.verification, litert: { ...dev, mismatches: 3, maxDiff } } });
  assert.equal(byName(checkBudgets(lite(1), int4), 'exact:litert').verdict, 'pass');
  const two = byName(checkBudgets(lite(2), int4), 'exact:litert');
  assert.equal(two.verdict, 'fail');
  assert.match(two.message, /3 int8 output values over 10 samples differ .*max diff 2 LSB\), limit 1 LSB/);
});

test('accuracy budgets take the worst verified runtime', () => {
  const r = sampleReport();
  const worse = { ...r, verification: { ...r.verification, tflite: { ...r.verification.tflite!, accuracy: 0.8 } } };
  const results = checkBudgets(worse, withBudgets({ minAccuracy: 0.85, maxAccuracyDrop: 0.2 }));
  assert.match(byName(results, 'minAccuracy').message, /^minAccuracy: 80\.00% is below limit 85\.00% \(tflite/);
  assert.equal(byName(results, 'maxAccuracyDrop').value, 0.11);
});

test('the accuracy drop says its paired standard error where the report pairs float and integer model per sample', () => {
  // 1,200 samples: 30 right only in float, 18 only in the integer model: drop 12 / 1200 = 1%, the sample report's
  const floatCorrect = new Uint8Array(1200).fill(1, 0, 1000).fill(1, 1000, 1030);
  const intCorrect = new Uint8Array(1200).fill(1, 0, 1000).fill(1, 1030, 1048);
  const p = pairedDrop(floatCorrect, intCorrect);
  assert.deepEqual([p.samples, p.floatOnly, p.integerOnly], [1200, 30, 18]);
  // mean(d^2) = 48 / 1200 = 0.04, mean(d) = 0.01: sqrt((0.04 - 0.0001) / 1200)
  assert.ok(Math.abs(p.standardError - Math.sqrt(0.0399 / 1200)) < 1e-12);
  const r = { ...sampleReport(), accuracyDrop: p };
  const drop = byName(checkBudgets(r, withBudgets({ maxAccuracyDrop: 0.02 })), 'maxAccuracyDrop');
  assert.equal(
    drop.message,
    'maxAccuracyDrop: 1.00% ≤ limit 2.00% (float -> tflite, 50% of limit; standard error 0.58%, paired over 1,200 test samples: 30 right only in float, 18 only in the integer model)',
  );
  // counts that do not give the drop judged (another runtime scored it) say nothing of it
  const other = { ...r, accuracyDrop: pairedDrop(floatCorrect, floatCorrect) };
  assert.equal(
    byName(checkBudgets(other, withBudgets({ maxAccuracyDrop: 0.02 })), 'maxAccuracyDrop').message,
    'maxAccuracyDrop: 1.00% ≤ limit 2.00% (float -> tflite, 50% of limit)',
  );
  assert.throws(() => pairedDrop(floatCorrect, intCorrect.subarray(1)), /1200 float and 1199 integer results/);
});

test('a mobile target judges milliseconds from the arm64 instruction count', () => {
  const phone = loadTarget('android-arm64');
  const r = sampleReport(phone);
  const arm = r.verification['qemu:cortex-a53']!;
  const { ['qemu:cortex-a53']: _drop, ...rest } = r.verification;
  const withArm = { ...r, verification: { ...rest, arm64: { ...arm, instructionsPerInference: { min: 1, mean: 2, max: 36_000_000 } } } };
  const ms = byName(checkBudgets(withArm, phone), 'msPerInference');
  assert.equal(ms.value, 20); // 36 M x 1.0 / 1800 MHz
  assert.equal(ms.verdict, 'pass');
});

test('strict: a budget that cannot be measured fails, so dropping the emulator cannot pass instruction and arena budgets', () => {
  const r = sampleReport();
  const { ['qemu:cortex-m4']: _dev, ...onlyTflite } = r.verification;
  const target = withBudgets(
    { instructionsPerInference: 1e7, arenaBytes: 64_000, modelFlashBytes: 1e6 },
    { ...loadTarget('cortex-m4'), runtimes: ['tflite'] },
  );
  const lax = checkBudgets({ ...r, verification: onlyTflite }, target);
  assert.deepEqual(
    ['instructionsPerInference', 'arenaBytes', 'deviceFlashBytes'].map((n) => byName(lax, n).verdict),
    ['skip', 'skip', 'skip'],
  );
  const strict = checkBudgets({ ...r, verification: onlyTflite }, target, { strict: true });
  const ins = byName(strict, 'instructionsPerInference');
  assert.equal(ins.verdict, 'fail');
  assert.equal(
    ins.message,
    "instructionsPerInference: cannot be measured, the target's emulator runtime (qemu:cortex-m4) is not among its runtimes (strict: an unmeasured budget fails; --no-strict skips it)",
  );
  assert.equal(byName(strict, 'arenaBytes').verdict, 'fail');
  assert.equal(byName(strict, 'deviceRamBytes').verdict, 'fail');
  // What was measured is judged as before.
  assert.equal(byName(strict, 'modelFlashBytes').verdict, 'pass');
  assert.equal(byName(strict, 'exact:tflite').verdict, 'pass');
});

test('a phone has no firmware image: no device flash / RAM checks, so strict mode has nothing unmeasurable there', () => {
  const phone = loadTarget('android-arm64');
  const names = checkBudgets(sampleReport(phone), phone, { strict: true }).map((b) => b.name);
  assert.ok(!names.includes('deviceFlashBytes') && !names.includes('deviceRamBytes'), names.join(', '));
});

test('endToEndInstructions judges the worst clip from audio; the frontend must compute the host features exactly', () => {
  const full = sampleReport();
  const { audio: _a, ...dev } = full.verification['qemu:cortex-m4']!;
  const r = { ...full, verification: { ...full.verification, 'qemu:cortex-m4': dev } };
  const target = withBudgets({ endToEndInstructions: 12_000_000 });
  // No run from audio on the board: nothing to measure (strict turns that into a failure).
  assert.match(
    byName(checkBudgets(r, target), 'endToEndInstructions').message,
    /endToEndInstructions: skipped, qemu:cortex-m4 reported no end-to-end instruction count/,
  );
  assert.equal(byName(checkBudgets(r, target, { strict: true }), 'endToEndInstructions').verdict, 'fail');
  const stats = (mean: number, max: number) => ({ min: mean, mean, max });
  const audio = {
    clips: 10,
    accuracyFromAudio: 0.9,
    accuracyFromFeatures: 0.9,
    predictionsDiffering: 0,
    featureValuesDiffering: 0,
    featureValues: 4900,
    mismatches: 0,
    frontendInstructions: stats(3e6, 3.1e6),
    endToEndInstructions: stats(12.4e6, 12.6e6),
    frontendScratchBytes: 4296,
    audioBufferBytes: 32000,
  };
  const withAudio = { ...r, verification: { ...r.verification, 'qemu:cortex-m4': { ...r.verification['qemu:cortex-m4']!, audio } } };
  const results = checkBudgets(withAudio, target);
  const e2e = byName(results, 'endToEndInstructions');
  assert.equal(e2e.verdict, 'fail');
  assert.equal(e2e.value, 12_600_000);
  assert.equal(byName(results, 'exact-from-audio:qemu:cortex-m4').verdict, 'pass');
  assert.equal(byName(checkBudgets(withAudio, withBudgets({ endToEndInstructions: 13_000_000 })), 'endToEndInstructions').verdict, 'pass');
  const off = {
    ...withAudio,
    verification: {
      ...withAudio.verification,
      'qemu:cortex-m4': { ...withAudio.verification['qemu:cortex-m4'], audio: { ...audio, featureValuesDiffering: 2 } },
    },
  };
  const exact = byName(checkBudgets(off, target), 'exact-from-audio:qemu:cortex-m4');
  assert.equal(exact.verdict, 'fail');
  assert.match(exact.message, /2 of 4900 int8 features from the board's frontend differ from the host's, 0 output values/);
  // An image classifier on the same target has no frontend: the budget does not apply.
  assert.ok(
    !checkBudgets({ ...r, dataset: { ...r.dataset, task: 'image' } }, target, { strict: true }).some(
      (b) => b.name === 'endToEndInstructions',
    ),
  );
});

test('a checked model (pqk check): accuracy judged only with labels, the drop never, unmeasured device figures still fail under strict', () => {
  const r = sampleReport();
  const noStages = { ...r, stages: [], shipped: undefined };
  const labelled = checkBudgets(
    { ...noStages, check: { inputs: 'data', labelled: true, file: 'm.tflite' } },
    withBudgets({ minAccuracy: 0.99, maxAccuracyDrop: 0.02 }),
    { strict: true },
  );
  assert.equal(byName(labelled, 'minAccuracy').verdict, 'fail'); // the worst runtime's accuracy, as for a run
  assert.equal(byName(labelled, 'maxAccuracyDrop').verdict, 'skip');
  assert.match(byName(labelled, 'maxAccuracyDrop').message, /maxAccuracyDrop: not applicable, a checked model has no float model/);
  const unlabelled = {
    ...noStages,
    check: { inputs: 'random' as const, labelled: false, file: 'm.tflite' },
    verification: Object.fromEntries(Object.entries(r.verification).map(([k, v]) => [k, { ...v, accuracy: null }])),
  };
  const u = checkBudgets(unlabelled, withBudgets({ minAccuracy: 0.99, arenaBytes: 1 }), { strict: true });
  assert.equal(byName(u, 'minAccuracy').verdict, 'skip');
  assert.match(byName(u, 'minAccuracy').message, /not applicable, the model was checked on random inputs without labels/);
  assert.equal(byName(u, 'arenaBytes').verdict, 'fail');
  // Without the device runtime, strict fails what could have been measured, as for a run.
  const { ['qemu:cortex-m4']: _dev, ...hostOnly } = unlabelled.verification;
  const h = checkBudgets({ ...unlabelled, verification: hostOnly }, withBudgets({ instructionsPerInference: 1e9 }), { strict: true });
  assert.equal(byName(h, 'instructionsPerInference').verdict, 'fail');
  assert.match(byName(h, 'instructionsPerInference').message, /cannot be measured/);
});

test('the accuracy drop counts the same samples on both sides: a verification on part of the test split that is exact drops to the shipped stage on the whole split', () => {
  const r = sampleReport(); // float 91% and phase 2 90% over 10 test samples; runtimes 90% over all 10
  const b = withBudgets({ maxAccuracyDrop: 0.2 });
  const part = (n: number, mismatches = 0) => ({
    ...r,
    dataset: { ...r.dataset!, test: 40 },
    shipped: { stage: 'phase1' as const, reason: 'test' },
    verification: Object.fromEntries(Object.entries(r.verification).map(([k, v]) => [k, { ...v, samples: n, accuracy: 0.7, mismatches }])),
  });
  const drop = byName(checkBudgets(part(10), b), 'maxAccuracyDrop');
  assert.equal(drop.value, 0.02); // float 0.91 - phase1 0.89, not 0.91 - 0.70
  assert.match(drop.message, /float -> phase1 on all 40 test samples; runtimes exact on 10/);
  // A runtime that differs from the reference, or a verification of the whole split, is judged as measured.
  assert.equal(byName(checkBudgets(part(10, 3), b), 'maxAccuracyDrop').value, 0.21);
  assert.equal(byName(checkBudgets(part(40), b), 'maxAccuracyDrop').value, 0.21);
  // minAccuracy stays the runtimes' own figure.
  assert.equal(byName(checkBudgets(part(10), withBudgets({ minAccuracy: 0.5 })), 'minAccuracy').value, 0.7);
});

test("modelFlashBytes judges the device form's bytes where the board flashes that instead of the file", () => {
  const r = sampleReport();
  const budget = withBudgets({ modelFlashBytes: 20_000 });
  const packed = { ...r, model: { ...r.model, fileBytes: 24_000, deviceBytes: 19_000 } };
  const flash = byName(checkBudgets(packed, budget), 'modelFlashBytes');
  assert.equal(flash.verdict, 'pass');
  assert.equal(flash.message, "modelFlashBytes: 19,000 B ≤ limit 20,000 B (model.tflite's device form, 95% of limit)");
  assert.equal(
    byName(checkBudgets({ ...packed, model: { ...packed.model, deviceBytes: 21_000 } }, budget), 'modelFlashBytes').verdict,
    'fail',
  );
});
