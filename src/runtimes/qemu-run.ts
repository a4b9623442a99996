// Runs a firmware image under qemu-system-arm with semihosting: one launch for a whole batch, optionally under the
// instruction-counting plugin, whose marker hits become instructions per inference and per op.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { INSN_LIMIT_EXIT, insnCountPluginArg, parseInsnCounts, type MarkerHit } from './insncount.js';
import type { Board } from './qemu-boards.js';
import type { FirmwareImage } from './qemu-build.js';

export interface FirmwareRun {
  outputs: Uint8Array; // outputBytes per sample, back to back
  arenaBytes: number; // as the firmware reports it
  hits?: MarkerHit[];
}

export interface InstructionCounts {
  perInference: number[];
  perOp: number[]; // mean over samples, per node
  frontend?: number[]; // an audio firmware's MFCC frontend, per sample
}

let qemuVersionText: string | undefined;

export async function qemuVersion(): Promise<string> {
  if (qemuVersionText === undefined) {
    const { stdout } = await execa('qemu-system-arm', ['--version']);
    const m = /version (\S+)/.exec(stdout);
    qemuVersionText = `QEMU ${m ? m[1] : stdout.split('\n')[0]}`;
  }
  return qemuVersionText;
}

// The work a firmware run may do, bounded in instructions rather than seconds (a loaded machine is slower, never
// wrong): at most this many between two marker hits, i.e. within one op or between two samples. The largest op a
// microcontroller model runs is far below it (a plain-C DS-CNN inference is ~40M instructions in all).
export const FIRMWARE_INSN_LIMIT = 4e9;

// qemu-system-arm's arguments for an image on the board: no display, monitor or serial port, semihosting on with
// `semihostingArgs` as the firmware's argv (after 'fw'). The caller appends -kernel and whatever else it needs.
export function qemuBoardArgs(board: Board, semihostingArgs: string[] = []): string[] {
  const argv = semihostingArgs.length > 0 ? ['arg=fw', ...semihostingArgs.map((a) => `arg=${a}`)] : [];
  const semi = ['enable=on', 'target=native', ...argv].join(',');
  return ['-M', board.machine, '-cpu', board.cpu, '-nographic', '-monitor', 'none', '-serial', 'none', '-semihosting-config', semi];
}

function qemuArgs(board: Board, image: FirmwareImage, dir: string, count: number, counting: boolean): string[] {
  const args = qemuBoardArgs(board, [join(dir, 'in.bin'), join(dir, 'out.bin'), String(count)]);
  // Every run goes under the plugin for its bound; only counting runs need -icount's exact instruction accounting.
  if (counting) args.push('-icount', 'shift=0');
  args.push('-plugin', insnCountPluginArg([image.markerAddr], join(dir, 'counts.txt'), FIRMWARE_INSN_LIMIT));
  return [...args, '-kernel', image.elf];
}

// outBytes: what the firmware writes per sample (the model's output; an audio firmware's features before it).
export async function runFirmware(
  board: Board,
  image: FirmwareImage,
  batch: Uint8Array,
  count: number,
  counting: boolean,
  outBytes = image.outputBytes,
): Promise<FirmwareRun> {
  const where = `qemu:${board.cpu} (${board.machine})`;
  const dir = mkdtempSync(join(tmpdir(), 'pqk-qemu-'));
  try {
    writeFileSync(join(dir, 'in.bin'), batch);
    const r = await execa('qemu-system-arm', qemuArgs(board, image, dir, count, counting), { reject: false });
    // QEMU prints the semihosting console on stderr.
    const consoleText = `${r.stdout}\n${r.stderr}`;
    const error = /pqk-error: (.*)/.exec(consoleText);
    if (r.exitCode === INSN_LIMIT_EXIT && /insncount: instruction limit/.test(consoleText))
      throw new Error(
        `${where}: the firmware ran more than ${FIRMWARE_INSN_LIMIT} instructions without finishing an op (a kernel that does not return)`,
      );
    if (r.exitCode !== 0 || error)
      throw new Error(`${where}: ${error ? error[1] : `QEMU exited with ${r.exitCode}: ${consoleText.trim()}`}`);
    const arena = /pqk-stats arena_used_bytes=(\d+)/.exec(consoleText);
    if (!arena) throw new Error(`${where}: firmware printed no pqk-stats line: ${consoleText.trim()}`);
    const outputs = new Uint8Array(readFileSync(join(dir, 'out.bin')));
    if (outputs.length !== count * outBytes)
      throw new Error(`${where}: ${outputs.length} output bytes for ${count} samples of ${outBytes}`);
    const hits = counting ? parseInsnCounts(readFileSync(join(dir, 'counts.txt'), 'utf8')) : undefined;
    return { outputs, arenaBytes: Number(arena[1]), hits };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The marker runs at inference start, before each of the n ops and at the end: n + 2 hits per sample, and one more
// before them at the frontend's start in an audio firmware. An op's count runs from its own hit to the next one.
export function splitCounts(hits: readonly MarkerHit[], nodes: number, samples: number, frontend = false): InstructionCounts {
  const lead = frontend ? 1 : 0;
  const per = nodes + 2 + lead;
  if (hits.length !== per * samples) throw new Error(`instruction counter logged ${hits.length} marker hits, expected ${per} x ${samples}`);
  const perInference: number[] = [];
  const fe: number[] = [];
  const perOp = new Array<number>(nodes).fill(0);
  for (let s = 0; s < samples; s++) {
    const all = hits.slice(s * per, (s + 1) * per).map((x) => x.count);
    if (frontend) fe.push(all[1] - all[0]);
    const h = all.slice(lead);
    perInference.push(h[nodes + 1] - h[0]);
    for (let i = 0; i < nodes; i++) perOp[i] += h[i + 2] - h[i + 1];
  }
  return { perInference, perOp: perOp.map((v) => v / Math.max(1, samples)), ...(frontend ? { frontend: fe } : {}) };
}
