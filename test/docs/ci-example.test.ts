// docs/ci-example.yml: valid against GitHub's workflow schema (action-validator), and free of the mistakes that make
// a first run fail or count a budget twice.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const FILE = 'docs/ci-example.yml';
const text = readFileSync(FILE, 'utf8');
const validator = join('node_modules', '.bin', 'action-validator');

test('the workflow validates against the GitHub Actions schema, and a broken copy does not', () => {
  const ok = spawnSync(validator, [FILE], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'pqk-ci-'));
  try {
    const broken = join(dir, 'broken.yml');
    writeFileSync(broken, text.replace('runs-on:', 'runs-onn:'));
    const bad = spawnSync(validator, [broken], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout + bad.stderr, /runs-onn/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runs in the Debian 12 image, caches apt and the dataset keyed on the tool versions it records', () => {
  assert.match(text, /container: node:20-bookworm/);
  assert.match(text, /path: \/var\/cache\/apt\/archives/);
  // every engine and tool whose version the set's stamp records (src/data/synth-kws.ts) is in the dataset's key
  const keyLine = text.split('\n').find((l) => l.includes('key=$(')) ?? assert.fail('no dataset key');
  for (const tool of ['espeak-ng', 'flite', 'festival', 'sox']) assert.ok(keyLine.includes(`${tool} --version`), `${tool} in the key`);
  assert.match(text, /hashFiles\('src\/data\/synth-\*\.ts', 'src\/data\/flite\.ts', 'src\/data\/festival\.ts'\)/);
  assert.match(text, /key: kws-\$\{\{ steps\.tools\.outputs\.key \}\}/);
});

test("nothing is written over the run folder's own files, and each budget is published once", () => {
  // pqk keeps its settings in runs/ci/run.json: a redirect into the run folder would overwrite them.
  assert.doesNotMatch(text, />\s*runs\/ci\//);
  const published = /report_paths: (\S+)/.exec(text)![1]!;
  assert.equal(published, 'runs/budgets.xml');
  assert.ok(!published.includes('*'), "no glob that also picks up the run's own junit.xml");
  // Works before a baseline is committed.
  assert.match(text, /if \[ -f baseline\/report\.json \]/);
  assert.doesNotMatch(text, /npx pqk/);
});
