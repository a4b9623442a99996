// A child process of `pqk data synth-kws`: renders one chunk of clips in plan order and writes those not on disk yet
// (every clip is rendered, written or not, so libespeak-ng's state, and with it every clip, is the same as in an
// uninterrupted run). Talks to its parent over the IPC channel: one 'chunk' message in, 'done' per clip out.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderClip } from './synth-audio.js';
import type { ClipPlan } from './synth-plan.js';
import { RATE } from './synth-audio.js';
import { readWav, toFloat, writeWav } from './wav.js';

export interface ChunkMessage {
  out: string;
  noiseFiles: string[];
  festivalDir: string; // the set's festival renderings
  clips: ClipPlan[];
}

process.once('message', (m: ChunkMessage) => {
  void (async () => {
    try {
      const noise = await Promise.all(m.noiseFiles.map(async (f) => toFloat((await readWav(f, { sampleRate: RATE })).samples)));
      for (const c of m.clips) {
        const path = join(m.out, c.rel);
        const samples = renderClip(path, c, noise, m.festivalDir);
        if (!existsSync(path)) await writeWav(path, samples, RATE); // files appear atomically, so an existing one is whole
        process.send!({ done: c.rel });
      }
      process.send!({ finished: true }, () => process.exit(0));
    } catch (e) {
      process.send!({ error: (e as Error).message }, () => process.exit(1));
    }
  })();
});
