// Festival (the University of Edinburgh's speech synthesis system, Debian's festival package) with three of Debian's
// English voices: ked and kal, diphone voices of two American men, and slt, an HTS (statistical parametric) voice
// of an American woman. A third engine beside espeak-ng and Flite, whose voices are recordings of people, so that
// training hears more than one engine and a set can hold out a whole engine. A set's words are few, so each voice
// renders every text it needs once, at each of its duration stretches, in one festival process per voice.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { runTool } from './tools.js';
import { decodeWav, type Wav } from './wav.js';

// The voice and the Scheme function that selects it (and the Debian package that ships it).
export const FESTIVAL_VOICES = {
  ked: { select: 'voice_ked_diphone', pkg: 'festvox-kdlpc16k' },
  kal: { select: 'voice_kal_diphone', pkg: 'festvox-kallpc16k' },
  slt: { select: 'voice_cmu_us_slt_arctic_hts', pkg: 'festvox-us-slt-hts' },
} as const;
export type FestivalVoice = keyof typeof FESTIVAL_VOICES;

export interface FestivalText {
  text: string; // a word and an ending ('yes.', 'left!')
  stretch: number; // Festival's Duration_Stretch in tenths (8: 0.8 times the voice's own durations)
}

const ENDING_NAMES: Record<string, string> = { '': '', '.': '_stop', '!': '_bang', '?': '_ask' };

// The file a voice's rendering of one text at one stretch is kept in while a set is made.
export function festivalFile(dir: string, voice: FestivalVoice, t: FestivalText): string {
  const m = /^([a-z]+)([.!?]?)$/.exec(t.text);
  if (!m) throw new Error(`festival text '${t.text}' is not a word with an optional ending`);
  return join(dir, `${voice}_${t.stretch}_${m[1]}${ENDING_NAMES[m[2]!]}.wav`);
}

// Renders `texts` with `voice` into `dir` (one festival process; the files appear only once all are written, so an
// interrupted rendering leaves none). Festival's output depends only on the text, voice and stretch.
export async function renderFestival(dir: string, voice: FestivalVoice, texts: readonly FestivalText[]): Promise<void> {
  if (texts.length === 0) return;
  const tmp = join(dir, `tmp-${voice}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const lines = [`(${FESTIVAL_VOICES[voice].select})`];
  for (const t of texts) {
    lines.push(`(Parameter.set 'Duration_Stretch ${(t.stretch / 10).toFixed(1)})`);
    lines.push(`(utt.save.wave (SynthText "${t.text}") "${festivalFile(tmp, voice, t)}" 'riff)`);
  }
  const script = join(tmp, 'render.scm');
  await writeFile(script, lines.join('\n') + '\n');
  const pkg = FESTIVAL_VOICES[voice].pkg;
  try {
    await runTool('festival', ['-b', script]); // a missing voice: exit 255, 'SIOD ERROR: unbound variable : voice_...'
  } catch (e) {
    throw new EnvironmentError(`festival could not render with its voice ${voice} (${(e as Error).message}); install festival and ${pkg} (scripts/setup.sh does)`);
  }
  for (const t of texts) {
    const from = festivalFile(tmp, voice, t);
    if (!existsSync(from)) throw new EnvironmentError(`festival wrote nothing for '${t.text}' with its voice ${voice}; is ${pkg} installed?`);
    await rename(from, festivalFile(dir, voice, t));
  }
  await rm(tmp, { recursive: true, force: true });
}

// A rendered text: 16-bit mono at the voice's rate (16,000 Hz for the diphone voices, 32,000 for slt).
export function readFestival(dir: string, voice: FestivalVoice, t: FestivalText): Wav {
  const path = festivalFile(dir, voice, t);
  return decodeWav(readFileSync(path), path); // mono 16-bit, or an error naming the file
}
