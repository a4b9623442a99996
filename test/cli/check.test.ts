// `pqk check` end to end on a model pqk did not write (the MLPerf Tiny reference DS-CNN, made by the TFLite
// converter): every runtime of the target, budgets and their exit codes, report files that `pqk budget` reads, and
// the user's mistakes as one line each.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { randomInputs } from '../../src/pipeline/check.js';
import { readVerifiable } from '../../src/pipeline/verify.js';
import { readReport } from '../../src/report/json.js';
import { plannedArena } from '../../src/runtimes/micro-host.js';
import { writeNpy } from '../../src/util/npy.js';
import { assertUserError, cli } from './harness.js';

const MLPERF = 'test/fixtures/mlperf-tiny-kws/kws_ref_model.tflite';
const FLOAT = 'test/fixtures/mlperf-tiny-kws/kws_ref_model_float32.tflite';
const root = mkdtempSync(join(tmpdir(), 'pqk-check-'));
after(() => rmSync(root, { recursive: true, force: true }));

function targetFile(name: string, patch: (t: Record<string, any>) => void): string {
  const t = JSON.parse(readFileSync('targets/cortex-m4.json', 'utf8'));
  t.name = name;
  delete t.$schema;
  patch(t);
  const file = join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify(t));
  return file;
}

test('a converter-made int8 model on cortex-m4 with random inputs: exact on TFLite and the board, budgets judged, accuracy not applicable even under --strict', async () => {
  const out = join(root, 'm4');
  const r = await cli(['check', MLPERF, '--target', 'cortex-m4', '--random', '3', '--seed', '4', '--out', out, '--strict', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const budget = (name: string) => j.budgets.find((b: { name: string }) => b.name === name);
  for (const rt of ['tflite', 'qemu:cortex-m4']) {
    assert.equal(j.verification[rt].samples, 3);
    assert.equal(j.verification[rt].mismatches, 0, rt);
    assert.equal(j.verification[rt].accuracy, null, rt);
    assert.equal(budget(`exact:${rt}`).verdict, 'pass');
  }
  assert.equal(j.verification['qemu:cortex-m4'].reference, 'tflm');
  assert.equal(j.verification.tflite.reference, 'x86-64');
  // The board's arena is the one pqk micro's planner gives the same file on the host (optimized kernels, as deployed).
  assert.equal(j.verification['qemu:cortex-m4'].arenaBytes, (await plannedArena(new Uint8Array(readFileSync(MLPERF)))).optimized);
  assert.equal(budget('modelFlashBytes').value, 53936);
  assert.equal(budget('instructionsPerInference').verdict, 'pass');
  assert.ok(budget('instructionsPerInference').value > 2656768, 'at least one instruction per MAC');
  for (const name of ['minAccuracy', 'maxAccuracyDrop', 'endToEndInstructions']) {
    assert.equal(budget(name).verdict, 'skip', name);
    assert.match(budget(name).message, /not applicable/, name);
  }
  assert.equal(j.figures.macs, 2656768);
  assert.deepEqual(j.figures.operators, ['CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX']);
  assert.equal(budget('operators').verdict, 'pass');
  assert.deepEqual(j.inputs, { inputs: 'random', labelled: false, file: MLPERF });
  // The report files: report.json passes its schema, the folder holds the bytes judged, report.md says what was run.
  const report = readReport(join(out, 'report.json'));
  assert.equal(report.ok, true);
  assert.deepEqual(report.stages, []);
  assert.equal(report.seed, 4);
  assert.deepEqual(readFileSync(join(out, 'model.tflite')), readFileSync(MLPERF));
  assert.match(
    readFileSync(join(out, 'report.md'), 'utf8'),
    /\| checked \| `.*kws_ref_model\.tflite` as given \(no training stages\), on 3 seeded random int8 inputs \(seed 4\), without labels: no accuracy \|/,
  );
  assert.match(readFileSync(join(out, 'junit.xml'), 'utf8'), /tests="11" failures="0" errors="0" skipped="3"/);
  // pqk budget re-judges it alike, and against itself as a baseline.
  const b = await cli(['budget', join(out, 'report.json'), '--baseline', join(out, 'report.json'), '--strict', '--json']);
  assert.equal(b.code, 0, b.stderr);
  const names = JSON.parse(b.stdout).budgets.map((x: { name: string; verdict: string }) => `${x.name}:${x.verdict}`);
  assert.ok(
    names.includes('baseline.instructions:qemu:cortex-m4:pass') && names.includes('baseline.accuracy:tflite:skip'),
    names.join(' '),
  );
});

test('inputs from a .npy file on a host-only target: exact in TFLite; a budget set too small exits 3 naming it, an unlabelled minimum accuracy is not applicable', async () => {
  const m = readVerifiable(new Uint8Array(readFileSync(MLPERF)), MLPERF);
  const inputs = randomInputs(m, 2, 9);
  const npy = join(root, 'two.npy');
  const flat = new Int8Array(2 * 490);
  inputs.forEach((x, i) => flat.set(x, i * 490));
  writeFileSync(npy, writeNpy(flat, [2, 49, 10, 1]));
  const tight = targetFile('tight-host', (t) => {
    t.runtimes = ['tflite'];
    t.budgets = { modelFlashBytes: 50000, minAccuracy: 0.9 };
    t.operators = t.operators.filter((op: string) => op !== 'SOFTMAX');
  });
  const out = join(root, 'npy');
  const r = await cli(['check', MLPERF, '--target', tight, '--inputs', npy, '--out', out, '--json', '--no-strict']);
  assert.equal(r.code, 3, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.ok, false);
  assert.equal(j.verification.tflite.samples, 2);
  assert.equal(j.verification.tflite.mismatches, 0);
  assert.deepEqual(
    j.budgets.map((b: { name: string; verdict: string }) => `${b.name}:${b.verdict}`),
    ['modelFlashBytes:fail', 'minAccuracy:skip', 'deviceFlashBytes:skip', 'deviceRamBytes:skip', 'operators:fail', 'exact:tflite:pass'],
  );
  assert.match(r.stderr, /FAIL modelFlashBytes: 53,936 B exceeds limit 50,000 B/);
  assert.match(
    r.stderr,
    /FAIL operators: SOFTMAX is not among tight-host's operators \(CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, ADD, RESHAPE, QUANTIZE, DEQUANTIZE, PAD, CONCATENATION, MUL, LOGISTIC, HARD_SWISH, SQUEEZE, EXPAND_DIMS\)/,
  );
  assert.match(readFileSync(join(out, 'junit.xml'), 'utf8'), /<failure message="modelFlashBytes: 53,936 B exceeds limit 50,000 B/);
  // Under CI (strict by default) the device budgets this target cannot measure fail; the unlabelled accuracy stays
  // not applicable.
  const ci = await cli(['check', MLPERF, '--target', tight, '--inputs', npy, '--out', join(root, 'npy-ci'), '--json'], { CI: 'true' });
  assert.equal(ci.code, 3, ci.stderr);
  assert.deepEqual(
    JSON.parse(ci.stdout).budgets.map((b: { name: string; verdict: string }) => `${b.name}:${b.verdict}`),
    ['modelFlashBytes:fail', 'minAccuracy:skip', 'deviceFlashBytes:fail', 'deviceRamBytes:fail', 'operators:fail', 'exact:tflite:pass'],
  );
  const local = await cli(['check', MLPERF, '--target', tight, '--inputs', npy, '--out', join(root, 'npy-local'), '--json'], {
    CI: undefined,
  });
  assert.equal(JSON.parse(local.stdout).budgets.find((b: { name: string }) => b.name === 'deviceFlashBytes').verdict, 'skip');
});

test('--baseline: the comparison with an earlier report joins the budgets and report.md; a regression exits 3', async () => {
  const host = targetFile('host', (t) => {
    t.runtimes = ['tflite'];
    t.budgets = { modelFlashBytes: 65536 };
  });
  const args = (out: string) => ['check', MLPERF, '--target', host, '--random', '2', '--out', join(root, out), '--json', '--no-strict'];
  const first = await cli(args('base'));
  assert.equal(first.code, 0, first.stderr);
  const same = await cli([...args('same'), '--baseline', join(root, 'base', 'report.json')]);
  assert.equal(same.code, 0, same.stderr);
  const names = (j: { budgets: { name: string; verdict: string }[] }) =>
    j.budgets.filter((b) => b.name.startsWith('baseline.')).map((b) => `${b.name}:${b.verdict}`);
  assert.deepEqual(names(JSON.parse(same.stdout)), ['baseline.fileBytes:pass', 'baseline.accuracy:tflite:skip']);
  // A baseline whose file was 3% smaller: the model grew beyond the 2% tolerance.
  const smaller = readReport(join(root, 'base', 'report.json'));
  smaller.model.fileBytes = Math.round(53936 / 1.03);
  const file = join(root, 'smaller.json');
  writeFileSync(file, JSON.stringify(smaller));
  const grew = await cli([...args('grew'), '--baseline', file]);
  assert.equal(grew.code, 3, grew.stderr);
  const report = readReport(join(root, 'grew', 'report.json'));
  assert.deepEqual([report.ok, report.baseline], [false, { file, tolerance: { bytes: 0.02, instructions: 0.02, accuracy: 0.01 } }]);
  const md = readFileSync(join(root, 'grew', 'report.md'), 'utf8');
  assert.match(
    md,
    /## Against the baseline \(`[^`]*smaller\.json`\)\n\nTolerance: bytes \+2\.0%, instructions \+2\.0%, accuracy −1\.00 points\./,
  );
  assert.match(md, /- \*\*FAIL\*\* baseline\.fileBytes: 53,936 B vs baseline 52,365 B \(\+3\.0%, tolerance \+2\.0%\)/);
  assertUserError(await cli([...args('tol'), '--tolerance', 'bytes=0.1']), 2, /--tolerance needs --baseline/, 'tolerance alone', assert);
  assertUserError(await cli([...args('nobase'), '--baseline', join(root, 'nope.json')]), 1, /nope\.json/, 'missing baseline', assert);
});

test("the user's mistakes: a float model, inputs of another shape, two input sources, flags that do not apply", async () => {
  assertUserError(
    await cli(['check', FLOAT, '--random', '1', '--out', join(root, 'f')]),
    1,
    /kws_ref_model_float32\.tflite: float model \(float32 input 'input_1'\): pqk runs integer models with int8 input and output/,
    'float',
    assert,
  );
  const wrong = join(root, 'wrong.npy');
  writeFileSync(wrong, writeNpy(new Float32Array(28 * 28), [28, 28, 1]));
  assertUserError(
    await cli(['check', MLPERF, '--inputs', wrong, '--out', join(root, 'w'), '--json']),
    1,
    /wrong\.npy: the model's input is 49x10x1 per sample .* the file has \(28, 28, 1\)/,
    'shape',
    assert,
  );
  assertUserError(
    await cli(['check', MLPERF, '--inputs', wrong, '--random', '2']),
    2,
    /--inputs and --random: give one source of inputs/,
    'two sources',
    assert,
  );
  assertUserError(await cli(['check', MLPERF, '--limit', '5']), 2, /--limit applies to --data only/, 'limit', assert);
  assertUserError(await cli(['check', MLPERF, '--inputs', wrong, '--seed', '3']), 2, /--seed applies to --random only/, 'seed', assert);
  assertUserError(
    await cli(['check', MLPERF, '--random', '0']),
    2,
    /--random must be an integer >= 1 and <= 100000, got '0'/,
    'random 0',
    assert,
  );
  assertUserError(await cli(['check']), 2, /expected exactly one model file/, 'no model', assert);
});
