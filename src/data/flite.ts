// CMU Flite in process: libflite (Debian's libflite1, which the flite package depends on) loaded with koffi. A second
// speech engine beside espeak-ng, with its own front end, lexicon and waveform synthesis (diphone and clustergen
// voices), so a set can hold out a whole engine. Output: 16-bit mono at the voice's rate (8,000 Hz for kal, 16,000
// for the others).
import koffi from 'koffi';
import { EnvironmentError } from '../errors.js';

export const FLITE_VOICES = ['kal', 'kal16', 'awb', 'rms', 'slt'] as const;
export type FliteVoice = (typeof FLITE_VOICES)[number];

export interface Wave {
  samples: Int16Array;
  sampleRate: number;
}

interface Lib {
  tts: (text: string, voice: unknown) => unknown;
  deleteWave: (w: unknown) => void;
  srand: (seed: number) => void;
  Wave: ReturnType<typeof koffi.struct>;
  voices: Map<FliteVoice, unknown>;
  // Every library loaded, held for the life of the process: a handle koffi collects is closed, and the voice and
  // the lexicon it registered would go with it.
  handles: ReturnType<typeof koffi.load>[];
}

let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  let h: ReturnType<typeof koffi.load>;
  try {
    h = koffi.load('libflite.so.1');
  } catch (e) {
    throw new EnvironmentError(`cannot load libflite.so.1 (${(e as Error).message}); install flite (scripts/setup.sh does)`);
  }
  h.func('int flite_init()')();
  lib = {
    tts: h.func('void *flite_text_to_wave(const char *text, void *voice)'),
    deleteWave: h.func('void delete_wave(void *w)'),
    srand: koffi.load('libc.so.6').func('void srand(unsigned int seed)'),
    // flite's cst_wave.h
    Wave: koffi.struct('pqk_cst_wave', { type: 'const char *', sample_rate: 'int', num_samples: 'int', num_channels: 'int', samples: 'void *' }),
    voices: new Map(),
    handles: [h],
  };
  return lib;
}

function voiceOf(l: Lib, v: FliteVoice): unknown {
  if (!l.voices.has(v)) {
    let vl: ReturnType<typeof koffi.load>;
    try {
      vl = koffi.load(`libflite_cmu_us_${v}.so.1`);
    } catch (e) {
      throw new EnvironmentError(`cannot load flite's voice ${v} (${(e as Error).message}); install flite (scripts/setup.sh does)`);
    }
    l.handles.push(vl);
    const voice: unknown = vl.func(`void *register_cmu_us_${v}(const char *voxdir)`)(null);
    if (voice === null) throw new EnvironmentError(`flite could not register its voice ${v}`);
    l.voices.set(v, voice);
  }
  return l.voices.get(v);
}

// The voice as it ships (speed and pitch are varied by the caller, by resampling). The clustergen voices (awb, rms,
// slt) draw their excitation noise from the C library's rand(), restarted here as a fresh process starts it, so a
// call's samples depend only on its text and voice.
export function speakFlite(voice: FliteVoice, text: string): Wave {
  const l = load();
  const v = voiceOf(l, voice);
  l.srand(1);
  const w = l.tts(text, v);
  if (w === null) throw new EnvironmentError(`flite could not synthesize '${text}' with voice ${voice}`);
  try {
    const s = koffi.decode(w, l.Wave) as { sample_rate: number; num_samples: number; num_channels: number; samples: unknown };
    if (s.num_channels !== 1) throw new EnvironmentError(`flite voice ${voice} wrote ${s.num_channels} channels, expected 1`);
    const samples = s.num_samples > 0 ? (koffi.decode(s.samples, koffi.array('int16_t', s.num_samples, 'Typed')) as Int16Array).slice() : new Int16Array(0);
    return { samples, sampleRate: s.sample_rate };
  } finally {
    l.deleteWave(w);
  }
}
