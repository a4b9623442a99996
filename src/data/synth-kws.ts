// A synthetic Speech Commands set (same folder layout as Google's) from espeak-ng's, Flite's and Festival's voices and
// sox noise.
import { fork } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from './errors.js';
import { mapLimit } from './pool.js';
import { BACKGROUND_DIR, TESTING_LIST, VALIDATION_LIST } from './sc-layout.js';
import { KWS_KEYWORDS } from './speech-commands.js';
import { festivalFile, renderFestival, type FestivalText, type FestivalVoice } from './festival.js';
import { festivalText, NOISES, renderNoise } from './synth-audio.js';
import type { ChunkMessage } from './synth-worker.js';
import { planClips, splitVoices, UNKNOWN_WORDS, type ClipPlan, type VoiceFamily } from './synth-plan.js';
import { toolVersion } from './tools.js';
import { atomicWriteAsync } from '../util/fs.js';

export const DEFAULT_CLIPS_PER_WORD = 1000;
// Size presets (clips per keyword): 'tiny' for tests, 'default' for the main job, 'large' for benchmarks (over
// 2,000 test and 2,000 validation samples once _unknown_ and _silence_ shares are added).
export const SYNTH_SIZES = { tiny: 6, default: DEFAULT_CLIPS_PER_WORD, large: 1700 } as const;
export type SynthSize = keyof typeof SYNTH_SIZES;
const STAMP = '.pqk-synth.json';
const FORMAT = 'pqk-synth-kws/2'; // bump when rendering changes, so an old set is not taken for a new one
const FORMAT_RECORDED = 'pqk-synth-kws/3'; // recordedVoices: format 2's clips and the recorded voices' after them
const CONCURRENCY = Math.max(1, Math.min(4, availableParallelism())); // renderer processes at once
// Clips rendered in one fresh process, in plan order: part of the format, since libespeak-ng's state runs on from
// clip to clip within a process (a clip's samples depend on its chunk, never on scheduling or on an interruption).
const CHUNK = 500;
// Festival's renderings while a set is made (removed once it is complete; the loader skips folders named '.*').
const FESTIVAL_DIR = '.pqk-festival';

export interface SynthKwsOptions {
  out: string;
  clipsPerWord?: number; // per keyword; unknown words get a fifth of it (at least 3)
  seed?: number;
  holdout?: VoiceFamily; // that family's voices make the test split, and only it
  // Flite's and Festival's recorded voices train too, in RECORDED_EXTRA more clips after espeak-ng's (which stay the
  // clips of the set without them, byte for byte). Off by default (see the README's Data section for why).
  recordedVoices?: boolean;
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
  params: { format: string; seed: number; clipsPerWord: number; holdout?: VoiceFamily; espeak: string; sox: string; flite?: string; festival?: string };
  complete: boolean;
  result?: Omit<SynthKwsResult, 'out' | 'seconds' | 'reused'>; // nothing run-specific, so the same seed gives the same bytes
}


// The worker runs as this module does: compiled JavaScript, or TypeScript through the loader this process has.
function workerPath(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./synth-worker${ext}`, import.meta.url));
}

function renderChunk(msg: ChunkMessage, onClip: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath(), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let failure: string | undefined;
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('message', (m: { done?: string; error?: string }) => {
      if (m.done) onClip();
      if (m.error) failure = m.error;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && !failure) resolve();
      else reject(new DataError(msg.out, `rendering clips ${msg.clips[0]!.rel} .. ${msg.clips[msg.clips.length - 1]!.rel} failed: ${failure ?? (stderr.trim() || `exit ${code}`)}`));
    });
    child.send(msg);
  });
}

// Every text and duration stretch the set's festival clips need, rendered once per voice (what an interrupted run
// rendered already is kept; a set without festival clips renders nothing and makes no folder).
async function renderFestivalTexts(dir: string, clips: readonly ClipPlan[]): Promise<void> {
  const byVoice = new Map<FestivalVoice, Map<string, FestivalText>>();
  for (const c of clips) {
    if (c.voice.engine !== 'festival') continue;
    const voice = c.voice.name as FestivalVoice;
    const t = festivalText(c);
    const file = festivalFile(dir, voice, t);
    if (existsSync(file)) continue;
    if (!byVoice.has(voice)) byVoice.set(voice, new Map());
    byVoice.get(voice)!.set(file, t);
  }
  for (const [voice, texts] of [...byVoice].sort(([a], [b]) => a.localeCompare(b))) {
    await renderFestival(dir, voice, [...texts.keys()].sort().map((f) => texts.get(f)!));
  }
}

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
  const recorded = opts.recordedVoices ?? false;
  // The engines a set speaks with are those of its stamp (an espeak-ng-only set names flite only when Flite is held out).
  const params = {
    format: recorded ? FORMAT_RECORDED : FORMAT,
    seed,
    clipsPerWord,
    ...(opts.holdout ? { holdout: opts.holdout } : {}),
    espeak: await toolVersion('espeak-ng'),
    sox: await toolVersion('sox'),
    ...(recorded || opts.holdout === 'flite' ? { flite: await toolVersion('flite', [0, 1]) } : {}),
    ...(recorded || opts.holdout === 'festival' ? { festival: await toolVersion('festival') } : {}),
  };
  const reused = await checkOut(out, params);
  if (reused) return reused;
  const words = [...KWS_KEYWORDS, ...UNKNOWN_WORDS];
  for (const w of [...words, BACKGROUND_DIR]) {
    await mkdir(join(out, w), { recursive: true });
    // Half-written files of an interrupted run (its clips are rendered again below).
    for (const f of await readdir(join(out, w))) if (/\.tmp-\d+/.test(f)) await rm(join(out, w, f), { force: true });
  }
  await atomicWriteAsync(join(out, STAMP), JSON.stringify({ params, complete: false } satisfies Stamp, null, 2));

  const bgDir = join(out, BACKGROUND_DIR);
  await mapLimit(NOISES, CONCURRENCY, (n) => (existsSync(join(bgDir, `${n.name}.wav`)) ? Promise.resolve() : renderNoise(bgDir, n)));

  const clips = planClips(seed, clipsPerWord, opts.holdout, recorded);
  const festivalDir = join(out, FESTIVAL_DIR);
  await renderFestivalTexts(festivalDir, clips);
  const chunks = Array.from({ length: Math.ceil(clips.length / CHUNK) }, (_, i) => clips.slice(i * CHUNK, (i + 1) * CHUNK));
  const noiseFiles = NOISES.map((n) => join(bgDir, `${n.name}.wav`));
  let done = 0;
  await mapLimit(chunks, CONCURRENCY, async (chunk) => {
    // A chunk whose clips are all on disk (an interrupted run's) needs no process.
    if (chunk.every((c) => existsSync(join(out, c.rel)))) {
      done += chunk.length;
      opts.onProgress?.(done, clips.length);
      return;
    }
    await renderChunk({ out, noiseFiles, festivalDir, clips: chunk }, () => opts.onProgress?.(++done, clips.length));
  });
  const list = (split: string): string => clips.filter((c) => c.split === split).map((c) => c.rel).sort().join('\n') + '\n';
  await atomicWriteAsync(join(out, VALIDATION_LIST), list('val'));
  await atomicWriteAsync(join(out, TESTING_LIST), list('test'));

  const voices = splitVoices(seed, opts.holdout, recorded);
  const ids = (s: 'train' | 'val' | 'test'): string[] => voices[s].map((v) => v.id).sort();
  const result = { clips: clips.length, words, trainVoices: ids('train'), valVoices: ids('val'), testVoices: ids('test') };
  await atomicWriteAsync(join(out, STAMP), JSON.stringify({ params, complete: true, result } satisfies Stamp, null, 2));
  await rm(festivalDir, { recursive: true, force: true });
  return { out, ...result, seconds: (performance.now() - t0) / 1000, reused: false };
}
