// bench:pqk rows: every row names its test-split size; every pqk row carries PQK - CE paired by seed with a t interval.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRows, meanCi, t975 } from '../../bench/pqk/rows.js';
import type { SeedRecord } from '../../bench/pqk/records.js';
import { configId, parseBenchArgs, parseConfig, type CompressConfig } from '../../bench/pqk/settings.js';

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
  assert.equal(s.train.p1FinalEpochs, 20);
  // Its records are committed (bench/), its checkpoints are not; other settings keep both in the work folder.
  assert.equal(s.records, 'bench/pqk-scale.records.json');
  assert.equal(s.out, 'bench/pqk-scale');
  assert.match(s.work, /^runs\/bench-pqk\/scale-[0-9a-f]{10}$/);
  const other = parseBenchArgs(['--preset', 'scale', '--float-epochs', '3']);
  assert.equal(other.records, `${other.work}/records.json`);
  assert.equal(other.out, `${other.work}/pqk-ablation`);
});
