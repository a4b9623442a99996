// Builds a firmware image for one model and board: the host build of the interpreter sizes the arena and checks
// the model first, then arm-none-eabi-gcc links the model into flash. Images are cached by a hash of everything
// that goes into them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { firmwareDir, linkerScript, type Board, type MemoryLimits } from './qemu-boards.js';
import { packageRoot } from './paths.js';

export const STACK_BYTES = 8192;

// A firmware that takes int16 PCM clips and runs the MFCC frontend before the model (fw_main.c's PQK_AUDIO).
export interface AudioFrontend {
  tablesC: string; // pqk_mfcc_tables.c for the model's frontend parameters (src/deploy/frontend.ts)
  clipSamples: number;
  scratchFloats: number;
}

export interface FirmwareImage {
  elf: string;
  audioClipSamples?: number; // set for an audio firmware: int16 samples per input clip
  markerAddr: number; // pqk_marker's first instruction (Thumb bit cleared)
  arenaBytes: number;
  flashBytes: number;
  ramBytes: number;
  ops: string[]; // op name per node
  inputBytes: number;
  outputBytes: number;
}

interface HostSummary {
  status: number;
  error: string;
  arena_used_bytes: number;
  tensors: number;
  nodes: number;
  ops: string[];
  input_bytes: number;
  output_bytes: number;
}

export function hostRunnerPath(): string {
  return join(firmwareDir(), 'build', 'host', 'pqk-micro-host');
}

// Builds the host runner when missing (firmware-harness/build.sh is quick when up to date).
export async function ensureHostBuild(): Promise<void> {
  if (!existsSync(hostRunnerPath())) await execa('bash', [join(firmwareDir(), 'build.sh')]);
}

// The interpreter, start-up and semihosting, and the model runner's main (firmware/ holds other mains too).
function sources(audio: boolean): string[] {
  const dir = firmwareDir();
  const inDir = (d: string): string[] => readdirSync(join(dir, d)).filter((f) => f.endsWith('.c')).sort().map((f) => join(dir, d, f));
  return [...inDir('src'), ...inDir('src/kernels'), ...(audio ? inDir('frontend') : []), ...['startup.c', 'semihost.c', 'fw_main.c'].map((f) => join(dir, 'firmware', f))];
}

function headers(): string[] {
  const dir = firmwareDir();
  return ['src', 'src/kernels', 'firmware', 'frontend'].flatMap((d) => readdirSync(join(dir, d)).filter((f) => /\.(h|S)$/.test(f)).sort().map((f) => join(dir, d, f)));
}

function imageKey(model: Uint8Array, board: Board, limits: MemoryLimits, optimized: boolean, audio?: AudioFrontend): string {
  const h = createHash('sha256');
  h.update(model);
  h.update(JSON.stringify({ board, limits, optimized, stack: STACK_BYTES, audio: audio ?? null }));
  for (const f of [...sources(audio !== undefined), ...headers()]) h.update(f).update(readFileSync(f));
  return h.digest('hex').slice(0, 24);
}

// Parses and plans the model on the host: the arena size to build with, and a clear error when it cannot run.
async function hostSummary(modelPath: string, optimized: boolean, where: string): Promise<HostSummary> {
  await ensureHostBuild();
  const args = [modelPath, '/dev/null', '0', '/dev/null', ...(optimized ? ['--optimized'] : [])];
  const r = await execa(hostRunnerPath(), args, { reject: false });
  let s: HostSummary;
  try {
    s = JSON.parse(r.stdout) as HostSummary;
  } catch {
    throw new Error(`${where}: ${hostRunnerPath()} ${modelPath} failed (exit ${r.exitCode}): ${r.stderr}`);
  }
  if (s.status !== 0) throw new Error(`${where}: ${s.error}`);
  return s;
}

// The arena pqk micro's planner needs for a model, with the plain and with the optimized kernels.
export async function plannedArena(model: Uint8Array): Promise<{ plain: number; optimized: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-arena-'));
  try {
    const path = join(dir, 'model.tflite');
    writeFileSync(path, model);
    const plain = await hostSummary(path, false, 'pqk micro (host)');
    const optimized = await hostSummary(path, true, 'pqk micro (host)');
    return { plain: plain.arena_used_bytes, optimized: optimized.arena_used_bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

async function compile(dir: string, board: Board, s: HostSummary, optimized: boolean, where: string, limits: MemoryLimits, audio?: AudioFrontend): Promise<void> {
  const defines = [`-DPQK_ARENA_BYTES=${Math.max(16, s.arena_used_bytes)}`, `-DPQK_MAX_TENSORS=${Math.max(1, s.tensors)}`,
    `-DPQK_MAX_NODES=${Math.max(1, s.nodes)}`, `-DPQK_OPTIMIZED=${optimized ? 1 : 0}`, `-DPQK_KERNELS=${optimized ? 2 : 1}`, `-DPQK_MODEL_PATH="${join(dir, 'model.tflite')}"`];
  const extra: string[] = [];
  if (audio) {
    writeFileSync(join(dir, 'pqk_mfcc_tables.c'), audio.tablesC);
    defines.push('-DPQK_AUDIO=1', `-DPQK_AUDIO_SAMPLES=${audio.clipSamples}`, `-DPQK_MFCC_SCRATCH=${audio.scratchFloats}`);
    extra.push(`-I${join(firmwareDir(), 'frontend')}`, join(dir, 'pqk_mfcc_tables.c'));
  }
  const args = [...board.cflags, '-O2', '-std=c99', '-ffp-contract=off', '-ffunction-sections', '-fdata-sections', '-g',
    ...defines, `-I${join(firmwareDir(), 'src')}`, ...extra, ...sources(audio !== undefined), join(firmwareDir(), 'firmware', 'model.S'),
    '--specs=rdimon.specs', '-nostartfiles', '-Wl,--gc-sections', `-T${join(dir, 'link.ld')}`, '-o', join(dir, 'fw.elf')];
  const r = await execa('arm-none-eabi-gcc', args, { reject: false });
  if (r.exitCode !== 0) throw linkError(r.stderr, where, limits);
}

export async function buildFirmware(model: Uint8Array, board: Board, limits: MemoryLimits, optimized: boolean, audio?: AudioFrontend): Promise<FirmwareImage> {
  const where = `qemu:${board.cpu} (${board.machine})`;
  const dir = join(packageRoot(), '.cache', 'firmware', imageKey(model, board, limits, optimized, audio));
  const metaPath = join(dir, 'image.json');
  if (existsSync(metaPath)) return JSON.parse(readFileSync(metaPath, 'utf8')) as FirmwareImage;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.tflite'), model);
  const s = await hostSummary(join(dir, 'model.tflite'), optimized, where);
  writeFileSync(join(dir, 'link.ld'), linkerScript(board, limits, STACK_BYTES));
  await compile(dir, board, s, optimized, where, limits, audio);
  const elf = join(dir, 'fw.elf');
  const { flash, ram } = await sizes(elf, board);
  const image: FirmwareImage = {
    elf, markerAddr: await markerAddress(elf), arenaBytes: s.arena_used_bytes, flashBytes: flash, ramBytes: ram,
    ops: s.ops, inputBytes: s.input_bytes, outputBytes: s.output_bytes, ...(audio ? { audioClipSamples: audio.clipSamples } : {}),
  };
  writeFileSync(metaPath, JSON.stringify(image, null, 2));
  return image;
}
