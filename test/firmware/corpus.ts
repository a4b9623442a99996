// The fuzzing seed corpus: valid models and deterministic corruptions of them.
import { writeTflite } from '../../src/tflite/writer.js';
import { mulberry32 } from '../../src/util/rng.js';
import { coverageModel, dscnnModel, twoOfFour } from './models.js';

// Valid models, then per model: single-bit flips, 32-bit words overwritten with extreme values, truncations.
export function seedCorpus(): Uint8Array[] {
  const valid = [
    coverageModel(1),
    coverageModel(2),
    dscnnModel(3, { channels: 8, blocks: 1 }),
    dscnnModel(4, { channels: 4, blocks: 1, weights: 'int4' }),
  ].map((m) => writeTflite(m));
  // 2:4 weights (int8, int4) with their packed form (metadata "pqk_2of4"), which the loader checks against the tensors.
  valid.push(writeTflite(twoOfFour(dscnnModel(5, { channels: 16, blocks: 1 })), { packTwoOfFour: true }));
  valid.push(writeTflite(twoOfFour(dscnnModel(6, { channels: 32, blocks: 1, weights: 'int4' })), { packTwoOfFour: true }));
  const r = mulberry32(99);
  const out: Uint8Array[] = [...valid];
  for (const v of valid) {
    for (let i = 0; i < 24; i++) {
      const c = v.slice();
      const at = Math.floor(r() * c.length);
      if (i % 3 === 0) c[at] ^= 1 << Math.floor(r() * 8);
      else new DataView(c.buffer).setUint32(Math.min(at & ~3, c.length - 4), [0xffffffff, 0x7fffffff, 0x80000000, 0][i % 4], true);
      out.push(c);
    }
    for (const f of [0.1, 0.5, 0.9]) out.push(v.slice(0, Math.floor(v.length * f)));
  }
  return out;
}
