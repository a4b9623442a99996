// The standard 12-class Speech Commands protocol: 10 keywords, _silence_, _unknown_, MFCC features per clip.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { augmentClip, DEFAULT_AUGMENT, silenceClip, type AugmentConfig } from './augment.js';
import { DataError } from './errors.js';
import { cacheKey, cachePath, readCache, writeCache } from './feature-cache.js';
import { createMfcc, KWS_MFCC } from './mfcc.js';
import { mapLimit } from './pool.js';
import { rngFor, shuffle } from '../util/rng.js';
import { scanSpeechCommands, type ScLayout, type SplitName } from './sc-layout.js';
import type { Dataset, Split } from './types.js';
import { decodeWav, readWav, toFloat, toInt16 } from './wav.js';
import { systemReason } from '../util/fs.js';

export const KWS_KEYWORDS: readonly string[] = ['down', 'go', 'left', 'no', 'off', 'on', 'right', 'stop', 'up', 'yes'];
export const SILENCE = '_silence_';
export const UNKNOWN = '_unknown_';
const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];
const CACHE_VERSION = 3; // bump when the computation changes so old caches are not reused

export interface SpeechCommandsOptions {
  seed?: number; // unknown subsampling, silence cuts, augmentation (default 0)
  keywords?: readonly string[]; // default KWS_KEYWORDS
  augment?: AugmentConfig | false; // training split only (default DEFAULT_AUGMENT)
  silenceGain?: [number, number]; // gain range of _silence_ noise cuts (default [0, 1])
  maxBadFraction?: number; // unreadable clips skipped with a warning up to this share; beyond it, an error (default 0.01; 0 = strict)
  cache?: boolean; // default true
  cacheDir?: string; // default DIR/.pqk-cache
  onWarning?: (message: string) => void;
  onProgress?: (done: number, total: number) => void;
}

type Item = { rel: string; label: number; copy: number } | { silence: number; label: number };

// Which clips make up one split: every keyword clip, then a fair share (the mean per keyword) of unknowns and of
// silence; `copies` times over for augmented training data.
export function planSplit(layout: ScLayout, split: SplitName, keywords: readonly string[], seed: number, copies = 1): Item[] {
  const items: Item[] = [];
  const unknown: string[] = [];
  for (const [word, rels] of layout.words) {
    const k = keywords.indexOf(word);
    for (const rel of rels) {
      if (layout.split(rel) !== split) continue;
      if (k >= 0) items.push({ rel, label: k, copy: 0 });
      else unknown.push(rel);
    }
  }
  const share = Math.round(items.length / keywords.length);
  for (const rel of shuffle(rngFor(seed, 'unknown', split), unknown).slice(0, share)) items.push({ rel, label: keywords.length + 1, copy: 0 });
  const clips = [...items];
  for (let c = 1; c < copies; c++) items.push(...clips.map((it) => ({ ...it, copy: c })));
  for (let i = 0; i < share * copies; i++) items.push({ silence: i, label: keywords.length });
  return shuffle(rngFor(seed, 'order', split), items);
}

interface Ctx {
  layout: ScLayout;
  seed: number;
  augment: AugmentConfig | false;
  silenceGain: [number, number];
  noise: Float32Array[];
}

// Samples of one item, float scale on the int16 grid (what a microphone's 16-bit PCM can hold, so the firmware
// frontend can be given the same clip), or the DataError that says why the clip cannot be read.
async function itemSamples(ctx: Ctx, item: Item, split: SplitName): Promise<Float32Array | DataError> {
  if ('silence' in item) return onInt16Grid(silenceClip(rngFor(ctx.seed, 'silence', split, item.silence), ctx.noise, KWS_MFCC.clipSamples, ctx.silenceGain));
  const path = join(ctx.layout.dir, item.rel);
  let x: Float32Array;
  try {
    x = toFloat(decodeWav(await readFile(path), path, { sampleRate: KWS_MFCC.sampleRate }).samples);
  } catch (e) {
    if (e instanceof DataError) return e;
    // A clip that is missing, unreadable or a folder is skipped like a malformed one; other failures are not the clip's.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EACCES' || code === 'ENOENT') return new DataError(path, systemReason(e)!);
    throw e;
  }
  if (x.length === 0) return new DataError(path, 'has no samples');
  const clip = new Float32Array(KWS_MFCC.clipSamples);
  clip.set(x.subarray(0, clip.length));
  if (split !== 'train' || !ctx.augment) return clip;
  return onInt16Grid(augmentClip(rngFor(ctx.seed, 'augment', item.rel, item.copy), clip, KWS_MFCC.sampleRate, ctx.augment, ctx.noise));
}

// Each sample rounded to int16 as toInt16 does it, back in float scale.
function onInt16Grid(x: Float32Array): Float32Array {
  return toFloat(toInt16(x));
}

interface Progress {
  done: number;
  total: number;
  skipped: DataError[];
  allowed: number;
  onWarning: (m: string) => void;
  onProgress?: (done: number, total: number) => void;
}

// A split's items with their samples (or the DataError that says why a clip cannot be read), 64 at a time, in
// order; the clips of a chunk are read concurrently.
async function* itemChunks(ctx: Ctx, items: Item[], split: SplitName): AsyncGenerator<{ item: Item; samples: Float32Array | DataError }[]> {
  for (let start = 0; start < items.length; start += 64) {
    const chunk = items.slice(start, start + 64);
    const samples = await mapLimit(chunk, 8, (item) => itemSamples(ctx, item, split));
    yield chunk.map((item, i) => ({ item, samples: samples[i]! }));
  }
}

async function computeSplit(ctx: Ctx, items: Item[], split: SplitName, p: Progress): Promise<Split> {
  const mfcc = createMfcc(KWS_MFCC);
  const per = KWS_MFCC.frames * KWS_MFCC.coefficients;
  const x = new Float32Array(items.length * per);
  const y = new Int32Array(items.length);
  let n = 0;
  for await (const chunk of itemChunks(ctx, items, split)) {
    for (const { item, samples: s } of chunk) {
      if (s instanceof DataError) {
        p.skipped.push(s);
        p.onWarning(`skipping unreadable clip ${s.message}`);
        if (p.skipped.length > p.allowed) {
          throw new DataError(s.path, `${s.message.slice(s.path.length + 2)} (${p.skipped.length} unreadable clips so far, more than the ${p.allowed} allowed of ${p.total})`);
        }
        continue;
      }
      mfcc.compute(s, x.subarray(n * per, (n + 1) * per));
      y[n++] = item.label;
    }
    p.done += chunk.length;
    p.onProgress?.(p.done, p.total);
  }
  return { x: x.slice(0, n * per), y: y.slice(0, n), n };
}

interface Prepared {
  layout: ScLayout;
  keywords: readonly string[];
  seed: number;
  augment: AugmentConfig | false;
  silenceGain: [number, number];
  plans: Item[][];
}

async function prepare(dir: string, opts: SpeechCommandsOptions): Promise<Prepared> {
  const keywords = opts.keywords ?? KWS_KEYWORDS;
  const seed = opts.seed ?? 0;
  const augment = opts.augment === undefined ? DEFAULT_AUGMENT : opts.augment;
  const silenceGain = opts.silenceGain ?? [0, 1];
  const layout = await scanSpeechCommands(dir, keywords);
  const copies = augment ? (augment.copies ?? 1) : 1;
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`augment.copies must be a positive integer, got ${copies}`);
  const plans = SPLITS.map((s) => planSplit(layout, s, keywords, seed, s === 'train' ? copies : 1));
  SPLITS.forEach((s, i) => {
    if (plans[i]!.some((it) => 'rel' in it && it.label < keywords.length)) return;
    const how = layout.hasLists ? `${s === 'test' ? 'testing_list.txt' : s === 'val' ? 'validation_list.txt' : 'the clips not in the two lists'} names no keyword clip` : 'the hash split put no keyword clip there (too few clips?)';
    throw new DataError(dir, `the ${s} split has no keyword clips: ${how}`);
  });
  return { layout, keywords, seed, augment, silenceGain, plans };
}

async function loadNoise(layout: ScLayout): Promise<Float32Array[]> {
  return Promise.all(
    layout.background.map(async (b) => {
      const w = toFloat((await readWav(b, { sampleRate: KWS_MFCC.sampleRate })).samples);
      if (w.length < KWS_MFCC.clipSamples) throw new DataError(b, `background noise of ${w.length} samples is shorter than one clip (${KWS_MFCC.clipSamples})`);
      return w;
    }),
  );
}

// The audio of one split, clip for clip in the order (and with the skips) of loadSpeechCommands' features for the
// same options: int16 PCM of one clip each, and the labels. For checking a frontend on a device.
// `limit`: the first so many clips only.
export async function loadSplitAudio(dir: string, split: SplitName, opts: SpeechCommandsOptions & { limit?: number } = {}): Promise<{ audio: Int16Array[]; labels: Int32Array }> {
  const { layout, seed, augment, silenceGain, plans } = await prepare(dir, opts);
  const ctx: Ctx = { layout, seed, augment, silenceGain, noise: await loadNoise(layout) };
  const audio: Int16Array[] = [];
  const labels: number[] = [];
  const limit = opts.limit ?? Infinity;
  for await (const chunk of itemChunks(ctx, plans[SPLITS.indexOf(split)], split)) {
    for (const { item, samples } of chunk) {
      if (samples instanceof DataError || audio.length >= limit) continue;
      audio.push(toInt16(samples));
      labels.push(item.label);
    }
    if (audio.length >= limit) break;
  }
  return { audio, labels: Int32Array.from(labels) };
}

export async function loadSpeechCommands(dir: string, opts: SpeechCommandsOptions = {}): Promise<Dataset> {
  const { layout, keywords, seed, augment, silenceGain, plans } = await prepare(dir, opts);
  const onWarning = opts.onWarning ?? (() => undefined);
  const fileList = [...layout.words.values()].flat();
  const key = cacheKey({ v: CACHE_VERSION, fileList, lists: layout.listsHash, bg: layout.background.map((b) => b.slice(dir.length)), frontend: KWS_MFCC, keywords, seed, augment, silenceGain });
  const path = cachePath(opts.cacheDir ?? join(dir, '.pqk-cache'), key);
  if (opts.cache !== false) {
    const hit = await readCache(path);
    if (hit) {
      if (hit.extra.skipped.length > 0) onWarning(`${hit.extra.skipped.length} unreadable clips were skipped (cached): ${hit.extra.skipped.slice(0, 3).join('; ')}`);
      return hit.ds;
    }
  }
  const noise = await loadNoise(layout);
  if (noise.length === 0) onWarning(`${dir}: no _background_noise_/*.wav; _silence_ clips are all zeros and no noise is mixed in`);
  const ctx: Ctx = { layout, seed, augment, silenceGain, noise };
  const total = plans.reduce((a, p) => a + p.length, 0);
  const allowed = Math.floor(total * (opts.maxBadFraction ?? 0.01));
  const progress: Progress = { done: 0, total, skipped: [], allowed, onWarning, onProgress: opts.onProgress };
  const [train, val, test] = [await computeSplit(ctx, plans[0], 'train', progress), await computeSplit(ctx, plans[1], 'val', progress), await computeSplit(ctx, plans[2], 'test', progress)];
  if (progress.skipped.length > 0) onWarning(`skipped ${progress.skipped.length} of ${total} clips as unreadable`);
  const ds: Dataset = { name: `speech-commands:${dir}`, task: 'kws', labels: [...keywords, SILENCE, UNKNOWN], inputShape: [KWS_MFCC.frames, KWS_MFCC.coefficients, 1], train, val, test, frontend: { ...KWS_MFCC } };
  if (opts.cache !== false) await writeCache(path, ds, { skipped: progress.skipped.map((e) => e.message) }).catch((e: Error) => onWarning(`cannot write feature cache ${path}: ${e.message}`));
  return ds;
}
