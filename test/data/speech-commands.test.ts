import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/index.js';
import { DEFAULT_AUGMENT } from '../../src/data/augment.js';
import { KWS_KEYWORDS, loadSpeechCommands } from '../../src/data/speech-commands.js';
import { hashSplit } from '../../src/data/sc-layout.js';
import type { Dataset } from '../../src/data/types.js';
import { makeTinySet, removeTinySets } from './fixtures.js';

after(removeTinySets);

function counts(ds: Dataset, split: 'train' | 'val' | 'test'): number[] {
  const c = new Array<number>(ds.labels.length).fill(0);
  for (const y of ds[split].y) c[y]++;
  return c;
}

test('12-class protocol: keywords, a fair share of _unknown_ and _silence_, splits from the lists', async () => {
  const dir = makeTinySet();
  const ds = await loadDataset(dir, { cache: false });
  assert.deepEqual(ds.labels, [...KWS_KEYWORDS, '_silence_', '_unknown_']);
  assert.deepEqual(ds.inputShape, [49, 10, 1]);
  assert.equal(ds.task, 'kws');
  assert.equal(ds.frontend?.frames, 49);
  // 8 train speakers per keyword, fair share = 80 / 10 = 8; val and test have 1 speaker each.
  assert.deepEqual(counts(ds, 'train'), [...new Array(10).fill(8), 8, 8]);
  assert.deepEqual(counts(ds, 'val'), new Array(12).fill(1));
  assert.deepEqual(counts(ds, 'test'), new Array(12).fill(1));
  for (const s of ['train', 'val', 'test'] as const) assert.equal(ds[s].x.length, ds[s].n * 490);
  assert.ok(ds.train.x.every(Number.isFinite));
});

test('same seed gives the same features; augmentation touches only the training split', async () => {
  const dir = makeTinySet();
  const a = await loadSpeechCommands(dir, { cache: false, seed: 1 });
  const b = await loadSpeechCommands(dir, { cache: false, seed: 1 });
  const c = await loadSpeechCommands(dir, { cache: false, seed: 2 });
  const plain = await loadSpeechCommands(dir, { cache: false, seed: 1, augment: false });
  assert.deepEqual(a.train.x, b.train.x);
  assert.notDeepEqual(a.train.x, c.train.x);
  assert.notDeepEqual(a.train.x, plain.train.x);
  // One seed gives one val/test order, and those splits are never augmented.
  assert.deepEqual(a.val.x, plain.val.x);
  assert.deepEqual(a.test.x, plain.test.x);
  const twice = await loadSpeechCommands(dir, { cache: false, seed: 1, augment: { ...DEFAULT_AUGMENT, copies: 2 } });
  assert.deepEqual(counts(twice, 'train'), counts(a, 'train').map((n) => 2 * n));
  assert.deepEqual(twice.val.x, a.val.x);
});

test('features are cached under DIR/.pqk-cache and reused', async () => {
  const dir = makeTinySet();
  const first = await loadSpeechCommands(dir);
  const files = readdirSync(join(dir, '.pqk-cache'));
  assert.equal(files.length, 1);
  assert.match(files[0], /^features-[0-9a-f]{24}\.bin$/);
  const second = await loadSpeechCommands(dir, { onProgress: () => assert.fail('a cache hit computes nothing') });
  assert.deepEqual(second, first);
  await loadSpeechCommands(dir, { seed: 9 });
  assert.equal(readdirSync(join(dir, '.pqk-cache')).length, 2, 'another seed is another cache entry');
});

test('one corrupt clip is skipped with a warning; too many is an error naming the file', async () => {
  const dir = makeTinySet();
  writeFileSync(join(dir, 'yes', 'spk5_nohash_0.wav'), Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt '));
  const warnings: string[] = [];
  const ds = await loadSpeechCommands(dir, { cache: false, maxBadFraction: 0.02, onWarning: (m) => warnings.push(m) });
  assert.equal(counts(ds, 'train')[KWS_KEYWORDS.indexOf('yes')], 7);
  assert.ok(warnings.some((w) => w.includes(join(dir, 'yes', 'spk5_nohash_0.wav')) && w.includes('truncated')), warnings.join('\n'));
  assert.ok(warnings.some((w) => /skipped 1 of \d+ clips/.test(w)));
  await assert.rejects(loadSpeechCommands(dir, { cache: false, maxBadFraction: 0 }), /yes\/spk5_nohash_0\.wav: truncated/);
});

test('a wrong sample rate, an empty label folder, a missing keyword and an unknown layout are named', async () => {
  const dir = makeTinySet();
  const wav = join(dir, 'no', 'spk3_nohash_0.wav');
  const bytes = readFileSync(wav);
  bytes.writeUInt32LE(8000, 24);
  writeFileSync(wav, bytes);
  await assert.rejects(loadSpeechCommands(dir, { cache: false, maxBadFraction: 0 }), /spk3_nohash_0\.wav: sample rate 8000 Hz, expected 16000 Hz/);
  mkdirSync(join(dir, 'wow'));
  await assert.rejects(loadSpeechCommands(dir, { cache: false }), /wow: label folder has no \.wav files/);
  rmSync(join(dir, 'wow'), { recursive: true });
  rmSync(join(dir, 'stop'), { recursive: true });
  await assert.rejects(loadSpeechCommands(dir, { cache: false }), /no folder for keyword 'stop'/);
  const empty = join(dir, 'bed');
  await assert.rejects(loadDataset(empty), (e: Error) => e.message.startsWith(`${empty}: unknown dataset layout`));
  await assert.rejects(loadDataset(join(dir, 'nope')), /nope: no such directory, and not a dataset name/);
});

test('without the list files the split follows the dataset hash rule, by speaker', async () => {
  const dir = makeTinySet({ lists: false, background: false });
  // Speakers 0..9 all hash to train or val: a test split with no keyword clip is refused, not evaluated as NaN.
  await assert.rejects(loadSpeechCommands(dir, { cache: false }), /the test split has no keyword clips: the hash split put no keyword clip there/);
  assert.equal(hashSplit('yes/spk30_nohash_0.wav'), 'test');
  writeFileSync(join(dir, 'yes', 'spk30_nohash_0.wav'), readFileSync(join(dir, 'yes', 'spk0_nohash_0.wav')));
  const warnings: string[] = [];
  const ds = await loadSpeechCommands(dir, { cache: false, onWarning: (m) => warnings.push(m) });
  const want = { train: 0, val: 0, test: 0 };
  for (const s of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30]) want[hashSplit(`yes/spk${s}_nohash_0.wav`)]++;
  assert.equal(counts(ds, 'test')[KWS_KEYWORDS.indexOf('yes')], want.test);
  assert.equal(counts(ds, 'train')[KWS_KEYWORDS.indexOf('yes')], want.train);
  assert.equal(counts(ds, 'val')[KWS_KEYWORDS.indexOf('yes')], want.val);
  assert.equal(hashSplit('yes/abc_nohash_0.wav'), hashSplit('no/abc_nohash_7.wav'), 'same speaker, same split');
  assert.ok(warnings.some((w) => w.includes('_background_noise_')));
  assert.ok(!existsSync(join(dir, '.pqk-cache')));
});
