// A synthetic Speech Commands set (same folder layout as Google's) from espeak-ng voices and sox noise.
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from './errors.js';
import { mapLimit } from './pool.js';
import { BACKGROUND_DIR, TESTING_LIST, VALIDATION_LIST } from './sc-layout.js';
import { KWS_KEYWORDS } from './speech-commands.js';
import { NOISES, RATE, renderClip, renderNoise } from './synth-audio.js';
import { planClips, splitVoices, UNKNOWN_WORDS } from './synth-plan.js';
import { toolVersion } from './tools.js';
import { atomicWriteAsync } from '../util/fs.js';
import { readWav, toFloat } from './wav.js';

export const DEFAULT_CLIPS_PER_WORD = 250;
const STAMP = '.pqk-synth.json';
const FORMAT = 'pqk-synth-kws/1'; // bump when rendering changes, so an old set is not taken for a new one
const CONCURRENCY = 2; // external processes at once

export interface SynthKwsOptions {
  out: string;
  clipsPerWord?: number; // per keyword; unknown words get a fifth of it (at least 3)
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SynthKwsResult {
  out: string;
  clips: number;
  words: string[]; // word folders: 10 keywords then the unknown words
  trainVoices: string[];
  valVoices: string[];
  testVoices: string[];
  seconds: number; // generation time (0 when an existing complete set was reused)
  reused: boolean;
}

interface Stamp {
  params: { format: string; seed: number; clipsPerWord: number; espeak: string; sox: string };
  complete: boolean;
  result?: Omit<SynthKwsResult, 'out' | 'seconds' | 'reused'>; // nothing run-specific, so the same seed gives the same bytes
}

const writeAtomic = atomicWriteAsync;

// Reuses or resumes a set made with the same params; refuses to write over anything else.
async function checkOut(out: string, params: Stamp['params']): Promise<SynthKwsResult | undefined> {
  const stampPath = join(out, STAMP);
  if (existsSync(stampPath)) {
    const stamp = JSON.parse(await readFile(stampPath, 'utf8')) as Stamp;
    if (JSON.stringify(stamp.params) !== JSON.stringify(params)) {
      throw new DataError(out, `holds a synthetic set made with other parameters (${JSON.stringify(stamp.params)}); remove it or choose another --out`);
    }
    return stamp.complete && stamp.result ? { ...stamp.result, out, seconds: 0, reused: true } : undefined;
  }
  if (existsSync(out) && !statSync(out).isDirectory()) throw new DataError(out, 'is a file; --out must be a folder');
  if (existsSync(out) && (await readdir(out)).length > 0) throw new DataError(out, 'exists and is not a synthetic set made by pqk; choose an empty or new --out');
  return undefined;
}

export async function synthKws(opts: SynthKwsOptions): Promise<SynthKwsResult> {
  const t0 = performance.now();
  const { out } = opts;
  const seed = opts.seed ?? 0;
  const clipsPerWord = opts.clipsPerWord ?? DEFAULT_CLIPS_PER_WORD;
  if (!Number.isInteger(clipsPerWord) || clipsPerWord < 3) throw new Error(`clipsPerWord must be an integer >= 3, got ${clipsPerWord}`);
  const params = { format: FORMAT, seed, clipsPerWord, espeak: await toolVersion('espeak-ng'), sox: await toolVersion('sox') };
  const reused = await checkOut(out, params);
  if (reused) return reused;
  const words = [...KWS_KEYWORDS, ...UNKNOWN_WORDS];
  for (const w of [...words, BACKGROUND_DIR]) await mkdir(join(out, w), { recursive: true });
  await writeAtomic(join(out, STAMP), JSON.stringify({ params, complete: false } satisfies Stamp, null, 2));

  const bgDir = join(out, BACKGROUND_DIR);
  await mapLimit(NOISES, CONCURRENCY, (n) => (existsSync(join(bgDir, `${n.name}.wav`)) ? Promise.resolve() : renderNoise(bgDir, n)));
  const noise = await Promise.all(NOISES.map(async (n) => toFloat((await readWav(join(bgDir, `${n.name}.wav`), { sampleRate: RATE })).samples)));

  const clips = planClips(seed, clipsPerWord);
  let done = 0;
  await mapLimit(clips, CONCURRENCY, async (c) => {
    if (!existsSync(join(out, c.rel))) await renderClip(out, c, noise); // files appear atomically, so an existing one is whole
    opts.onProgress?.(++done, clips.length);
  });
  const list = (split: string): string => clips.filter((c) => c.split === split).map((c) => c.rel).sort().join('\n') + '\n';
  await writeAtomic(join(out, VALIDATION_LIST), list('val'));
  await writeAtomic(join(out, TESTING_LIST), list('test'));

  const voices = splitVoices(seed);
  const ids = (s: 'train' | 'val' | 'test'): string[] => voices[s].map((v) => v.id).sort();
  const result = { clips: clips.length, words, trainVoices: ids('train'), valVoices: ids('val'), testVoices: ids('test') };
  await writeAtomic(join(out, STAMP), JSON.stringify({ params, complete: true, result } satisfies Stamp, null, 2));
  return { out, ...result, seconds: (performance.now() - t0) / 1000, reused: false };
}
