// bench:pqk rows: every row names its test-split size; every pqk row carries PQK - CE paired by seed with a t interval.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { buildRows, meanCi, t975 } from '../../bench/pqk/rows.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRecordedSettings, codeVersion, outputScope, RecordStore, runInfoBeside, type SeedRecord } from '../../bench/pqk/records.js';
import { provenanceLines, renderMarkdown, type RunInfo } from '../../bench/pqk/markdown.js';
import { expectedKeys, phase1Schedule } from '../../bench/pqk/runner.js';
import { configId, parseBenchArgs, parseConfig, settingsHash, type CompressConfig } from '../../bench/pqk/settings.js';
import { PHASE1_DEFAULTS, resolvePhase1 } from '../../src/compress/pqk/phase1.js';
import { PHASE2_DEFAULTS } from '../../src/compress/pqk/phase2.js';
import { FLOAT_DEFAULTS } from '../../src/train/float.js';
import { readJson } from '../../src/util/fs.js';

test('meanCi: the mean and a Student-t 95% interval; no interval from one seed', () => {
  const c = meanCi([1, 2, 3]); // mean 2, sample std 1, t(2) = 4.303
  assert.equal(c.mean, 2);
  assert.ok(Math.abs(c.ciLow! - (2 - 4.303 / Math.sqrt(3))) < 1e-12 && Math.abs(c.ciHigh! - (2 + 4.303 / Math.sqrt(3))) < 1e-12);
  assert.deepEqual(meanCi([0.5]), { mean: 0.5, ciLow: null, ciHigh: null });
  assert.equal(t975(1), 12.706);
  assert.equal(t975(200), 1.96);
});

test('buildRows: testSamples on every row, minusCe (percentage points) on the pqk row, paired by seed', () => {
  const cfg: CompressConfig = { pattern: 'channel', sparsity: 0.5, weightBits: 8 };
  const rec = (method: SeedRecord['method'], seed: number, accuracy: number, testSamples?: number): SeedRecord => ({
    task: 'kws',
    method,
    seed,
    accuracy,
    paramBytes: 100,
    wallSeconds: 1,
    ...(method === 'float' ? {} : { config: cfg }),
    ...(testSamples ? { testSamples } : {}),
  });
  const records = [
    rec('float', 1, 0.9, 2040),
    rec('float', 2, 0.91, 2040),
    rec('float', 3, 0.92, 2040),
    rec('phase1+ce', 1, 0.85, 2040),
    rec('phase1+ce', 2, 0.86, 2040),
    rec('phase1+ce', 3, 0.84, 2040),
    rec('pqk', 1, 0.86, 2040),
    rec('pqk', 2, 0.88, 2040),
    rec('pqk', 3, 0.87, 2040), // diffs 1, 2, 3 pp
    rec('phase1', 1, 0.8),
    rec('phase1', 2, 0.8, 2040), // one record without the field
    rec('scratch', 1, 0.78, 2040),
    rec('scratch', 2, 0.79, 2040),
  ];
  const rows = buildRows(records, ['kws'], [1, 2, 3], [cfg]);
  const by = (m: string) => rows.find((r) => r.method === m)!;
  assert.equal(by('float').testSamples, 2040);
  assert.equal(by('phase1').testSamples, null, 'a row with a record that lacks the size cannot claim one');
  assert.equal(by('phase1+ce').minusCe, undefined);
  // The small architecture from scratch is a row of the configuration like the others, after PQK.
  assert.deepEqual([rows.at(-1)!.method, by('scratch').seeds, by('scratch').accMean], ['scratch', [1, 2], 0.785]);
  const d = by('pqk').minusCe!;
  assert.equal(d.seeds, 3);
  assert.ok(Math.abs(d.mean - 2) < 1e-9, `mean ${d.mean}`);
  assert.equal(d.ciLow, Math.round((2 - 4.303 / Math.sqrt(3)) * 100) / 100);
  assert.equal(d.ciHigh, Math.round((2 + 4.303 / Math.sqrt(3)) * 100) / 100);
});

test('configuration ids: 2:4 reads and writes, and the scale preset holds the four schemes of the issue at whole splits', () => {
  assert.deepEqual(parseConfig('n2:4w8'), { pattern: '2:4', sparsity: 0.5, weightBits: 8 });
  assert.equal(configId({ pattern: '2:4', sparsity: 0.5, weightBits: 8 }), 'n2:4w8');
  assert.equal(configId(parseConfig('c0.5w4')!), 'c0.5w4');
  assert.equal(parseConfig('n3:4w8'), undefined);
  const s = parseBenchArgs(['--preset', 'scale', '--tasks', 'kws']);
  assert.deepEqual(s.configs.map(configId), ['c0.5w8', 'u0.8w8', 'u0.8w4', 'n2:4w8']);
  assert.deepEqual(s.seeds, [1, 2, 3]);
  assert.equal(s.train.kwsClipsPerWord, 1700);
  assert.ok(s.train.sizes.kws.test >= 1e9, 'the whole test split');
  // Its records are committed (bench/), its checkpoints are not; other settings keep both in the work folder.
  assert.equal(s.records, 'bench/pqk-scale.records.json');
  assert.equal(s.out, 'bench/pqk-scale');
  assert.match(s.work, /^runs\/bench-pqk\/scale-[0-9a-f]{10}$/);
  const other = parseBenchArgs(['--preset', 'scale', '--float-epochs', '3']);
  assert.equal(other.records, `${other.work}/records.json`);
  assert.equal(other.out, `${other.work}/pqk-ablation`);
});

test('the scale preset runs the recipe of pqk run: float, phase 1 per pattern (resolvePhase1) and phase 2 defaults', () => {
  const t = parseBenchArgs(['--preset', 'scale']).train;
  assert.equal(t.floatEpochs, FLOAT_DEFAULTS.epochs);
  // the hash of the committed records (bench/pqk-scale.run-info.json)
  assert.equal(settingsHash(t), '703168958c');
  assert.equal(t.floatLr, FLOAT_DEFAULTS.lr);
  assert.equal(t.floatWeightDecay, FLOAT_DEFAULTS.weightDecay);
  assert.ok(t.floatWeightDecay! > 0);
  for (const cfg of parseBenchArgs(['--preset', 'scale']).configs) {
    const want = resolvePhase1(undefined, { pattern: cfg.pattern, sparsity: cfg.sparsity });
    const got = phase1Schedule(t, cfg);
    assert.deepEqual(got, { rounds: want.rounds, epochsPerRound: want.epochsPerRound, finalEpochs: want.finalEpochs }, configId(cfg));
    assert.equal(t.p1Lr, want.lr);
    assert.equal(t.p1WeightDecay, want.weightDecay);
    assert.equal(t.p1Importance, want.importance);
    assert.equal(t.p1Scope, want.scope);
  }
  // unstructured pruning has its own, longer schedule; channel pruning the three rounds of PHASE1_DEFAULTS
  assert.notDeepEqual(phase1Schedule(t, parseConfig('u0.8w8')!), phase1Schedule(t, parseConfig('c0.5w8')!));
  assert.equal(phase1Schedule(t, parseConfig('c0.5w8')!).rounds, PHASE1_DEFAULTS.rounds);
  assert.deepEqual(
    [t.warmupEpochs, t.mutualEpochs, t.tau, t.lambda],
    [PHASE2_DEFAULTS.warmupEpochs, PHASE2_DEFAULTS.mutualEpochs, PHASE2_DEFAULTS.tau, PHASE2_DEFAULTS.lambda],
  );
});

test('scale-v1 keeps the recipe of its committed records (same settings hash), every pattern on one schedule', () => {
  const s = parseBenchArgs(['--preset', 'scale-v1', '--tasks', 'kws']);
  assert.equal(s.records, 'bench/pqk-scale-v1.records.json');
  assert.equal(s.out, 'bench/pqk-scale-v1');
  assert.equal(s.train.p1Lr, 0.003);
  assert.equal(s.train.tau, 4);
  assert.equal(s.train.floatWeightDecay, undefined);
  assert.deepEqual(phase1Schedule(s.train, parseConfig('u0.8w8')!), { rounds: 3, epochsPerRound: 3, finalEpochs: 20 });
  // the hash its records were made under (the work folder they came from: runs/bench-pqk/scale-<hash>)
  assert.equal(settingsHash(s.train), '0464c2b093');
  assert.notEqual(settingsHash(parseBenchArgs(['--preset', 'scale']).train), settingsHash(s.train));
});

test('records of other settings are refused with both hashes and the file named; the run info sits beside them', () => {
  assert.equal(runInfoBeside('bench/pqk-scale.records.json'), 'bench/pqk-scale.run-info.json');
  assert.equal(runInfoBeside('runs/x/records.json'), 'runs/x/run-info.json');
  assert.equal(runInfoBeside('mine.json'), 'mine.run-info.json');
  checkRecordedSettings('r.json', undefined, 'abc'); // a run info older than the field
  checkRecordedSettings('r.json', 'abc', 'abc');
  assert.throws(
    () => checkRecordedSettings('bench/pqk-scale.records.json', '0464c2b093', '0123456789'),
    /^RunStateError: bench\/pqk-scale\.records\.json holds results of other settings \(hash 0464c2b093 in bench\/pqk-scale\.run-info\.json, 0123456789 now\)/,
  );
});

test('--p1-rounds and --p1-epochs set the rounds of every pattern (unstructured pruning loses its own schedule)', () => {
  const t = parseBenchArgs(['--preset', 'scale', '--p1-rounds', '2']).train;
  assert.deepEqual(phase1Schedule(t, parseConfig('u0.8w8')!), {
    rounds: 2,
    epochsPerRound: PHASE1_DEFAULTS.epochsPerRound,
    finalEpochs: PHASE1_DEFAULTS.finalEpochs,
  });
  assert.deepEqual(phase1Schedule(t, parseConfig('u0.8w8')!), phase1Schedule(t, parseConfig('c0.5w8')!));
});

test('bench:pqk prints a bad flag as one line and exits 2 (a usage error, no stack)', async () => {
  const r = await execa('node', ['--import', 'tsx', 'bench/pqk.ts', '--preset', 'scal'], { reject: false });
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /^bench-pqk: --preset: unknown preset 'scal' \(scale, scale-v1, full, quick\)\nusage: npm run bench:pqk/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('the markdown of a run that has not reached a task says so instead of printing empty tables', () => {
  const s = parseBenchArgs(['--preset', 'scale']);
  const records = Object.values(readJson<Record<string, SeedRecord>>('bench/pqk-scale.records.json', 'records')).filter(
    (r) => r.task === 'kws',
  );
  const info = readJson<RunInfo>('bench/pqk-scale.run-info.json', 'run info');
  const md = renderMarkdown(s, buildRows(records, s.tasks, s.seeds, s.configs), records, info, 'no-such-notes.md');
  const [kws, image] = md.split('## Image: small ResNet on Fashion-MNIST');
  assert.match(image!, /^\s+No results yet: the run has not finished a method of this task/);
  assert.doesNotMatch(image!.split('## Reading')[0]!, /\| configuration/);
  // the KWS section keeps its tables: the float row, five methods of 50% channel (scratch included), four of each other
  const methodRows = kws!
    .split('\n')
    .filter((l) => /^\| [^|]+ \| (float|phase1|phase1\+ce|phase1\+warmup|pqk|scratch) \| [0-9.]+ ± [0-9.]+ \|/.test(l));
  assert.equal(methodRows.length, 18);
  // Float models only (the start of a task): their row, and the paired and teacher tables say they have no row yet.
  const floats: SeedRecord[] = [{ ...records.find((r) => r.method === 'float')!, task: 'image', testSamples: 7000 }];
  const early = renderMarkdown(s, buildRows(floats, s.tasks, s.seeds, s.configs), floats, info, 'no-such-notes.md')
    .split('## Image: small ResNet on Fashion-MNIST')[1]!
    .split('## Reading')[0]!;
  assert.match(early, /\| float32 \| float \| [0-9.]+ \(one seed\) \|/);
  assert.match(early, /No configuration has both its PQK and its CE result yet\./);
  assert.match(early, /No configuration has finished phase 1 yet\./);
  assert.doesNotMatch(early, /\| configuration \| PQK − CE/);
});

test('one seed is shown as one seed: no spread of 0.00 in the method, paired and teacher tables, nor in the reading', () => {
  const s = parseBenchArgs(['--preset', 'scale']);
  const all = Object.values(readJson<Record<string, SeedRecord>>('bench/pqk-scale.records.json', 'records'));
  const one = all.filter((r) => r.task === 'kws' && r.seed === 1);
  const info = readJson<RunInfo>('bench/pqk-scale.run-info.json', 'run info');
  const kws = renderMarkdown(s, buildRows(one, s.tasks, s.seeds, s.configs), one, info, 'no-such-notes.md').split('## Image')[0]!;
  assert.doesNotMatch(kws, /± 0\.00/);
  assert.match(kws, /\| channel 0\.5, int8 \| phase1 \| [0-9.]+ \(one seed\) \|/);
  assert.match(
    kws,
    /\| channel 0\.5, int8 \| -?[0-9.]+ \(one seed\) \| n\/a \(one seed\) \| -?[0-9.]+ \(one seed\) \| -?[0-9.]+ \(one seed\) \| n\/a \(one seed\) \| [01]\/1 \|/,
  );
  const md = renderMarkdown(s, buildRows(one, s.tasks, s.seeds, s.configs), one, info, 'no-such-notes.md');
  assert.match(
    md,
    /- kws: PQK beats the CE control in [0-4]\/4 configurations; mean PQK − CE -?[0-9.]+ pp on one seed \(no seed spread yet\)\./,
  );
  // Three seeds keep their spread.
  const three = all.filter((r) => r.task === 'kws');
  assert.match(
    renderMarkdown(s, buildRows(three, s.tasks, s.seeds, s.configs), three, info, 'no-such-notes.md'),
    /\| channel 0\.5, int8 \| phase1 \| 94\.40 ± 0\.44 \|[^\n]*\| 1,2,3 \|/,
  );
});

test('the results a scale run makes, for its progress line: the committed KWS records are exactly those of three seeds', () => {
  const s = parseBenchArgs(['--preset', 'scale']);
  const kws = Object.keys(readJson<Record<string, SeedRecord>>('bench/pqk-scale.records.json', 'records')).filter((k) =>
    k.startsWith('kws/'),
  );
  const expected = expectedKeys(s.seeds, ['kws'], s.configs);
  assert.deepEqual([...expected].sort(), [...kws].sort());
  assert.equal(expected.length, 3 * (1 + 4 * 4 + 1)); // float, four methods of four schemes, scratch for channel pruning
  // Fashion-MNIST's ResNet has no scratch row: 17 a seed.
  assert.equal(expectedKeys([1], ['image'], s.configs).length, 17);
  assert.ok(!expectedKeys([1], ['image'], s.configs).some((k) => k.includes('scratch')));
});

test('a run of some tasks, seeds or configurations rewrites the outputs over every recorded one', () => {
  const records = Object.values(readJson<Record<string, SeedRecord>>('bench/pqk-scale.records.json', 'records'));
  const part = parseBenchArgs(['--preset', 'scale', '--tasks', 'image', '--seeds', '3', '--configs', 'c0.5w8']);
  const scope = outputScope(part, records);
  assert.deepEqual(
    [scope.tasks, scope.seeds],
    [
      ['kws', 'image'],
      [1, 2, 3],
    ],
  );
  // The run's configuration first, then the others its records hold: all four of the preset.
  assert.equal(configId(scope.configs[0]!), 'c0.5w8');
  assert.deepEqual(scope.configs.map(configId).sort(), parseBenchArgs(['--preset', 'scale']).configs.map(configId).sort());
  // Without records it is the run's own.
  assert.deepEqual(outputScope(part, []).tasks, ['image']);
});

test('each new result says when, on what code and machine it was made; the markdown groups them by invocation day', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-prov-'));
  try {
    const path = join(dir, 'r.records.json');
    const store = new RecordStore(path);
    let clock = new Date('2026-12-08T01:02:30Z');
    store.origin = { code: 'abc1234', machine: '2 x CPU', now: () => clock };
    const cfg: CompressConfig = { pattern: 'channel', sparsity: 0.5, weightBits: 8 };
    const base = { task: 'image' as const, seed: 2, accuracy: 0.9, paramBytes: 1, wallSeconds: 1 };
    store.put({ ...base, method: 'float' });
    clock = new Date('2026-12-08T02:10:00Z');
    store.put({ ...base, method: 'phase1', config: cfg });
    // A record carrying its origin (copied from elsewhere) keeps it; one from before the field has none.
    const kept = { at: '2026-12-01 09:00 UTC', code: 'def5678-dirty', machine: 'other' };
    store.put({ ...base, method: 'pqk', config: cfg, made: kept });
    const legacy: SeedRecord = { ...base, method: 'phase1+ce', config: cfg };
    const back = new RecordStore(path); // read back from disk
    assert.deepEqual(back.get('image/float/float/s2')!.made, { at: '2026-12-08 01:02 UTC', code: 'abc1234', machine: '2 x CPU' });
    assert.equal(back.get('image/phase1/c0.5w8/s2')!.made!.at, '2026-12-08 02:10 UTC');
    assert.deepEqual(back.get('image/pqk/c0.5w8/s2')!.made, kept);
    const lines = provenanceLines([...back.all(), legacy]);
    assert.deepEqual(lines.slice(2), [
      '| 1 | 2026-12-01 09:00 UTC | def5678-dirty | other | image c0.5w8 s2 |',
      '| 2 | 2026-12-08 01:02 UTC to 02:10 UTC | abc1234 | 2 x CPU | image float s2, image c0.5w8 s2 |',
      '| 1 | before results carried their origin | `git log` of the records file | | |',
    ]);
    assert.deepEqual(provenanceLines([]), ['No results yet.']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the code version is the commit, "-dirty" only where a file other than the run\'s own outputs changed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-git-'));
  try {
    const git = (...a: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: dir });
    await git('init', '-q');
    writeFileSync(join(dir, 'code.ts'), 'a');
    writeFileSync(join(dir, 'r.records.json'), '{}');
    await git('add', '.');
    await git('commit', '-q', '-m', 'x');
    const head = (await git('rev-parse', '--short=7', 'HEAD')).stdout.trim();
    assert.equal(await codeVersion(['r.records.json'], dir), head);
    writeFileSync(join(dir, 'r.records.json'), '{"a":1}'); // the run's own records: still clean
    writeFileSync(join(dir, 'new.ts'), 'b'); // untracked: not part of the code git describes
    assert.equal(await codeVersion(['r.records.json'], dir), head);
    assert.equal(await codeVersion([], dir), `${head}-dirty`);
    writeFileSync(join(dir, 'code.ts'), 'changed');
    assert.equal(await codeVersion(['r.records.json'], dir), `${head}-dirty`);
    assert.equal(await codeVersion([], tmpdir()), 'unknown'); // outside git
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
