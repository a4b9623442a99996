// Rendering one synthetic clip (libespeak-ng or libflite in process, or festival's rendering of its text -> room
// reverb -> resampling -> placement, level, noise) and the background noise recordings (sox, once per set).
import { join } from 'node:path';
import { cutNoise, mixAtSnr } from './augment.js';
import { reverb, resample } from './dsp.js';
import { DataError } from './errors.js';
import { espeakSampleRate, speak } from './espeak.js';
import { readFestival, type FestivalText, type FestivalVoice } from './festival.js';
import { speakFlite, type FliteVoice, type Wave } from './flite.js';
import { mulberry32 } from '../util/rng.js';
import type { ClipPlan } from './synth-plan.js';
import { runTool } from './tools.js';
import { toFloat, toInt16, writeWav } from './wav.js';

export const RATE = 16000;
const CLIP = 16000;

// sox flags for byte-stable output: fixed random seed (-R), no dither (-D), errors only (-V1).
const SOX_STABLE = ['-R', '-D', '-V1'];
const SOX_RAW_OUT = ['-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-r', String(RATE), '-'];

// Each a few seconds of sox-synthesised noise, distinct in colour and texture (sox's -R noise stream is the same each run).
export const NOISES: readonly { name: string; effects: string[] }[] = [
  { name: 'white_noise', effects: ['synth', '6', 'whitenoise', 'vol', '0.15'] },
  { name: 'pink_noise', effects: ['synth', '7', 'pinknoise', 'vol', '0.3'] },
  { name: 'brown_noise', effects: ['synth', '8', 'brownnoise', 'vol', '0.5'] },
  { name: 'running_tap', effects: ['synth', '9', 'pinknoise', 'highpass', '1500', 'tremolo', '7', '40', 'vol', '0.4'] },
  { name: 'fan_hum', effects: ['synth', '10', 'brownnoise', 'lowpass', '300', 'vol', '0.8'] },
  { name: 'hiss_wobble', effects: ['synth', '11', 'whitenoise', 'bandpass', '3000', '1000h', 'tremolo', '0.5', '60', 'vol', '0.3'] },
];

function int16le(buf: Buffer): Int16Array {
  const out = new Int16Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(2 * i);
  return out;
}

export async function renderNoise(dir: string, noise: (typeof NOISES)[number]): Promise<void> {
  const raw = await runTool('sox', [...SOX_STABLE, '-n', ...SOX_RAW_OUT, ...noise.effects]);
  await writeWav(join(dir, `${noise.name}.wav`), int16le(raw), RATE);
}

// The text and duration stretch a Festival clip is rendered with (its rate as a Duration_Stretch of 160 / rate, in
// tenths: 0.8 to 1.5 for 210 to 110 words per minute).
export function festivalText(plan: ClipPlan): FestivalText {
  return { text: plan.text, stretch: Math.round((10 * 160) / plan.rate) };
}

// The word at RATE. flite's and festival's voices are used as they ship (festival's at the clip's duration stretch)
// and played 2^((pitch - 50) / 120) times faster (tempo, pitch and formants together, +-3 semitones): resampled
// from their rate times that speed, rounded to 100 Hz so that the resampler's phases stay few. `festivalDir`: where
// the set's festival renderings are (synth-kws makes them before the clips).
function spoken(plan: ClipPlan, festivalDir: string): Float32Array {
  const v = plan.voice;
  if (v.engine === 'flite' || v.engine === 'festival') {
    const w: Wave = v.engine === 'flite' ? speakFlite(v.name as FliteVoice, plan.text) : readFestival(festivalDir, v.name as FestivalVoice, festivalText(plan));
    let x = toFloat(w.samples);
    if (plan.reverb !== undefined) x = reverb(x, w.sampleRate, plan.reverb, plan.room);
    return resample(x, Math.round((w.sampleRate * 2 ** ((plan.pitch - 50) / 120)) / 100) * 100, RATE);
  }
  const rate = espeakSampleRate();
  let x = toFloat(speak({ voice: v.name, text: plan.text, rate: plan.rate, pitch: plan.pitch, range: plan.range, amplitude: plan.amplitude, gap: plan.gap }));
  if (plan.reverb !== undefined) x = reverb(x, rate, plan.reverb, plan.room);
  return resample(x, rate, RATE);
}

// Puts the spoken word (its extent above 2% of the peak) into a 1 s clip at the planned onset and level.
export function placeWord(x: Float32Array, onset: number, levelDb: number, name: string): Float32Array {
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) throw new DataError(name, 'the speech engine produced only silence');
  let first = 0;
  let last = x.length - 1;
  while (Math.abs(x[first]) < 0.02 * peak) first++;
  while (Math.abs(x[last]) < 0.02 * peak) last--;
  let word = x.subarray(first, last + 1);
  if (word.length > CLIP) word = word.subarray((word.length - CLIP) >> 1, ((word.length - CLIP) >> 1) + CLIP);
  const out = new Float32Array(CLIP);
  const at = Math.floor(onset * (CLIP - word.length));
  const gain = 10 ** (levelDb / 20) / peak;
  for (let i = 0; i < word.length; i++) out[at + i] = word[i] * gain;
  return out;
}

// The clip's samples. libespeak-ng keeps state between calls (its pitch flutter runs on), so a clip depends on the
// clips rendered before it in the same process: synth-kws renders fixed chunks, each in a fresh process.
export function renderClip(path: string, plan: ClipPlan, noise: readonly Float32Array[], festivalDir: string): Int16Array {
  let clip = placeWord(spoken(plan, festivalDir), plan.onset, plan.levelDb, path);
  if (plan.snrDb !== undefined && noise.length > 0) clip = mixAtSnr(clip, cutNoise(mulberry32(plan.seed), noise, CLIP), plan.snrDb);
  return toInt16(clip);
}
