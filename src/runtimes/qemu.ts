// The QEMU firmware runtime, 'qemu:cortex-m4' and friends: builds (cached) a firmware image of the model for the
// board, runs the batch in one emulator launch, and reports outputs with instruction counts and memory figures.
import { availableParallelism } from 'node:os';
import { boardForCpu, qemuCpus, type Board, type MemoryLimits } from './qemu-boards.js';
import type { MfccParams } from '../data/types.js';
import { buildFirmware, STACK_BYTES, type FirmwareImage } from './qemu-build.js';
import { qemuVersion, runFirmware, splitCounts, type InstructionCounts } from './qemu-run.js';
import { concatSamples } from './samples.js';
import type { RunOptions, RunResult, Runtime } from './types.js';

// What the board computed from audio: its int8 features (the model's input) and the model's output per clip.
export interface AudioRunResult extends RunResult {
  features: Int8Array[];
  frontendInstructions?: number[]; // per clip
}

export interface QemuOptions {
  memory?: MemoryLimits; // the target's flash and RAM; the board's own memory when absent
  countInstructions?: boolean; // run under the instruction-counting plugin (default true)
  launches?: number; // concurrent QEMU processes a large batch is split over (default: one per CPU core, at most 8)
}

// Below this many samples per launch, starting another emulator costs more than it saves.
const MIN_SAMPLES_PER_LAUNCH = 200;

export function isQemuRuntimeName(name: string): boolean {
  return name.startsWith('qemu:') && qemuCpus().includes(name.slice(5));
}

export class QemuRuntime implements Runtime {
  readonly name: string;
  readonly board: Board;
  private readonly opts: QemuOptions;

  constructor(cpu: string, opts: QemuOptions = {}) {
    this.name = `qemu:${cpu}`;
    this.board = boardForCpu(cpu);
    this.opts = opts;
  }

  static fromName(name: string, opts: QemuOptions = {}): QemuRuntime {
    if (!isQemuRuntimeName(name))
      throw new Error(
        `unknown QEMU runtime '${name}' (known: ${qemuCpus()
          .map((c) => `qemu:${c}`)
          .join(', ')})`,
      );
    return new QemuRuntime(name.slice(5), opts);
  }

  async run(model: Uint8Array, inputs: Int8Array[], opts: RunOptions = {}): Promise<RunResult> {
    const image = await buildFirmware(model, this.board, this.limits(), opts.optimized ?? false, undefined, opts.bundle);
    inputs.forEach((x, i) => {
      if (x.byteLength !== image.inputBytes)
        throw new Error(`${this.name}: sample ${i} has ${x.byteLength} bytes, the model input takes ${image.inputBytes}`);
    });
    const counting = this.opts.countInstructions ?? true;
    const { outputs, counts, arenaBytes } = await this.runChunks(image, inputs, counting, image.outputBytes, false);
    return this.result(image, outputs, counts, arenaBytes, opts);
  }

  // Clips of int16 PCM through the MFCC frontend on the board, then the model: the features it computed and the
  // model's outputs, with the frontend's instructions apart from the model's.
  async runAudio(model: Uint8Array, clips: Int16Array[], frontend: MfccParams, opts: RunOptions = {}): Promise<AudioRunResult> {
    const image = await buildFirmware(model, this.board, this.limits(), opts.optimized ?? false, frontend, opts.bundle);
    const bytes = clips.map((c, i) => {
      if (c.length !== frontend.clipSamples)
        throw new Error(`${this.name}: clip ${i} has ${c.length} samples, the frontend takes ${frontend.clipSamples}`);
      return new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
    });
    const counting = this.opts.countInstructions ?? true;
    const per = image.inputBytes + image.outputBytes;
    const { outputs: both, counts, arenaBytes } = await this.runChunks(image, bytes, counting, per, true);
    const features = both.map((b) => b.slice(0, image.inputBytes));
    const outputs = both.map((b) => b.slice(image.inputBytes));
    const r = await this.result(image, outputs, counts, arenaBytes, opts);
    return { ...r, features, ...(counts?.frontend ? { frontendInstructions: counts.frontend } : {}) };
  }

  private limits(): MemoryLimits {
    return this.opts.memory ?? { flashBytes: this.board.flash.size, ramBytes: this.board.ram.size };
  }

  private async result(
    image: FirmwareImage,
    outputs: Int8Array[],
    counts: InstructionCounts | undefined,
    arenaBytes: number,
    opts: RunOptions,
  ): Promise<RunResult> {
    const result: RunResult = {
      runtime: this.name,
      outputs,
      arenaBytes,
      flashBytes: image.flashBytes,
      ramBytes: image.ramBytes,
      stackBytes: STACK_BYTES,
      version: `${await qemuVersion()} ${this.board.machine}, pqk micro ${opts.optimized ? 'optimized' : 'plain C'} kernels`,
      bundleSha256: image.bundleSha256,
    };
    if (counts) {
      result.instructionsPerInference = counts.perInference;
      const live = image.liveBytesPerOp;
      result.instructionsPerOp = counts.perOp.map((instructions, node) => ({
        op: image.ops[node],
        node,
        instructions,
        ...(live?.[node] !== undefined ? { arenaLiveBytes: live[node] } : {}),
      }));
    }
    return result;
  }

  // The batch in contiguous chunks, one emulator each, run concurrently; counts are merged sample-weighted.
  private async runChunks(
    image: FirmwareImage,
    inputs: ArrayBufferView[],
    counting: boolean,
    outBytes: number,
    frontend: boolean,
  ): Promise<{ outputs: Int8Array[]; counts?: InstructionCounts; arenaBytes: number }> {
    const launches = Math.max(
      1,
      Math.min(this.opts.launches ?? Math.min(8, availableParallelism()), Math.floor(inputs.length / MIN_SAMPLES_PER_LAUNCH)),
    );
    const size = Math.ceil(inputs.length / launches);
    const chunks = Array.from({ length: launches }, (_, k) => inputs.slice(k * size, (k + 1) * size)).filter((c) => c.length > 0);
    const runs = await Promise.all(chunks.map((c) => runFirmware(this.board, image, concatSamples(c), c.length, counting, outBytes)));
    const outputs = runs.flatMap((r, k) =>
      chunks[k].map(
        (_, i) => new Int8Array(r.outputs.buffer.slice(r.outputs.byteOffset + i * outBytes, r.outputs.byteOffset + (i + 1) * outBytes)),
      ),
    );
    if (!counting) return { outputs, arenaBytes: runs[0].arenaBytes };
    const parts = runs.map((r, k) => splitCounts(r.hits ?? [], image.ops.length, chunks[k].length, frontend));
    const perOp = image.ops.map((_, node) => parts.reduce((a, p, k) => a + p.perOp[node] * chunks[k].length, 0) / inputs.length);
    const fe = frontend ? parts.flatMap((p) => p.frontend ?? []) : undefined;
    return {
      outputs,
      counts: { perInference: parts.flatMap((p) => p.perInference), perOp, ...(fe ? { frontend: fe } : {}) },
      arenaBytes: runs[0].arenaBytes,
    };
  }
}
