// Finding a Speech Commands folder's words, clips, splits and background noise, as Google ships it.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from './errors.js';

export type SplitName = 'train' | 'val' | 'test';

export interface ScLayout {
  dir: string;
  words: Map<string, string[]>; // word folder -> clip paths relative to dir ('yes/0a7c2a8d_nohash_0.wav'), sorted
  split: (rel: string) => SplitName;
  background: string[]; // absolute paths of _background_noise_/*.wav, sorted
  listsHash: string; // sha256 of validation_list.txt + testing_list.txt ('' when absent)
  hasLists: boolean;
}

export const BACKGROUND_DIR = '_background_noise_';
export const VALIDATION_LIST = 'validation_list.txt';
export const TESTING_LIST = 'testing_list.txt';

async function wavsIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const wavs = entries.filter((e) => e.name.toLowerCase().endsWith('.wav'));
  const folder = wavs.find((e) => e.isDirectory());
  if (folder) throw new DataError(join(dir, folder.name), 'is a folder, expected a WAV file');
  return wavs.map((e) => e.name).sort();
}

// Every entry of a split list must name a clip of the dataset: a typo or a missing file would silently move clips
// between splits (and '../' entries point outside the dataset).
function checkList(dir: string, list: string, entries: string[], clips: Set<string>): void {
  const bad = entries.map((rel, i) => ({ rel, line: i + 1 })).filter(({ rel }) => !clips.has(rel));
  if (bad.length === 0) return;
  const shown = bad.slice(0, 3).map(({ rel, line }) => `line ${line} '${rel}'`).join(', ');
  throw new DataError(join(dir, list), `${bad.length} of ${entries.length} entries name no clip of the dataset (${shown}${bad.length > 3 ? ', ...' : ''}); entries are paths like 'yes/0a7c2a8d_nohash_0.wav'`);
}

async function readList(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

// The dataset's own rule when the lists are absent: hash the speaker part of the name, 10% val, 10% test.
export function hashSplit(rel: string): SplitName {
  const base = rel.slice(rel.lastIndexOf('/') + 1).replace(/_nohash_.*$/, '');
  const hex = createHash('sha1').update(base).digest('hex');
  const maxPerClass = 2n ** 27n - 1n;
  const percent = Number(BigInt('0x' + hex) % (maxPerClass + 1n)) * (100 / Number(maxPerClass));
  if (percent < 10) return 'val';
  if (percent < 20) return 'test';
  return 'train';
}

export async function scanSpeechCommands(dir: string, keywords: readonly string[]): Promise<ScLayout> {
  if (!existsSync(dir)) throw new DataError(dir, 'no such directory');
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== BACKGROUND_DIR).map((e) => e.name).sort();
  const hasLists = existsSync(join(dir, VALIDATION_LIST)) || existsSync(join(dir, TESTING_LIST));
  if (!hasLists && !keywords.some((k) => folders.includes(k))) {
    throw new DataError(dir, `unknown dataset layout: expected Speech Commands folders (${keywords.slice(0, 3).join('/, ')}/, ..., ${VALIDATION_LIST}, ${TESTING_LIST}, ${BACKGROUND_DIR}/), or 'mnist' / 'fashion-mnist'`);
  }
  for (const k of keywords) if (!folders.includes(k)) throw new DataError(dir, `no folder for keyword '${k}' (needs ${keywords.join(', ')})`);
  const words = new Map<string, string[]>();
  for (const f of folders) {
    const wavs = await wavsIn(join(dir, f));
    if (wavs.length === 0) throw new DataError(join(dir, f), 'label folder has no .wav files');
    words.set(f, wavs.map((w) => `${f}/${w}`));
  }
  const val = await readList(join(dir, VALIDATION_LIST));
  const testList = await readList(join(dir, TESTING_LIST));
  const clips = new Set([...words.values()].flat());
  checkList(dir, VALIDATION_LIST, val, clips);
  checkList(dir, TESTING_LIST, testList, clips);
  const valSet = new Set(val);
  const testSet = new Set(testList);
  const split = hasLists ? (rel: string): SplitName => (valSet.has(rel) ? 'val' : testSet.has(rel) ? 'test' : 'train') : hashSplit;
  const bgDir = join(dir, BACKGROUND_DIR);
  const background = existsSync(bgDir) ? (await wavsIn(bgDir)).map((n) => join(bgDir, n)) : [];
  const listsHash = hasLists ? createHash('sha256').update(val.join('\n')).update('\0').update(testList.join('\n')).digest('hex') : '';
  return { dir, words, split, background, listsHash, hasLists };
}
