// Builds a firmware image for one model and board from the model's C bundle (src/deploy/bundle.ts): the host build
// of the interpreter sizes the arena and checks the model first, then arm-none-eabi-gcc compiles the bundle's own
// files (runtime, frontend, model_data.c) with the emulated board's glue (start-up, semihosting, fw_main.c), so
// what was verified is what ships. Images are cached by a hash of everything that goes into them.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { MfccParams } from '../data/types.js';
import { writeVerificationBundle } from '../deploy/bundle.js';
import { mfccScratchFloats, mfccTablesC } from '../deploy/frontend.js';
import { deviceForm } from '../deploy/device-form.js';
import { hostSummary, type HostSummary } from './micro-host.js';
import { firmwareDir, linkerScript, type Board, type MemoryLimits } from './qemu-boards.js';
import { packageRoot } from './paths.js';

export const STACK_BYTES = 8192;

// A C bundle already written (a run's deploy/ folder): the firmware is built from its files.
export interface BundleFiles {
  dir: string;
  files: string[]; // relative paths
  sha256: string;
}

export interface FirmwareImage {
  elf: string;
  bundleSha256: string; // the C bundle the image was compiled from
  markerAddr: number; // pqk_marker's first instruction (Thumb bit cleared)
  arenaBytes: number;
  flashBytes: number;
  ramBytes: number;
  ops: string[]; // op name per node
  liveBytesPerOp?: number[]; // per node, the arena bytes live while it runs (images cached before it lack it)
  inputBytes: number;
  outputBytes: number;
}

function linkError(stderr: string, where: string, limits: MemoryLimits): Error {
  const m = /region [`']?(FLASH|RAM|VECTORS)'? overflowed by (\d+) bytes/.exec(stderr);
  if (m) {
    const limit = m[1] === 'RAM' ? limits.ramBytes : limits.flashBytes;
    return new Error(`${where}: the model does not fit: ${m[1]} overflowed by ${m[2]} bytes (limit ${limit} bytes)`);
  }
  return new Error(`${where}: firmware build failed: ${stderr}`);
}

// Flash holds every allocated section outside RAM (the .data initial values too); RAM holds .data, .bss, stack.
async function sizes(elf: string, board: Board): Promise<{ flash: number; ram: number }> {
  const { stdout } = await execa('arm-none-eabi-size', ['-A', elf]);
  let flash = 0;
  let ram = 0;
  for (const line of stdout.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+(\d+)$/.exec(line.trim());
    if (!m || /^\.(comment|ARM\.attributes|debug)/.test(m[1])) continue;
    const [size, addr] = [Number(m[2]), Number(m[3])];
    const inRam = addr >= board.ram.origin && addr < board.ram.origin + board.ram.size;
    if (inRam) ram += size;
    if (!inRam || m[1] === '.data') flash += size;
  }
  return { flash, ram };
}

async function markerAddress(elf: string): Promise<number> {
  const { stdout } = await execa('arm-none-eabi-nm', [elf]);
  const m = /^([0-9a-f]+) T pqk_marker$/m.exec(stdout);
  if (!m) throw new Error(`${elf}: no pqk_marker symbol`);
  return Number.parseInt(m[1], 16) & ~1;
}

// The emulated board's side: start-up, semihosting and the batch runner's main.
function glueFiles(): string[] {
  const fw = join(firmwareDir(), 'firmware');
  return ['startup.c', 'semihost.c', 'semihost.h', 'fw_main.c'].map((f) => join(fw, f));
}

// What a generated bundle is made of: pqk micro's sources and the frontend's (the tables are hashed as text).
function runtimeSourceFiles(): string[] {
  const dir = firmwareDir();
  return ['src', 'src/kernels', 'frontend'].flatMap((d) =>
    readdirSync(join(dir, d))
      .filter((f) => /\.(c|h)$/.test(f))
      .sort()
      .map((f) => join(dir, d, f)),
  );
}

function imageKey(
  model: Uint8Array,
  board: Board,
  limits: MemoryLimits,
  optimized: boolean,
  mfcc?: MfccParams,
  bundle?: BundleFiles,
): string {
  const h = createHash('sha256');
  h.update(model);
  h.update(JSON.stringify({ board, limits, optimized, stack: STACK_BYTES, mfcc: mfcc ?? null, bundle: bundle?.sha256 ?? null }));
  if (mfcc) h.update(mfccTablesC(mfcc));
  for (const f of [...(bundle ? [] : runtimeSourceFiles()), ...glueFiles()]) h.update(f).update(readFileSync(f));
  return h.digest('hex').slice(0, 24);
}

function sortedIn(dir: string, sub: string): string[] {
  const d = join(dir, sub);
  return existsSync(d)
    ? readdirSync(d)
        .filter((f) => f.endsWith('.c'))
        .sort()
        .map((f) => join(d, f))
    : [];
}

async function compile(
  dir: string,
  bundleDir: string,
  board: Board,
  s: HostSummary,
  optimized: boolean,
  where: string,
  limits: MemoryLimits,
  mfcc?: MfccParams,
): Promise<void> {
  const defines = [
    `-DPQK_ARENA_BYTES=${Math.max(16, s.arena_used_bytes)}`,
    `-DPQK_MAX_TENSORS=${Math.max(1, s.tensors)}`,
    `-DPQK_MAX_NODES=${Math.max(1, s.nodes)}`,
    `-DPQK_OPTIMIZED=${optimized ? 1 : 0}`,
    `-DPQK_KERNELS=${optimized ? 2 : 1}`,
    '-DPQK_KERNELS_USED', // only the model's kernels (the bundle's pqk_kernels_used.h)
  ];
  if (mfcc) defines.push('-DPQK_AUDIO=1', `-DPQK_AUDIO_SAMPLES=${mfcc.clipSamples}`, `-DPQK_MFCC_SCRATCH=${mfccScratchFloats(mfcc)}`);
  const sources = [
    ...sortedIn(bundleDir, 'pqk_micro'),
    ...sortedIn(bundleDir, 'pqk_micro/kernels'),
    ...(mfcc ? sortedIn(bundleDir, 'frontend') : []),
    join(bundleDir, 'model_data.c'),
    ...glueFiles().filter((f) => f.endsWith('.c')),
  ];
  const includes = [join(bundleDir, 'pqk_micro'), join(bundleDir, 'frontend'), bundleDir, join(firmwareDir(), 'firmware')].map(
    (d) => `-I${d}`,
  );
  const args = [
    ...board.cflags,
    '-O2',
    '-std=c99',
    '-ffp-contract=off',
    '-ffunction-sections',
    '-fdata-sections',
    '-g',
    ...defines,
    ...includes,
    ...sources,
    '--specs=rdimon.specs',
    '-nostartfiles',
    '-Wl,--gc-sections',
    `-T${join(dir, 'link.ld')}`,
    '-o',
    join(dir, 'fw.elf'),
  ];
  const r = await execa('arm-none-eabi-gcc', args, { reject: false });
  if (r.exitCode !== 0) throw linkError(r.stderr, where, limits);
}

// mfcc: an audio firmware, which runs the bundle's MFCC frontend on int16 clips before the model. bundle: build from
// that bundle's files (copied beside the image) instead of writing one for the model.
export async function buildFirmware(
  file: Uint8Array,
  board: Board,
  limits: MemoryLimits,
  optimized: boolean,
  mfcc?: MfccParams,
  bundle?: BundleFiles,
): Promise<FirmwareImage> {
  const where = `qemu:${board.cpu} (${board.machine})`;
  const model = deviceForm(file); // what the board holds: the bundle's model_data.c
  const dir = join(packageRoot(), '.cache', 'firmware', imageKey(model, board, limits, optimized, mfcc, bundle));
  const metaPath = join(dir, 'image.json');
  if (existsSync(metaPath)) return JSON.parse(readFileSync(metaPath, 'utf8')) as FirmwareImage;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.tflite'), model);
  const s = await hostSummary(join(dir, 'model.tflite'), optimized, where);
  const bundleDir = join(dir, 'bundle');
  let sha256: string;
  if (bundle) {
    for (const f of bundle.files) {
      mkdirSync(dirname(join(bundleDir, f)), { recursive: true });
      copyFileSync(join(bundle.dir, f), join(bundleDir, f));
    }
    if (
      !Buffer.from(
        readFileSync(join(bundleDir, 'model_data.c'), 'utf8')
          .match(/= \{([^}]*)\}/)?.[1]
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
          .map(Number) ?? [],
      ).equals(Buffer.from(model))
    )
      throw new Error(`${where}: the bundle in ${bundle.dir} holds another model than the one to verify`);
    sha256 = bundle.sha256;
  } else {
    const other = await hostSummary(join(dir, 'model.tflite'), !optimized, where);
    const arena = optimized
      ? { plain: other.arena_used_bytes, optimized: s.arena_used_bytes }
      : { plain: s.arena_used_bytes, optimized: other.arena_used_bytes };
    sha256 = writeVerificationBundle(bundleDir, model, board, arena, mfcc).sha256;
  }
  if (mfcc && !existsSync(join(bundleDir, 'frontend', 'pqk_mfcc_tables.c')))
    throw new Error(`${where}: the bundle has no MFCC frontend (frontend/) to run the audio on`);
  writeFileSync(join(dir, 'link.ld'), linkerScript(board, limits, STACK_BYTES));
  await compile(dir, bundleDir, board, s, optimized, where, limits, mfcc);
  const elf = join(dir, 'fw.elf');
  const { flash, ram } = await sizes(elf, board);
  const image: FirmwareImage = {
    elf,
    markerAddr: await markerAddress(elf),
    arenaBytes: s.arena_used_bytes,
    flashBytes: flash,
    ramBytes: ram,
    ops: s.ops,
    ...(s.node_live_bytes ? { liveBytesPerOp: s.node_live_bytes } : {}),
    inputBytes: s.input_bytes,
    outputBytes: s.output_bytes,
    bundleSha256: sha256,
  };
  writeFileSync(metaPath, JSON.stringify(image, null, 2));
  return image;
}
