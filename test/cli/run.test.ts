// `pqk run` end to end on a tiny synthetic set: exit codes for budgets and bad targets, and resume after a kill.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { synthKws } from '../../src/data/index.js';

const root = mkdtempSync(join(tmpdir(), 'pqk-cli-'));
const data = join(root, 'kws');
const config = join(root, 'fast.json');
const cli = ['--import', 'tsx', 'src/cli/dev.ts'];
after(() => rmSync(root, { recursive: true, force: true }));

before(async () => {
  await synthKws({ out: data, clipsPerWord: 6, seed: 3 });
  writeFileSync(
    config,
    JSON.stringify({
      float: { epochs: 2, batchSize: 32 },
      phase1: { epochsPerRound: 1, finalEpochs: 1, rounds: 2, batchSize: 32 },
      phase2: { warmupEpochs: 1, mutualEpochs: 1, batchSize: 32 },
    }),
  );
});

function targetFile(name: string, patch: (t: Record<string, any>) => void): string {
  const t = JSON.parse(readFileSync('targets/cortex-m4.json', 'utf8'));
  t.name = name;
  t.runtimes = ['tflite'];
  delete t.$schema;
  patch(t);
  const file = join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify(t));
  return file;
}

function pqk(args: string[]) {
  return spawnSync(process.execPath, [...cli, ...args], { encoding: 'utf8' });
}

test('a budget set too small fails with exit code 3 and names the budget; a generous one passes', () => {
  const out = join(root, 'run-budget');
  const tight = targetFile('tight-board', (t) => (t.budgets = { modelFlashBytes: 1000 }));
  const r = pqk(['run', '--target', tight, '--data', data, '--out', out, '--config', config, '--no-strict']);
  assert.equal(r.status, 3, r.stderr + r.stdout);
  assert.match(r.stdout, /FAIL modelFlashBytes/);
  assert.match(r.stdout, /budget\(s\) failed: modelFlashBytes/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.ok, false);
  assert.equal(report.verification.tflite.mismatches, 0);
  assert.ok(existsSync(join(out, 'junit.xml')) && existsSync(join(out, 'report.md')));
  // A microcontroller target's run writes the C bundle of the exported bytes, named in the report.
  const c = readFileSync(join(out, 'deploy', 'model_data.c'), 'utf8');
  const model = readFileSync(join(out, 'model.tflite'));
  assert.equal(Number(/pqk_model_data_len = (\d+)u/.exec(c)?.[1]), model.length);
  assert.match(report.deploy.sha256, /^[0-9a-f]{64}$/);
  assert.ok(report.deploy.files > 30 && existsSync(join(out, 'deploy', 'pqk_micro', 'micro.h')));
  assert.match(
    readFileSync(join(out, 'report.md'), 'utf8'),
    new RegExp(`\\| C bundle \\| \`deploy/\` \\(${report.deploy.files} files, sha256 ${report.deploy.sha256.slice(0, 16)}`),
  );
  const loose = targetFile('loose-board', (t) => (t.budgets = { modelFlashBytes: 1_000_000 }));
  // The board runs only x86-64 TFLite: its device flash and RAM cannot be measured, which strict mode (CI's default)
  // fails and --no-strict skips.
  const ok = pqk(['run', '--target', loose, '--data', data, '--out', out, '--config', config, '--no-strict']);
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /float: finished earlier/); // same settings: nothing is trained again
  assert.match(ok.stdout, /SKIP deviceFlashBytes: skipped, the target's emulator runtime \(qemu:cortex-m4\) is not among its runtimes/);
  const strict = pqk(['run', '--target', loose, '--data', data, '--out', out, '--config', config, '--strict']);
  assert.equal(strict.status, 3, strict.stderr + strict.stdout);
  assert.match(strict.stdout, /budget\(s\) failed: deviceFlashBytes, deviceRamBytes/);
});

test('a malformed target file is an error that names the file and the field', () => {
  const bad = targetFile('bad-board', (t) => (t.budgets.arenaBytes = 'lots'));
  const r = pqk(['run', '--target', bad, '--data', data, '--out', join(root, 'run-bad')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad-board\.json/);
  assert.match(r.stderr, /\/budgets\/arenaBytes/);
});

// Kills `pqk run` (SIGKILL) once the named epoch checkpoint exists; returns whether it did.
async function killAt(args: string[], progress: string): Promise<boolean> {
  const child = spawn(process.execPath, [...cli, ...args], { stdio: 'ignore' });
  let killed = false;
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (existsSync(progress) && !killed) killed = child.kill('SIGKILL');
    }, 10);
    child.on('exit', () => {
      clearInterval(poll);
      resolve();
    });
  });
  return killed;
}

test('a run killed at any stage resumes where it stopped and ends with the same model.tflite bytes', async () => {
  const target = targetFile('resume-board', () => {});
  const slow = join(root, 'slow.json');
  writeFileSync(
    slow,
    JSON.stringify({
      float: { epochs: 2, batchSize: 16 },
      phase1: { epochsPerRound: 3, finalEpochs: 3, rounds: 2, batchSize: 16 },
      phase2: { warmupEpochs: 2, mutualEpochs: 3, batchSize: 16 },
    }),
  );
  const argsFor = (out: string) => ['run', '--target', target, '--data', data, '--out', out, '--config', slow];
  const ref = join(root, 'run-ref');
  const whole = pqk(argsFor(ref));
  assert.ok(whole.status === 0 || whole.status === 3, whole.stderr);
  const want = readFileSync(join(ref, 'model.tflite'));
  for (const stage of ['phase1-round1', 'phase2-warmup', 'phase2']) {
    const out = join(root, `run-kill-${stage}`);
    const progress = join(out, 'checkpoints', `${stage}-progress.json`);
    const killed = await killAt(argsFor(out), progress);
    assert.ok(killed && existsSync(progress), `killed during ${stage}, after an epoch checkpoint`);
    assert.ok(!existsSync(join(out, 'report.json')));
    const r = pqk(argsFor(out));
    assert.ok(r.status === 0 || r.status === 3, r.stderr);
    assert.match(r.stdout, /float: finished earlier/);
    assert.doesNotMatch(r.stdout, /float: epoch/);
    assert.match(r.stdout, new RegExp(`${stage}: (resuming after epoch \\d/\\d|finished earlier)`));
    if (stage === 'phase1-round1') assert.doesNotMatch(r.stdout, /phase1: round 1\/2: pruned/, 'round 1 was not started again');
    // Optimizer moments (the teacher's too), Adam's beta powers, quantizer counters and the data order all resume.
    assert.deepEqual(readFileSync(join(out, 'model.tflite')), want, `${stage}: same bytes as the uninterrupted run`);
  }
});

test('the CE control trains beside PQK; a phase-2 student ships only when it beats phase 1 on validation by a paired z >= 1.645; both reported', () => {
  const out = join(root, 'run-control');
  const loose = targetFile('control-board', (t) => (t.budgets = { modelFlashBytes: 1_000_000 }));
  const r = pqk(['run', '--target', loose, '--data', data, '--out', out, '--config', config, '--ce-control', '--no-strict']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.deepEqual(
    report.stages.map((s: { name: string }) => s.name),
    ['float', 'phase1', 'phase2', 'phase2-ce'],
  );
  const val = (name: string) => report.stages.find((s: { name: string }) => s.name === name).valAccuracy as number;
  // The reason gives each phase-2 student's paired counts against phase 1 on the validation split.
  const m =
    /on (\d+) validation samples .*against phase1: phase2 \+(\d+) \/ -(\d+), z (-?[\d.]+); phase2-ce \+(\d+) \/ -(\d+), z (-?[\d.]+)\)$/.exec(
      report.shipped.reason,
    );
  assert.ok(m, report.shipped.reason);
  const n = Number(m[1]);
  const pairs = { phase2: [Number(m[2]), Number(m[3]), Number(m[4])], 'phase2-ce': [Number(m[5]), Number(m[6]), Number(m[7])] };
  for (const [name, [b, c, z]] of Object.entries(pairs)) {
    // the per-sample results behind the counts are the ones the stages' validation accuracies were measured on
    assert.ok(
      Math.abs(val(name) - val('phase1') - (b - c) / n) < 1e-9,
      `${name}: +${b} -${c} on ${n} against ${val(name)} - ${val('phase1')}`,
    );
    assert.ok(Math.abs(z - (b + c === 0 ? 0 : (b - c) / Math.sqrt(b + c))) < 0.006, `${name} z ${z}`);
  }
  const better = Object.entries(pairs)
    .filter(([, [, , z]]) => z >= 1.645)
    .map(([name]) => name);
  const best = better.length === 0 ? 'phase1' : better.reduce((a, b) => (val(b) > val(a) ? b : a));
  assert.equal(report.shipped.stage, best);
  assert.match(r.stdout, new RegExp(`ship: ${best} \\(`));
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), new RegExp(`\\| shipped \\| ${best}: `));
  // The exported model is the shipped student: its accuracy in TFLite is that stage's (fake-quant = integer).
  const stage = report.stages.find((s: { name: string }) => s.name === best);
  assert.equal(report.verification.tflite.accuracy, stage.accuracy);
  // The float model and the shipped student paired per test sample: their counts give the drop TFLite measured.
  const d = report.accuracyDrop;
  assert.equal(d.samples, report.dataset.test);
  const float = report.stages.find((s: { name: string }) => s.name === 'float').accuracy as number;
  assert.ok(Math.abs((d.floatOnly - d.integerOnly) / d.samples - (float - stage.accuracy)) < 1e-9, JSON.stringify(d));
  const [f, i] = [d.floatOnly / d.samples, d.integerOnly / d.samples];
  assert.ok(Math.abs(d.standardError - Math.sqrt((f + i - (f - i) ** 2) / d.samples)) < 1e-12);
});
