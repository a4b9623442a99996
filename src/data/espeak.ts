// espeak-ng in process: libespeak-ng (Debian's libespeak-ng1, which the espeak-ng package depends on) loaded with
// koffi, synthesizing synchronously into memory. One call costs a few milliseconds instead of a process start, which
// is what makes large synthetic sets cheap. Output: 16-bit mono at the library's rate (22,050 Hz).
import koffi from 'koffi';
import { EnvironmentError } from '../errors.js';

// speak_lib.h
const AUDIO_OUTPUT_SYNCHRONOUS = 2;
const POS_CHARACTER = 1;
const espeakCHARS_AUTO = 0;
const espeakENDPAUSE = 0x1000;
const PARAM = { rate: 1, volume: 2, pitch: 3, range: 4, wordgap: 7 } as const;

export interface SpeakParams {
  voice: string; // espeak-ng -v value: 'en-us+f2'
  text: string;
  rate: number; // words per minute (-s)
  pitch: number; // 0..99 (-p)
  range?: number; // pitch range 0..100 (default 50)
  amplitude: number; // 0..200 (-a)
  gap: number; // word gap, 10 ms units (-g)
}

interface Lib {
  sampleRate: number;
  setVoice: (name: string) => number;
  setParameter: (p: number, v: number, relative: number) => number;
  synth: (text: Buffer, size: number, pos: number, posType: number, end: number, flags: number, uid: null, user: null) => number;
  synchronize: () => number;
  srand: (seed: number) => void;
  chunks: Int16Array[];
}

let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  let h: ReturnType<typeof koffi.load>;
  try {
    h = koffi.load('libespeak-ng.so.1');
  } catch (e) {
    throw new EnvironmentError(`cannot load libespeak-ng.so.1 (${(e as Error).message}); install espeak-ng (scripts/setup.sh does)`);
  }
  const SynthCb = koffi.proto('int pqk_espeak_cb(int16_t *wav, int numsamples, void *events)');
  const initialize = h.func('int espeak_Initialize(int output, int buflength, const char *path, int options)');
  const setCallback = h.func('void espeak_SetSynthCallback(pqk_espeak_cb *cb)');
  const sampleRate = initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, null, 0) as number;
  if (!(sampleRate > 0)) throw new EnvironmentError(`libespeak-ng did not initialize (espeak_Initialize returned ${sampleRate}); is espeak-ng-data installed?`);
  const l: Lib = {
    sampleRate,
    setVoice: h.func('int espeak_SetVoiceByName(const char *name)'),
    setParameter: h.func('int espeak_SetParameter(int parameter, int value, int relative)'),
    synth: h.func('int espeak_Synth(const void *text, size_t size, unsigned int position, int position_type, unsigned int end_position, unsigned int flags, void *uid, void *user)'),
    synchronize: h.func('int espeak_Synchronize()'),
    srand: koffi.load('libc.so.6').func('void srand(unsigned int seed)'),
    chunks: [],
  };
  const cb = koffi.register((wav: unknown, n: number) => {
    if (n > 0 && wav !== null) l.chunks.push((koffi.decode(wav, koffi.array('int16_t', n, 'Typed')) as Int16Array).slice());
    return 0;
  }, koffi.pointer(SynthCb));
  setCallback(cb);
  lib = l;
  return l;
}

export function espeakSampleRate(): number {
  return load().sampleRate;
}

// Every parameter is set on every call and the C library's random stream (which espeak-ng draws on) restarts where
// a fresh process starts it. libespeak-ng still carries state from call to call (its pitch flutter runs on), so the
// samples of a call depend on the calls before it in the same process: callers that need reproducible output
// render a fixed sequence of calls in a fresh process (see synth-kws).
export function speak(p: SpeakParams): Int16Array {
  const l = load();
  l.srand(1);
  if (l.setVoice(p.voice) !== 0) throw new EnvironmentError(`espeak-ng has no voice '${p.voice}'`);
  l.setParameter(PARAM.rate, p.rate, 0);
  l.setParameter(PARAM.volume, p.amplitude, 0);
  l.setParameter(PARAM.pitch, p.pitch, 0);
  l.setParameter(PARAM.range, p.range ?? 50, 0);
  l.setParameter(PARAM.wordgap, p.gap, 0);
  l.chunks = [];
  const text = Buffer.from(`${p.text}\0`, 'utf8');
  const err = l.synth(text, text.length, 0, POS_CHARACTER, 0, espeakCHARS_AUTO | espeakENDPAUSE, null, null);
  l.synchronize();
  if (err !== 0) throw new EnvironmentError(`espeak-ng could not synthesize '${p.text}' with voice '${p.voice}' (error ${err})`);
  const n = l.chunks.reduce((s, c) => s + c.length, 0);
  const out = new Int16Array(n);
  let o = 0;
  for (const c of l.chunks) {
    out.set(c, o);
    o += c.length;
  }
  l.chunks = [];
  return out;
}
