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
  writeFileSync(config, JSON.stringify({ float: { epochs: 2, batchSize: 32 }, phase1: { epochsPerRound: 1, rounds: 2, batchSize: 32 }, phase2: { warmupEpochs: 1, mutualEpochs: 1, batchSize: 32 } }));
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
  const r = pqk(['run', '--target', tight, '--data', data, '--out', out, '--config', config]);
  assert.equal(r.status, 3, r.stderr + r.stdout);
  assert.match(r.stdout, /FAIL modelFlashBytes/);
  assert.match(r.stdout, /budget\(s\) failed: modelFlashBytes/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.ok, false);
  assert.equal(report.verification.tflite.mismatches, 0);
  assert.ok(existsSync(join(out, 'junit.xml')) && existsSync(join(out, 'report.md')));
  const loose = targetFile('loose-board', (t) => (t.budgets = { modelFlashBytes: 1_000_000 }));
  const ok = pqk(['run', '--target', loose, '--data', data, '--out', out, '--config', config]);
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /float: finished earlier/); // same settings: nothing is trained again
});

test('a malformed target file is an error that names the file and the field', () => {
  const bad = targetFile('bad-board', (t) => (t.budgets.arenaBytes = 'lots'));
  const r = pqk(['run', '--target', bad, '--data', data, '--out', join(root, 'run-bad')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad-board\.json/);
  assert.match(r.stderr, /\/budgets\/arenaBytes/);
});

test('a run killed in the middle of phase 1 resumes where it stopped', async () => {
  const out = join(root, 'run-kill');
  const target = targetFile('resume-board', () => {});
  const slow = join(root, 'slow.json');
  writeFileSync(slow, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), phase1: { epochsPerRound: 3, rounds: 2, batchSize: 16 } }));
  const args = ['run', '--target', target, '--data', data, '--out', out, '--config', slow];
  const child = spawn(process.execPath, [...cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (b: Buffer) => (log += b.toString()));
  const progress = join(out, 'checkpoints', 'phase1-round1-progress.json');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (existsSync(progress)) child.kill('SIGKILL');
    }, 20);
    child.on('exit', () => {
      clearInterval(poll);
      resolve();
    });
  });
  assert.ok(existsSync(progress), 'the run was killed during phase 1, after an epoch checkpoint');
  assert.ok(!existsSync(join(out, 'report.json')));
  const r = pqk(args);
  assert.ok(r.status === 0 || r.status === 3, r.stderr);
  assert.match(r.stdout, /float: finished earlier/);
  assert.doesNotMatch(r.stdout, /float: epoch/);
  assert.match(r.stdout, /phase1-round1: (resuming after epoch [12]\/3|finished earlier)/);
  assert.doesNotMatch(r.stdout, /phase1: round 1\/2: pruned/, 'round 1 was not started again');
  assert.ok(existsSync(join(out, 'report.json')));
});
