import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { dataSynthKwsCommand } from '../../src/cli/commands/data.js';
import { loadDataset } from '../../src/data/index.js';
import { KWS_KEYWORDS } from '../../src/data/speech-commands.js';
import { festivalText } from '../../src/data/synth-audio.js';
import { synthKws } from '../../src/data/synth-kws.js';
import { planClips, RECORDED_EXTRA, splitVoices } from '../../src/data/synth-plan.js';
import { runTool, toolVersion } from '../../src/data/tools.js';
import { readWav } from '../../src/data/wav.js';
import { prepareData } from '../../src/pipeline/stages.js';

const made: string[] = [];
const tmp = (): string => {
  made.push(mkdtempSync(join(tmpdir(), 'pqk-synth-')));
  return made[made.length - 1];
};
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const outA = join(tmp(), 'kws');
const tiny = { clipsPerWord: 6, seed: 3 };

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isFile() && !p.includes('.pqk-cache'))
    .map((p) => relative(dir, p))
    .sort();
}

const speaker = (rel: string): string => rel.split('/')[1].replace(/_nohash_.*$/, '');
const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);

test('a tiny synthetic set has the Speech Commands layout, split by voice', async () => {
  const r = await synthKws({ out: outA, ...tiny });
  assert.equal(r.reused, false);
  assert.equal(r.clips, 10 * 6 + 20 * 3);
  const all = files(outA);
  const clips = all.filter((f) => f.endsWith('.wav') && !f.startsWith('_background_noise_/'));
  assert.equal(clips.length, r.clips);
  assert.equal(all.filter((f) => f.startsWith('_background_noise_/')).length, 6);
  const val = lines(join(outA, 'validation_list.txt'));
  const test_ = lines(join(outA, 'testing_list.txt'));
  const train = clips.filter((c) => !val.includes(c) && !test_.includes(c));
  assert.equal(val.length, 30);
  assert.equal(test_.length, 30);
  const voices = (list: string[]): Set<string> => new Set(list.map(speaker));
  const [tv, vv, sv] = [voices(train), voices(val), voices(test_)];
  for (const v of vv) assert.ok(!tv.has(v) && !sv.has(v), `val voice ${v} appears in another split`);
  for (const v of sv) assert.ok(!tv.has(v), `test voice ${v} appears in train`);
  for (const v of tv) assert.ok(r.trainVoices.includes(v));
  for (const v of sv) assert.ok(r.testVoices.includes(v));
  for (const v of [...r.trainVoices, ...r.valVoices, ...r.testVoices]) assert.ok(!/^(flite|festival)-/.test(v), `${v}: espeak-ng's voices alone`);
  assert.deepEqual(
    readdirSync(outA).filter((f) => f.startsWith('.')),
    ['.pqk-synth.json'],
    'no festival folder for a set without festival clips',
  );
  const wav = await readWav(join(outA, clips[0]), { sampleRate: 16000 });
  assert.equal(wav.samples.length, 16000);
  const peak = wav.samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(peak > 32768 * 0.05 && peak < 32768 * 0.9, `peak ${peak}`);
});

test('the same seed gives byte-identical files', async () => {
  const outB = join(tmp(), 'kws');
  await synthKws({ out: outA, ...tiny });
  await synthKws({ out: outB, ...tiny });
  const fa = files(outA);
  assert.deepEqual(files(outB), fa);
  for (const f of fa) assert.ok(readFileSync(join(outA, f)).equals(readFileSync(join(outB, f))), `${f} differs`);
  // An interrupted run (stamp not complete, a clip missing) resumes and renders the same bytes.
  const stampPath = join(outB, '.pqk-synth.json');
  const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as { complete: boolean };
  writeFileSync(stampPath, JSON.stringify({ ...stamp, complete: false }));
  const victim = fa.find((f) => f.startsWith('yes/')) ?? assert.fail('no yes/ clip');
  rmSync(join(outB, victim));
  const halfWritten = join(outB, 'yes', 'en-us-m1_nohash_9.wav.tmp-4242-1'); // what a killed renderer leaves
  writeFileSync(halfWritten, 'RIFF');
  const resumed = await synthKws({ out: outB, ...tiny });
  assert.equal(resumed.reused, false);
  assert.deepEqual(files(outB), fa, 'the half-written file is gone');
  assert.ok(readFileSync(join(outA, victim)).equals(readFileSync(join(outB, victim))));
  assert.ok(readFileSync(join(outA, '.pqk-synth.json')).equals(readFileSync(stampPath)));
});

test('a complete set is reused at once; other params or a foreign folder are refused', async () => {
  await synthKws({ out: outA, ...tiny });
  const logs: string[] = [];
  const code = await dataSynthKwsCommand.run({ values: { out: outA, 'clips-per-word': '6', seed: '3' }, positionals: [], json: false, log: (l) => logs.push(l) });
  assert.equal(code, 0);
  assert.match(logs.at(-1) ?? '', /^already complete: 120 clips of 30 words/);
  await assert.rejects(synthKws({ out: outA, clipsPerWord: 6, seed: 4 }), /holds a synthetic set made with other parameters/);
  const foreign = tmp();
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  await assert.rejects(synthKws({ out: foreign, ...tiny }), (e: Error) => e.message.startsWith(`${foreign}: exists and is not a synthetic set`));
});

test('the loader reads the synthetic set: 12 labels, fair shares, 49x10x1 features', async () => {
  await synthKws({ out: outA, ...tiny });
  const ds = await loadDataset(outA, { cache: false });
  const count = (ys: Int32Array): number[] => ds.labels.map((_, i) => ys.filter((y) => y === i).length);
  assert.deepEqual(ds.labels.slice(0, 10), [...KWS_KEYWORDS]);
  assert.deepEqual(count(ds.train.y), new Array(12).fill(4));
  assert.deepEqual(count(ds.val.y), new Array(12).fill(1));
  assert.deepEqual(count(ds.test.y), new Array(12).fill(1));
  assert.equal(ds.train.x.length, 48 * 49 * 10);
});

test('--holdout flite: the test split is another engine, which no other split hears; its clips are byte-stable', async () => {
  const hold = { clipsPerWord: 6, seed: 3, holdout: 'flite' as const };
  const [outF, outG] = [join(tmp(), 'kws'), join(tmp(), 'kws')];
  const r = await synthKws({ out: outF, ...hold });
  assert.deepEqual(r.testVoices, ['flite-awb', 'flite-kal', 'flite-kal16', 'flite-rms', 'flite-slt']);
  for (const v of [...r.trainVoices, ...r.valVoices]) assert.ok(!v.startsWith('flite-'), `${v} outside the test split`);
  // with the recorded voices, Festival's kal and slt (Flite's kal and slt, the same people) stay out too; ked trains
  assert.deepEqual(r.trainVoices.filter((v) => v.startsWith('festival-')), []);
  const withRecorded = splitVoices(3, 'flite', true).train.filter((v) => v.engine !== 'espeak-ng').map((v) => v.id);
  assert.deepEqual(withRecorded, ['festival-ked']);
  const test_ = lines(join(outF, 'testing_list.txt'));
  assert.equal(test_.length, 30);
  for (const rel of test_) assert.match(speaker(rel), /^flite-(awb|kal|kal16|rms|slt)$/);
  for (const rel of lines(join(outF, 'validation_list.txt'))) assert.ok(!speaker(rel).startsWith('flite-'));
  const wav = await readWav(join(outF, test_[0]!), { sampleRate: 16000 });
  assert.equal(wav.samples.length, 16000);
  const peak = wav.samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(peak > 32768 * 0.05 && peak < 32768 * 0.9, `peak ${peak}`);
  // espeak-ng and flite clips interleave in each renderer process; a second set has the same bytes
  await synthKws({ out: outG, ...hold });
  for (const f of files(outF)) assert.ok(readFileSync(join(outF, f)).equals(readFileSync(join(outG, f))), `${f} differs`);
  const stamp = JSON.parse(readFileSync(join(outF, '.pqk-synth.json'), 'utf8')) as { params: { flite?: string; holdout?: string } };
  assert.equal(stamp.params.holdout, 'flite');
  assert.match(stamp.params.flite ?? '', /flite-\d+\.\d+/, 'the stamp records the flite version (flite --version exits 1)');
  // klatt: espeak-ng's Klatt voices alone make the test split
  const k = await synthKws({ out: join(tmp(), 'kws'), clipsPerWord: 3, seed: 3, holdout: 'klatt' });
  assert.ok(k.testVoices.length > 0 && k.testVoices.every((v) => /-klatt\d?$/.test(v)), k.testVoices.join(' '));
  assert.ok(k.trainVoices.every((v) => !/klatt/.test(v)));
});

test('--holdout festival: the test split is Festival, and no voice of its speakers trains; its clips are byte-stable', async () => {
  const hold = { clipsPerWord: 6, seed: 3, holdout: 'festival' as const, recordedVoices: true };
  const [outF, outG] = [join(tmp(), 'kws'), join(tmp(), 'kws')];
  const r = await synthKws({ out: outF, ...hold });
  assert.deepEqual(r.testVoices, ['festival-kal', 'festival-ked', 'festival-slt']);
  assert.deepEqual(r.trainVoices.filter((v) => /^(flite|festival)-/.test(v)), ['flite-awb', 'flite-rms']);
  const test_ = lines(join(outF, 'testing_list.txt'));
  assert.equal(test_.length, 30);
  for (const rel of test_) assert.match(speaker(rel), /^festival-(kal|ked|slt)$/);
  const train = files(outF).filter((f) => /^[a-z]+\//.test(f) && f.endsWith('.wav') && !test_.includes(f));
  assert.ok(!train.some((f) => /festival-|flite-(kal|slt)/.test(speaker(f))), 'a held-out speaker trains');
  for (const rel of test_.slice(0, 5)) {
    const wav = await readWav(join(outF, rel), { sampleRate: 16000 });
    const peak = wav.samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(wav.samples.length === 16000 && peak > 32768 * 0.05 && peak < 32768 * 0.9, `${rel}: peak ${peak}`);
  }
  await synthKws({ out: outG, ...hold });
  for (const f of files(outF)) assert.ok(readFileSync(join(outF, f)).equals(readFileSync(join(outG, f))), `${f} differs`);
  const stamp = JSON.parse(readFileSync(join(outF, '.pqk-synth.json'), 'utf8')) as { params: { festival?: string } };
  assert.match(stamp.params.festival ?? '', /Festival Speech Synthesis System: \d+\.\d+/);
});

test("recorded voices add RECORDED_EXTRA of each word's clips to training; espeak-ng's clips are those of a set without them", () => {
  const clips = planClips(5, 300, undefined, true);
  const espeakOnly = planClips(5, 300);
  const recorded = clips.filter((c) => c.voice.engine !== 'espeak-ng');
  assert.deepEqual(clips.slice(0, espeakOnly.length), espeakOnly, 'the same plan, in the same order, first');
  assert.ok(recorded.every((c) => c.split === 'train') && clips.slice(espeakOnly.length).every((c) => c.voice.engine !== 'espeak-ng'));
  assert.equal(recorded.length, 10 * Math.round(RECORDED_EXTRA * 300) + 20 * Math.round(RECORDED_EXTRA * 60));
  assert.equal(new Set(recorded.map((c) => c.voice.id)).size, 8, 'every recorded voice speaks');
  assert.equal(new Set(recorded.map((c) => c.rel)).size, recorded.length, 'no two clips share a file');
  const stretches = new Set(recorded.filter((c) => c.voice.engine === 'festival').map((c) => festivalText(c).stretch));
  assert.deepEqual([...stretches].sort((a, b) => a - b), [8, 9, 10, 11, 12, 13, 14, 15], "Festival's duration stretches 0.8-1.5");
  assert.ok(espeakOnly.every((c) => c.voice.engine === 'espeak-ng'));
});

test("--recorded-voices: the default set's clips, byte for byte, and the recorded voices' after them", async () => {
  await synthKws({ out: outA, ...tiny });
  const out = join(tmp(), 'kws');
  const r = await synthKws({ out, ...tiny, recordedVoices: true });
  assert.equal(r.clips, 10 * 6 + 20 * 3 + 10 * 1, 'one recorded clip per keyword (15% of 6; of 3, 0)');
  const recorded = ['festival-kal', 'festival-ked', 'festival-slt', 'flite-awb', 'flite-kal', 'flite-kal16', 'flite-rms', 'flite-slt'];
  for (const v of recorded) assert.ok(r.trainVoices.includes(v), `${v} trains`);
  for (const v of [...r.valVoices, ...r.testVoices]) assert.ok(!/^(flite|festival)-/.test(v), `${v} outside training`);
  const fa = files(outA).filter((f) => f.endsWith('.wav'));
  const extra = files(out).filter((f) => f.endsWith('.wav') && !fa.includes(f));
  assert.equal(extra.length, 10);
  for (const f of extra) assert.match(speaker(f), /^(flite|festival)-/);
  for (const f of fa) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(outA, f))), `${f} differs`);
  assert.deepEqual(lines(join(out, 'testing_list.txt')), lines(join(outA, 'testing_list.txt')));
  const stamp = JSON.parse(readFileSync(join(out, '.pqk-synth.json'), 'utf8')) as { params: Record<string, unknown> };
  assert.equal(stamp.params.format, 'pqk-synth-kws/3');
  assert.match(String(stamp.params.festival), /Festival Speech Synthesis System: \d+\.\d+/);
  assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('.')), ['.pqk-synth.json'], "festival's renderings are gone once the set is complete");
  // the loader reads it: the 10 recorded clips are training keywords
  const ds = await loadDataset(out, { cache: false });
  assert.equal(ds.train.y.filter((y) => y < 10).length, 50);
});

test("a run's augment settings change the training features only", async () => {
  await synthKws({ out: outA, ...tiny });
  const quiet = (): void => undefined;
  const plain = await prepareData(outA, quiet);
  const fast = await prepareData(outA, quiet, undefined, { speed: [1.2, 1.2] });
  assert.equal(fast.train.n, plain.train.n);
  assert.notDeepEqual(fast.train.x, plain.train.x);
  assert.deepEqual(fast.val.x, plain.val.x);
  assert.deepEqual(fast.test.x, plain.test.x);
  // the settings given are merged into the defaults: the shift and noise draws are the same, so a speed of exactly 1
  // gives the default features
  assert.deepEqual((await prepareData(outA, quiet, undefined, { speed: [1, 1] })).train.x, plain.train.x);
});

test('a failing program names its command and stderr', async () => {
  await assert.rejects(toolVersion('sox', [1]), /sox --version failed \(exit 0\)/);
  await assert.rejects(runTool('sox', ['/nonexistent/in.wav', '-n']), /sox \/nonexistent\/in\.wav -n failed \(exit 2\): .*can't open input file/);
  await assert.rejects(runTool('pqk-no-such-tool', ['x']), /pqk-no-such-tool not found/);
});
