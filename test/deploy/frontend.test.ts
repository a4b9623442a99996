// The C MFCC frontend (firmware-harness/frontend) computes the TypeScript frontend's features bit for bit: on the
// host (x86-64, SSE float) for every kind of clip, and on an emulated Cortex-M4 from the raw audio of a test split,
// where the model then gives the integer reference's outputs on the board's own features.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadDataset } from '../../src/data/index.js';
import { createMfcc, KWS_MFCC, lnF32, mfccTables } from '../../src/data/mfcc.js';
import { mfccTablesC } from '../../src/deploy/frontend.js';
import { quantizeValue } from '../../src/int/quantize.js';
import { verifyFromAudio } from '../../src/pipeline/verify.js';
import { firmwareDir } from '../../src/runtimes/qemu-boards.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { makeTinySet, removeTinySets } from '../data/fixtures.js';
import { buildHarness } from '../firmware/harness.js';
import { dscnnModel } from '../firmware/models.js';

before(buildHarness);
after(removeTinySets);

// Clips that reach every path: speech-like chirps over four decades of level, noise, silence, full scale, clipping
// square waves, a lone impulse, and clips shorter than a window.
function clips(): Int16Array[] {
  let s = 99;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
  const out: Int16Array[] = [];
  for (let c = 0; c < 40; c++) {
    const amp = 10 ** (-rnd() * 4) * 32000;
    const f0 = 60 + rnd() * 5000;
    const noise = 10 ** (-rnd() * 5) * 2000;
    out.push(
      Int16Array.from({ length: 16000 }, (_, i) =>
        Math.max(
          -32768,
          Math.min(32767, Math.round(amp * Math.sin(2 * Math.PI * f0 * (i / 16000) * (1 + i / 24000)) + noise * (rnd() - 0.5))),
        ),
      ),
    );
  }
  out.push(new Int16Array(16000));
  out.push(Int16Array.from({ length: 16000 }, (_, i) => (Math.floor(i / 40) % 2 ? 32767 : -32768)));
  out.push(Int16Array.from({ length: 16000 }, (_, i) => (i === 7777 ? -32768 : 0)));
  out.push(Int16Array.from({ length: 16000 }, (_, i) => (i % 3) - 1));
  return out;
}

describe('C MFCC frontend on the host', () => {
  let bin = '';
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqk-mfcc-'));
    writeFileSync(join(dir, 'tables.c'), mfccTablesC(KWS_MFCC));
    const fe = join(firmwareDir(), 'frontend');
    bin = join(dir, 'mfcc-host');
    await execa('cc', [
      '-std=c99',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      `-I${fe}`,
      join(fe, 'pqk_mfcc.c'),
      join(dir, 'tables.c'),
      join(firmwareDir(), 'host', 'mfcc_main.c'),
      '-o',
      bin,
    ]);
  });

  const run = async (audio: Int16Array[], samples: number, quant?: [number, number]): Promise<Buffer> => {
    const dir = mkdtempSync(join(tmpdir(), 'pqk-mfcc-run-'));
    const pcm = new Int16Array(audio.length * samples);
    audio.forEach((a, i) => pcm.set(a.subarray(0, samples), i * samples));
    writeFileSync(join(dir, 'in.pcm'), pcm);
    await execa(bin, [
      join(dir, 'in.pcm'),
      join(dir, 'out.bin'),
      `${audio.length}`,
      `${samples}`,
      ...(quant ? [Math.fround(quant[0]).toPrecision(9), `${quant[1]}`] : []),
    ]);
    return readFileSync(join(dir, 'out.bin'));
  };

  it('gives the same float32 bits as src/data/mfcc.ts, whole clips and clips shorter or longer than one', async () => {
    const mfcc = createMfcc();
    const all = clips();
    for (const samples of [16000, 12345, 700, 5]) {
      const got = new Float32Array(new Uint8Array(await run(all, samples)).buffer);
      assert.equal(got.length, all.length * 490);
      let differ = 0;
      all.forEach((a, c) => {
        const want = mfcc.compute(a.subarray(0, samples));
        for (let k = 0; k < 490; k++) if (!Object.is(got[c * 490 + k], want[k])) differ++;
      });
      assert.equal(differ, 0, `${samples}-sample clips: ${differ} of ${got.length} features differ`);
    }
  });

  it('quantizes as TFLite QUANTIZE does, saturating at both ends', async () => {
    const mfcc = createMfcc();
    const all = clips();
    for (const [scale, zp] of [
      [0.4123, 57],
      [0.05, -3],
    ] as const) {
      const got = new Int8Array(new Uint8Array(await run(all, 16000, [scale, zp])).buffer);
      let differ = 0;
      let clamped = 0;
      all.forEach((a, c) => {
        const f = mfcc.compute(a);
        for (let k = 0; k < 490; k++) {
          const q = quantizeValue(f[k], Math.fround(scale), zp);
          if (q === -128 || q === 127) clamped++;
          if (got[c * 490 + k] !== q) differ++;
        }
      });
      assert.equal(differ, 0, `scale ${scale}: ${differ} values differ`);
      if (scale === 0.05) assert.ok(clamped > 1000, 'the small scale saturates');
    }
  });

  it('matches the float64 computation of docs/frontend.md to 2e-3 and keeps its log within 2 ulp', () => {
    const t = mfccTables();
    assert.equal(t.window.length, 640);
    assert.equal(t.cos.length, 512);
    for (const x of [1e-6, 0.5, 1, 1.41421, 2, 3.14159, 1234.5, 6.5e7]) {
      const want = Math.log(Math.fround(x));
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want) || 1)) - 23);
      assert.ok(Math.abs(lnF32(Math.fround(x)) - want) <= 2 * ulp, `ln ${x}: ${lnF32(Math.fround(x))} vs ${want}`);
    }
    // 1 kHz sine of docs/frontend.md's reference values.
    const sine = Int16Array.from({ length: 16000 }, (_, i) => Math.round(16384 * Math.sin((2 * Math.PI * 1000 * i) / 16000)));
    const ref = [-62.6014, 6.5586, -25.6271, -9.9793, 14.6971, 8.5548, -8.1329, -7.4895, 4.0558, 6.7948];
    const got = createMfcc().compute(sine);
    for (let t2 = 0; t2 < 49; t2 += 12)
      ref.forEach((v, j) => assert.ok(Math.abs(got[t2 * 10 + j] - v) < 2e-3, `frame ${t2} coefficient ${j}: ${got[t2 * 10 + j]} vs ${v}`));
  });
});

describe('verify --from-audio on qemu:cortex-m4', () => {
  it('computes the host features on the board and runs the model exactly on them', async () => {
    const dir = makeTinySet();
    const data = await loadDataset(dir);
    const qm = dscnnModel(5, { channels: 16, blocks: 2 });
    const input = qm.tensors[qm.inputs[0]];
    input.scale = [0.45];
    input.zeroPoint = [40];
    qm.metadata = { pqk: JSON.stringify({ labels: data.labels, mfccFrontend: KWS_MFCC }) };
    const r = await verifyFromAudio(writeTflite(qm), dir, data, 'qemu:cortex-m4', { optimized: true });
    const a = r.audio;
    assert.equal(a.clips, data.test.n);
    assert.equal(a.featureValues, data.test.n * 490);
    assert.equal(a.featureValuesDiffering, 0);
    assert.equal(a.mismatches, 0);
    assert.equal(a.predictionsDiffering, 0);
    assert.equal(a.accuracyFromAudio, a.accuracyFromFeatures);
    assert.equal(a.accuracyFromFeatures, r.accuracy, 'the features run on the board agrees with the reference on host features');
    assert.ok(
      a.frontendInstructions && a.frontendInstructions.min > 1e6 && a.frontendInstructions.max < 2e7,
      JSON.stringify(a.frontendInstructions),
    );
    assert.ok(a.endToEndInstructions && r.instructionsPerInference);
    assert.ok(
      Math.abs(a.endToEndInstructions.mean - a.frontendInstructions.mean - r.instructionsPerInference.mean) <
        0.01 * a.endToEndInstructions.mean,
    );
    assert.equal(a.frontendScratchBytes, (1024 + 40 + 10) * 4);
  });

  it('refuses a runtime that is not an emulated board and a dataset without audio', async () => {
    const dir = makeTinySet();
    const data = await loadDataset(dir);
    const qm = dscnnModel(5, { channels: 8, blocks: 1 });
    await assert.rejects(
      verifyFromAudio(writeTflite(qm), dir, data, 'tflite'),
      /--from-audio runs on an emulated board \(qemu:\*\), not on tflite/,
    );
    await assert.rejects(
      verifyFromAudio(writeTflite(qm), dir, { ...data, frontend: undefined }, 'qemu:cortex-m4'),
      /needs a keyword-spotting model and dataset with an MFCC frontend/,
    );
  });
});
