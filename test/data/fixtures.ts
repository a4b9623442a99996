// A small hand-made Speech Commands folder: each word a tone of its own pitch, speakers named spk0.., lists by speaker.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src/data/wav.js';
import { KWS_KEYWORDS } from '../../src/data/speech-commands.js';

export const OTHER_WORDS = ['bed', 'cat', 'tree'];
export const SPEAKERS = 10; // spk0 -> test list, spk1 -> validation list, spk2..9 -> train

function tone(hz: number, n: number, amp: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * 32767 * Math.sin((2 * Math.PI * hz * i) / 16000)));
}

const made: string[] = [];

// For after(): removes every folder made by makeTinySet in this process.
export function removeTinySets(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function makeTinySet(opts: { lists?: boolean; background?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-sc-'));
  made.push(dir);
  const words = [...KWS_KEYWORDS, ...OTHER_WORDS];
  const val: string[] = [];
  const test: string[] = [];
  words.forEach((w, wi) => {
    mkdirSync(join(dir, w));
    for (let s = 0; s < SPEAKERS; s++) {
      const rel = `${w}/spk${s}_nohash_0.wav`;
      // Some clips shorter than 1 s, as in the real set.
      writeFileSync(join(dir, rel), encodeWav(tone(200 + 50 * wi, s % 3 === 0 ? 12000 : 16000, 0.3), 16000));
      if (s === 0) test.push(rel);
      if (s === 1) val.push(rel);
    }
  });
  if (opts.lists !== false) {
    writeFileSync(join(dir, 'validation_list.txt'), val.join('\n') + '\n');
    writeFileSync(join(dir, 'testing_list.txt'), test.join('\n') + '\n');
  }
  if (opts.background !== false) {
    mkdirSync(join(dir, '_background_noise_'));
    let s = 1;
    const noise = Int16Array.from({ length: 48000 }, () => ((s = (s * 48271) % 2147483647), Math.round((s / 2147483647 - 0.5) * 8000)));
    writeFileSync(join(dir, '_background_noise_', 'white_noise.wav'), encodeWav(noise, 16000));
    writeFileSync(join(dir, '_background_noise_', 'README.md'), 'noise\n');
  }
  return dir;
}
