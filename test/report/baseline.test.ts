import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBaseline, DEFAULT_TOLERANCE, parseTolerance } from '../../src/report/baseline.js';
import type { RunReport, RuntimeVerification } from '../../src/report/types.js';
import { sampleReport } from './fixture.js';

const DEV = 'qemu:cortex-m4';

function changed(r: RunReport, fileBytes: number, dev: Partial<RuntimeVerification>): RunReport {
  return { ...r, model: { ...r.model, fileBytes }, verification: { ...r.verification, [DEV]: { ...r.verification[DEV]!, ...dev } } };
}

test('parseTolerance reads the flag and keeps defaults for keys left out', () => {
  assert.deepEqual(parseTolerance('bytes=0.05,accuracy=0.002'), {
    bytes: 0.05,
    instructions: DEFAULT_TOLERANCE.instructions,
    accuracy: 0.002,
  });
  assert.deepEqual(parseTolerance(''), DEFAULT_TOLERANCE);
  assert.throws(() => parseTolerance('size=0.1'), /--tolerance: unknown entry 'size=0\.1'/);
  assert.throws(() => parseTolerance('bytes=-1'), /--tolerance: bytes must be a number >= 0, got '-1'/);
  assert.throws(() => parseTolerance('bytes='), /--tolerance: bytes must be a number >= 0/);
});

test('a run equal to its baseline passes every comparison', () => {
  const r = sampleReport();
  const results = compareBaseline(r, r, DEFAULT_TOLERANCE);
  assert.deepEqual(
    results.map((b) => `${b.name}=${b.verdict}`),
    [
      'baseline.fileBytes=pass',
      'baseline.arenaBytes:tflite=pass',
      'baseline.accuracy:tflite=pass',
      `baseline.arenaBytes:${DEV}=pass`,
      `baseline.instructions:${DEV}=pass`,
      `baseline.accuracy:${DEV}=pass`,
    ],
  );
});

test('growth within the tolerance passes, beyond it fails with both figures named', () => {
  const base = sampleReport();
  const tol = parseTolerance('bytes=0.02,instructions=0.02,accuracy=0.01');
  // +1.5 % bytes, +1.9 % instructions, -0.9 points accuracy: all inside
  const near = changed(base, 24_360, { instructionsPerInference: { min: 0, mean: 0, max: 9_680_000 }, accuracy: 0.891 });
  assert.ok(compareBaseline(near, base, tol).every((b) => b.verdict === 'pass'));
  // +2.5 % bytes, +5 % instructions, -2 points accuracy
  const far = changed(base, 24_600, { instructionsPerInference: { min: 0, mean: 0, max: 9_975_000 }, accuracy: 0.88 });
  const results = compareBaseline(far, base, tol);
  const fails = results.filter((b) => b.verdict === 'fail');
  assert.deepEqual(
    fails.map((b) => b.name),
    ['baseline.fileBytes', `baseline.instructions:${DEV}`, `baseline.accuracy:${DEV}`],
  );
  assert.equal(fails[0]!.message, 'baseline.fileBytes: 24,600 B vs baseline 24,000 B (+2.5%, tolerance +2.0%)');
  assert.equal(fails[0]!.limit, 24_480);
  assert.match(fails[1]!.message, /9\.97 M instr vs baseline 9\.50 M instr \(\+5\.0%/);
  assert.equal(fails[2]!.message, `baseline.accuracy:${DEV}: 88.00% vs baseline 90.00% (-2.00 points, tolerance -1.00 points)`);
  // a looser tolerance lets the same run through
  assert.ok(compareBaseline(far, base, parseTolerance('bytes=0.03,instructions=0.06,accuracy=0.03')).every((b) => b.verdict === 'pass'));
});

test('shrinking and improving always pass; a figure only one run has is skipped', () => {
  const base = sampleReport();
  const better = changed(base, 12_000, { instructionsPerInference: { min: 0, mean: 0, max: 5_000_000 }, accuracy: 0.95 });
  assert.ok(compareBaseline(better, base, parseTolerance('bytes=0,instructions=0,accuracy=0')).every((b) => b.verdict === 'pass'));
  const uncounted = changed(base, 24_000, { instructionsPerInference: null });
  const ins = compareBaseline(uncounted, base).find((b) => b.name === `baseline.instructions:${DEV}`)!;
  assert.equal(ins.verdict, 'skip');
  assert.equal(ins.message, `baseline.instructions:${DEV}: skipped, not measured in this run`);
});

test('a device form (packed 2:4 weights) is compared too: the bytes the board flashes, the file where a run has none', () => {
  const base = sampleReport();
  assert.equal(base.model.deviceBytes, undefined);
  assert.ok(!compareBaseline(base, base).some((b) => b.name === 'baseline.deviceBytes'), 'no device form in either run: no entry');
  const packed = { ...base, model: { ...base.model, fileBytes: 30_000, deviceBytes: 18_000 } };
  const tol = parseTolerance('bytes=0.02');
  // the file grew by both weight forms, the flashed bytes shrank against the dense baseline's file (24,000 B)
  const r = compareBaseline(packed, base, tol);
  assert.deepEqual(
    r.filter((b) => b.name.endsWith('Bytes')).map((b) => `${b.name}=${b.verdict}`),
    ['baseline.fileBytes=fail', 'baseline.deviceBytes=pass'],
  );
  assert.equal(
    r.find((b) => b.name === 'baseline.deviceBytes')!.message,
    'baseline.deviceBytes: 18,000 B vs baseline 24,000 B (-25.0%, tolerance +2.0%)',
  );
  const grown = { ...packed, model: { ...packed.model, deviceBytes: 18_500 } };
  const d = compareBaseline(grown, packed, tol).find((b) => b.name === 'baseline.deviceBytes')!;
  assert.equal(d.verdict, 'fail');
  assert.equal(d.limit, 18_360);
});
