// What the synthetic Speech Commands set contains: words, voices split by voice, per-clip parameters.
import { FESTIVAL_VOICES, type FestivalVoice } from './festival.js';
import { FLITE_VOICES } from './flite.js';
import { KWS_KEYWORDS } from './speech-commands.js';
import { type Rng, pick, randInt, rngFor, shuffle, uniform } from '../util/rng.js';
import type { SplitName } from './sc-layout.js';

export const UNKNOWN_WORDS: readonly string[] = ['bed', 'bird', 'cat', 'dog', 'happy', 'house', 'marvin', 'sheila', 'tree', 'wow', 'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const LANGS = ['en', 'en-us', 'en-us-nyc', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029'];
// espeak-ng's voice variants that sound like people (its robots, effects and 'fast' are left out). The klatt family
// uses another synthesizer (Klatt's formant model) instead of espeak-ng's own: a whole engine to hold out.
const VARIANTS = [
  ...['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'f1', 'f2', 'f3', 'f4', 'f5'],
  ...['klatt', 'klatt2', 'klatt3', 'klatt4', 'klatt5', 'klatt6'],
  ...['Alex', 'Alicia', 'Andrea', 'Andy', 'Annie', 'Denis', 'Diogo', 'Gene', 'Gene2', 'Henrique', 'Hugo', 'Jacky', 'Lee', 'Marco', 'Mario', 'Michael', 'Mike', 'Nguyen', 'Storm'],
  ...['adam', 'anika', 'announcer', 'antonio', 'aunty', 'belinda', 'benjamin', 'boris', 'caleb', 'david', 'ed', 'edward', 'edward2', 'grandma', 'grandpa', 'gustave'],
  ...['iven', 'iven2', 'iven3', 'iven4', 'john', 'kaukovalta', 'linda', 'marcelo', 'max', 'michel', 'miguel', 'norbert', 'pablo', 'paul', 'pedro', 'quincy'],
  ...['rob', 'robert', 'sandro', 'shelby', 'steph', 'steph2', 'steph3', 'travis', 'victor', 'whisper', 'whisperf', 'zac'],
];
// Families a set can hold out for its test split. 'flite': CMU Flite's five voices, 'festival': Festival's three,
// each another engine altogether (its own front end, lexicon and waveform synthesis).
export const VOICE_FAMILIES = {
  klatt: (v: Voice) => v.variant.startsWith('klatt'),
  whisper: (v: Voice) => v.variant.startsWith('whisper'),
  flite: (v: Voice) => v.engine === 'flite',
  festival: (v: Voice) => v.engine === 'festival',
} as const;
export type VoiceFamily = keyof typeof VOICE_FAMILIES;
const ENDINGS = ['', '.', '!', '?']; // punctuation changes espeak-ng's intonation

export interface Voice {
  id: string; // file-name safe voice id, 'en-us-f2', 'flite-slt', 'festival-ked'
  engine: 'espeak-ng' | 'flite' | 'festival';
  name: string; // the engine's voice: espeak-ng's -v value 'en-us+f2', flite's 'slt', festival's 'ked'
  variant: string; // 'f2', 'slt', 'ked'
  speaker: string; // whose recordings the voice is made of: Flite's and Festival's kal are one man, as are their slt
}

// Training clips spoken by the voices of the recorded-speech engines (Flite and Festival), added to espeak-ng's: per
// word, this share of its clip count (about 16% of the training split, from 8 voices of 5 people).
export const RECORDED_EXTRA = 0.15;

export interface ClipPlan {
  word: string;
  rel: string; // 'yes/en-us-f2_nohash_0.wav'
  split: SplitName;
  voice: Voice;
  text: string;
  rate: number; // words per minute (espeak-ng -s); festival: a Duration_Stretch of 160 / rate in tenths, 0.8..1.5
  pitch: number; // 0..99 (-p); flite and festival: the speed of the resampling, 2^((pitch - 50) / 120), +-3 semitones
  range: number; // pitch range 0..100 (espeak-ng's espeakRANGE; 50 is the voice's own)
  amplitude: number; // 0..200 (-a)
  gap: number; // word gap in 10 ms units (-g)
  reverb: number | undefined; // sox reverberance 0..100, or none
  room: number; // sox room scale 0..100
  levelDb: number; // peak level after normalisation, dBFS
  onset: number; // 0..1: where in the free space of the 1 s clip the word starts
  snrDb: number | undefined; // background noise SNR, or none
  seed: number; // the clip's own noise-cut stream
}

// espeak-ng's voices: every set's training and validation voices, and its test voices unless a family is held out.
export function allVoices(): Voice[] {
  return LANGS.flatMap((l) => VARIANTS.map((v) => ({ id: `${l}-${v}`, engine: 'espeak-ng' as const, name: `${l}+${v}`, variant: v, speaker: `${l}-${v}` })));
}

export function fliteVoices(): Voice[] {
  return FLITE_VOICES.map((v) => ({ id: `flite-${v}`, engine: 'flite' as const, name: v, variant: v, speaker: v === 'kal16' ? 'kal' : v }));
}

export function festivalVoices(): Voice[] {
  return (Object.keys(FESTIVAL_VOICES) as FestivalVoice[]).map((v) => ({ id: `festival-${v}`, engine: 'festival' as const, name: v, variant: v, speaker: v }));
}

// Voices of recordings of people: Flite's and Festival's.
export function recordedVoices(): Voice[] {
  return [...fliteVoices(), ...festivalVoices()];
}

// espeak-ng's voices split 80/10/10 by seed; a voice speaks in exactly one split. With `recorded`, Flite's and
// Festival's voices train too (validation and test stay espeak-ng's). With `holdout`, that family's voices are the
// test split and nothing else, and no voice of a person the family speaks with trains (holding out Flite also keeps
// Festival's kal and slt out): the set then measures voices of an engine or family training never heard.
export function splitVoices(seed: number, holdout?: VoiceFamily, recorded = false): Record<SplitName, Voice[]> {
  const all = allVoices();
  const trainRecorded = recorded ? recordedVoices() : [];
  if (holdout) {
    const inFamily = VOICE_FAMILIES[holdout];
    const rest = shuffle(rngFor(seed, 'voices'), all.filter((v) => !inFamily(v)));
    const k = Math.max(1, Math.round(rest.length / 10));
    const test = [...all, ...recordedVoices()].filter((v) => inFamily(v));
    const heard = new Set(test.map((v) => v.speaker));
    return { test, val: rest.slice(0, k), train: [...rest.slice(k), ...trainRecorded.filter((v) => !heard.has(v.speaker))] };
  }
  const voices = shuffle(rngFor(seed, 'voices'), all);
  const k = Math.max(1, Math.round(voices.length / 10));
  return { test: voices.slice(0, k), val: voices.slice(k, 2 * k), train: [...voices.slice(2 * k), ...trainRecorded] };
}

// Split of clip i of n for one word: the first ~10% test, the next ~10% val, the rest train.
function splitOf(i: number, n: number): SplitName {
  const k = Math.max(1, Math.round(n / 10));
  return i < k ? 'test' : i < 2 * k ? 'val' : 'train';
}

function drawClip(rng: Rng, word: string, voice: Voice, split: SplitName): Omit<ClipPlan, 'rel'> {
  return {
    word,
    split,
    voice,
    text: word + pick(rng, ENDINGS),
    rate: randInt(rng, 110, 210),
    pitch: randInt(rng, 20, 80),
    range: randInt(rng, 20, 90),
    amplitude: randInt(rng, 60, 160),
    gap: randInt(rng, 0, 10),
    reverb: rng() < 0.5 ? randInt(rng, 10, 80) : undefined,
    room: randInt(rng, 20, 100),
    levelDb: uniform(rng, -20, -3),
    onset: uniform(rng, 0.1, 0.9),
    snrDb: rng() < 0.7 ? uniform(rng, 15, 40) : undefined,
    seed: Math.floor(rng() * 2 ** 32),
  };
}

export function unknownClipsPerWord(clipsPerWord: number): number {
  return Math.max(3, Math.ceil(clipsPerWord / 5));
}

// Every clip of the set, in a fixed order; each clip's parameters come from its own seeded stream. espeak-ng's clips
// come first, word by word, exactly as in a set without recorded voices (the same plan, and in the same rendering
// chunks the same bytes); with `recorded`, the recorded voices' training clips follow, RECORDED_EXTRA of each word's
// count.
export function planClips(seed: number, clipsPerWord: number, holdout?: VoiceFamily, recorded = false): ClipPlan[] {
  const voices = splitVoices(seed, holdout, recorded);
  const espeakTrain = voices.train.filter((v) => v.engine === 'espeak-ng');
  const recordedTrain = voices.train.filter((v) => v.engine !== 'espeak-ng');
  const pool = (split: SplitName): Voice[] => (split === 'train' ? espeakTrain : voices[split]);
  const clips: ClipPlan[] = [];
  const words = [...KWS_KEYWORDS.map((w) => [w, clipsPerWord] as const), ...UNKNOWN_WORDS.map((w) => [w, unknownClipsPerWord(clipsPerWord)] as const)];
  const named = (clip: Omit<ClipPlan, 'rel'>, perVoice: Map<string, number>): ClipPlan => {
    const k = perVoice.get(clip.voice.id) ?? 0;
    perVoice.set(clip.voice.id, k + 1);
    return { ...clip, rel: `${clip.word}/${clip.voice.id}_nohash_${k}.wav` };
  };
  for (const [word, n] of words) {
    const perVoice = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const rng = rngFor(seed, 'clip', word, i);
      const split = splitOf(i, n);
      clips.push(named(drawClip(rng, word, pick(rng, pool(split)), split), perVoice));
    }
  }
  if (recordedTrain.length === 0) return clips;
  for (const [word, n] of words) {
    const perVoice = new Map<string, number>();
    for (let i = 0; i < Math.round(RECORDED_EXTRA * n); i++) {
      const rng = rngFor(seed, 'recorded', word, i);
      clips.push(named(drawClip(rng, word, pick(rng, recordedTrain), 'train'), perVoice));
    }
  }
  return clips;
}
