// Festival as the synthetic set uses it: one process per voice rendering texts at duration stretches, and a failure
// that names the voice's Debian package.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFestival, renderFestival } from '../../src/data/festival.js';

const dir = mkdtempSync(join(tmpdir(), 'pqk-festival-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('renders each text at its duration stretch; the voice and its rate come back', async () => {
  const out = join(dir, 'ok');
  const texts = [
    { text: 'yes.', stretch: 8 },
    { text: 'yes.', stretch: 15 },
    { text: 'left!', stretch: 10 },
  ];
  await renderFestival(out, 'ked', texts);
  assert.deepEqual(readdirSync(out).sort(), ['ked_10_left_bang.wav', 'ked_15_yes_stop.wav', 'ked_8_yes_stop.wav'], 'no temporary folder left');
  const [fast, slow] = [readFestival(out, 'ked', texts[0]!), readFestival(out, 'ked', texts[1]!)];
  assert.equal(fast.sampleRate, 16000);
  const ratio = slow.samples.length / fast.samples.length;
  assert.ok(ratio > 1.5 && ratio < 2.2, `a stretch of 1.5 against 0.8 gives ${ratio.toFixed(2)} times the samples`);
  const slt = join(dir, 'slt');
  await renderFestival(slt, 'slt', [texts[2]!]);
  assert.equal(readFestival(slt, 'slt', texts[2]!).sampleRate, 32000);
  // the same text renders to the same samples in another process
  await renderFestival(join(dir, 'again'), 'ked', [texts[1]!]);
  assert.deepEqual(readFestival(join(dir, 'again'), 'ked', texts[1]!).samples, slow.samples);
});

test('a festival that cannot load the voice is an error naming its package', async (t) => {
  writeFileSync(join(dir, 'festival'), '#!/bin/sh\necho "SIOD ERROR: unbound variable : voice_ked_diphone" >&2\nexit 255\n');
  chmodSync(join(dir, 'festival'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  t.after(() => (process.env.PATH = path));
  await assert.rejects(renderFestival(join(dir, 'bad'), 'ked', [{ text: 'yes', stretch: 10 }]), (e: Error) => {
    assert.match(e.message, /festival could not render with its voice ked .*SIOD ERROR: unbound variable : voice_ked_diphone.*install festival and festvox-kdlpc16k/);
    return true;
  });
  await assert.rejects(renderFestival(join(dir, 'bad'), 'ked', [{ text: 'two words', stretch: 10 }]), /festival text 'two words' is not a word/);
});
