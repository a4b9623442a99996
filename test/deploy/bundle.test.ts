// The C bundle: it compiles warning-free for every Cortex-M board pqk knows and for a Cortex-M0+ (plain kernels,
// no FPU), its model_data.c holds the model's exact bytes, and its example, linked with the emulated board's
// start-up code, runs on QEMU and prints the class pqk's integer reference gives the bundled sample: for a
// keyword-spotting model one second of audio through the bundle's C MFCC frontend, otherwise an input tensor.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createMfcc, KWS_MFCC } from '../../src/data/mfcc.js';
import { bundleForTarget, type BundleResult } from '../../src/deploy/bundle.js';
import { runBatch } from '../../src/ops/interpreter.js';
import { quantizeValue } from '../../src/int/quantize.js';
import { boards, firmwareDir, linkerScript } from '../../src/runtimes/qemu-boards.js';
import { QemuRuntime } from '../../src/runtimes/qemu.js';
import { qemuBoardArgs } from '../../src/runtimes/qemu-run.js';
import { loadTarget } from '../../src/targets/load.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { buildHarness } from '../firmware/harness.js';
import { dscnnModel } from '../firmware/models.js';

before(buildHarness);

const LABELS = ['down', 'go', 'left', 'no', 'off', 'on', 'right', 'stop', 'up', 'yes', '_silence_', '_unknown_'];

describe('C bundle', () => {
  const qm = dscnnModel(3);
  const inT = qm.tensors[qm.inputs[0]];
  inT.scale = [0.4]; // an MFCC-sized input range
  inT.zeroPoint = [50];
  qm.metadata = { pqk: JSON.stringify({ labels: LABELS, mfccFrontend: KWS_MFCC }) };
  const model = writeTflite(qm);
  const n = inT.shape.reduce((a, b) => a * b, 1);
  // One second of a rising tone with a little noise: the example's clip, and its features for the test split.
  const audio = Int16Array.from({ length: 16000 }, (_, i) =>
    Math.round(9000 * Math.sin(2 * Math.PI * (300 * (i / 16000) + 900 * (i / 16000) ** 2)) + 300 * Math.sin(i * 12.9898)),
  );
  const features = createMfcc(KWS_MFCC).compute(audio);
  const x = new Float32Array(2 * n);
  x.set(features);
  const test = { x, y: Int32Array.from([4, 1]), n: 2 };
  // The same model without a frontend: its example copies an input tensor.
  const plain = dscnnModel(3);
  plain.metadata = { pqk: JSON.stringify({ labels: LABELS }) };
  const plainX = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 4);
  let dir = '';
  let plainDir = '';
  let bundle: BundleResult;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pqk-bundle-'));
    bundle = await bundleForTarget(dir, model, loadTarget('cortex-m4'), 'run test', test, audio);
    plainDir = mkdtempSync(join(tmpdir(), 'pqk-bundle-plain-'));
    await bundleForTarget(plainDir, writeTflite(plain), loadTarget('cortex-m4'), 'run test', { x: plainX, y: Int32Array.from([2]), n: 1 });
  });

  it('holds the model bytes, its quantization, labels and arena in C', () => {
    const c = readFileSync(join(dir, 'model_data.c'), 'utf8');
    const body = /pqk_model_data\[(\d+)\] PQK_ALIGN16 = \{([^}]*)\}/.exec(c);
    assert.ok(body, 'model_data.c declares the array');
    assert.equal(Number(body[1]), model.length);
    assert.deepEqual(
      Uint8Array.from(
        body[2]
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map(Number),
      ),
      model,
    );
    const h = readFileSync(join(dir, 'model.h'), 'utf8');
    assert.match(h, new RegExp(`PQK_MODEL_INPUT_ZERO_POINT ${inT.zeroPoint[0]}\\n`));
    assert.match(h, /PQK_MODEL_LABELS \{"down", "go", .*"_unknown_"\}/);
    assert.match(h, /PQK_MFCC_SAMPLE_RATE 16000/);
    assert.match(h, /PQK_MFCC_SCRATCH_FLOATS 1074u/);
    for (const f of ['frontend/pqk_mfcc.c', 'frontend/pqk_mfcc.h', 'frontend/pqk_mfcc_tables.c']) assert.ok(bundle.files.includes(f), f);
    assert.match(
      readFileSync(join(dir, 'example', 'example_input.h'), 'utf8'),
      /#define PQK_EXAMPLE_HAS_AUDIO 1\n[^]*pqk_example_audio\[16000\]/,
    );
    assert.ok(!existsSync(join(plainDir, 'frontend')), 'no frontend without MFCC metadata');
    const arena = Number(/PQK_MODEL_ARENA_BYTES_OPTIMIZED (\d+)u/.exec(h)?.[1]);
    assert.ok(arena > 1000 && arena < 64 * 1024, `arena ${arena}`);
    assert.ok(bundle.files.includes('pqk_micro/kernels/gemm_s8.c') && bundle.files.includes('example/main.c'));
    // Dense weights: the packed 2:4 path stays out of the image (qemu:cortex-m4's 2:4 test runs it in).
    assert.match(readFileSync(join(dir, 'pqk_kernels_used.h'), 'utf8'), /#define PQK_2OF4 0 /);
    assert.match(bundle.sha256, /^[0-9a-f]{64}$/);
  });

  it('is the same bundle, byte for byte, when written again', async () => {
    const again = await bundleForTarget(
      mkdtempSync(join(tmpdir(), 'pqk-bundle-')),
      model,
      loadTarget('cortex-m4'),
      'run test',
      test,
      audio,
    );
    assert.equal(again.sha256, bundle.sha256);
  });

  const cores = [
    ...boards().map((b) => ({ name: b.cpu, flags: b.cflags.join(' '), kernels: b.dsp || b.mve ? 2 : 1 })),
    { name: 'cortex-m0plus', flags: '-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft', kernels: 1 },
  ];
  for (const core of cores) {
    it(`compiles with -Wall -Wextra -Werror for ${core.name} (${core.kernels === 2 ? 'optimized' : 'plain'} kernels)`, async () => {
      const r = await execa(
        'make',
        ['-C', dir, '-s', `CPUFLAGS=${core.flags}`, `KERNELS=${core.kernels}`, 'CFLAGS=-O2 -Werror', 'clean', 'all'],
        { reject: false },
      );
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', 'no warnings');
    });
  }

  const runs = [
    { cpu: 'cortex-m4', what: 'audio through the frontend', kws: true },
    { cpu: 'cortex-m55', what: 'audio through the frontend', kws: true },
    { cpu: 'cortex-m4', what: 'an input tensor', kws: false },
  ] as const;
  for (const { cpu, what, kws } of runs) {
    it(`runs its example (${what}) on qemu:${cpu} and prints the integer reference's class`, async () => {
      const bdir = kws ? dir : plainDir;
      const board = boards().find((b) => b.cpu === cpu)!;
      await execa('make', ['-C', bdir, '-s', `CPUFLAGS=${board.cflags.join(' ')}`, 'KERNELS=2', 'clean', 'all']);
      const work = mkdtempSync(join(tmpdir(), 'pqk-bundle-run-'));
      writeFileSync(join(work, 'link.ld'), linkerScript(board, { flashBytes: 1 << 20, ramBytes: 256 << 10 }, 8192));
      writeFileSync(join(work, 'uart.c'), '#include "semihost.h"\nvoid pqk_uart_write(const char *text) { sh_print(text); }\n');
      const fw = join(firmwareDir(), 'firmware');
      await execa('arm-none-eabi-gcc', [
        ...board.cflags,
        '-O2',
        `-I${fw}`,
        join(fw, 'startup.c'),
        join(fw, 'semihost.c'),
        join(work, 'uart.c'),
        join(bdir, 'build', 'example.o'),
        join(bdir, 'build', 'libpqk_model.a'),
        '--specs=rdimon.specs',
        '-nostartfiles',
        '-Wl,--gc-sections',
        `-T${join(work, 'link.ld')}`,
        '-o',
        join(work, 'example.elf'),
      ]);
      const r = await execa('qemu-system-arm', [...qemuBoardArgs(board), '-kernel', join(work, 'example.elf')], {
        reject: false,
        timeout: 60_000,
      });
      const m = kws ? qm : plain;
      const mi = m.tensors[m.inputs[0]];
      const mo = m.tensors[m.outputs[0]];
      const q = Int8Array.from(kws ? features : plainX, (v) => quantizeValue(v, mi.scale[0], mi.zeroPoint[0]));
      const out = runBatch(m, [q], 'tflm')[0];
      const best = out.indexOf(Math.max(...out));
      const console = r.stdout + r.stderr;
      assert.match(console, new RegExp(`label: ${LABELS[best]}\\n`), console);
      assert.match(console, new RegExp(`class ${best}\\n`), console);
      assert.match(console, new RegExp(`score x1000 ${Math.trunc((out[best] - mo.zeroPoint[0]) * mo.scale[0] * 1000)}\\n`), console);
      assert.equal(r.exitCode, 0, console);
    });
  }

  it('is what the emulated board runs: a verification firmware built from the bundle names its hash', async () => {
    const rt = new QemuRuntime('cortex-m4', { countInstructions: false });
    const q = Int8Array.from(features, (v) => quantizeValue(v, inT.scale[0], inT.zeroPoint[0]));
    const r = await rt.run(model, [q], { optimized: true, bundle });
    assert.equal(r.bundleSha256, bundle.sha256);
    assert.deepEqual(r.outputs[0], runBatch(qm, [q], 'tflm')[0]);
    const fromAudio = await rt.runAudio(model, [audio], KWS_MFCC, { optimized: true, bundle });
    assert.equal(fromAudio.bundleSha256, bundle.sha256);
    assert.deepEqual(fromAudio.features[0], q, "the bundle's frontend on the board gives the host features");
    // Without a bundle, the firmware is built from one written for the model: another hash (no example sample).
    const own = await rt.run(model, [q], { optimized: true });
    assert.match(own.bundleSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(own.bundleSha256, bundle.sha256);
    await assert.rejects(rt.run(writeTflite(plain), [q], { bundle }), /holds another model than the one to verify/);
  });
});
