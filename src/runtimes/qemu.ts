// The QEMU firmware runtime, 'qemu:cortex-m4' and friends: builds (cached) a firmware image of the model for the
// board, runs the batch in one emulator launch, and reports outputs with instruction counts and memory figures.
import { boardForCpu, QEMU_CPUS, type Board, type MemoryLimits, type QemuCpu } from './qemu-boards.js';
import { buildFirmware } from './qemu-build.js';
import { qemuVersion, runFirmware, splitCounts } from './qemu-run.js';
import { concatSamples } from './samples.js';
import type { RunOptions, RunResult, Runtime } from './types.js';

export interface QemuOptions {
  memory?: MemoryLimits; // the target's flash and RAM; the board's own memory when absent
  countInstructions?: boolean; // run under the instruction-counting plugin (default true)
}

export function isQemuRuntimeName(name: string): boolean {
  return name.startsWith('qemu:') && (QEMU_CPUS as readonly string[]).includes(name.slice(5));
}

export class QemuRuntime implements Runtime {
  readonly name: string;
  readonly board: Board;
  private readonly opts: QemuOptions;

  constructor(cpu: QemuCpu, opts: QemuOptions = {}) {
    this.name = `qemu:${cpu}`;
    this.board = boardForCpu(cpu);
    this.opts = opts;
  }

  static fromName(name: string, opts: QemuOptions = {}): QemuRuntime {
    if (!isQemuRuntimeName(name)) throw new Error(`unknown QEMU runtime '${name}' (known: ${QEMU_CPUS.map((c) => `qemu:${c}`).join(', ')})`);
    return new QemuRuntime(name.slice(5) as QemuCpu, opts);
  }

  async run(model: Uint8Array, inputs: Int8Array[], opts: RunOptions = {}): Promise<RunResult> {
    const limits = this.opts.memory ?? { flashBytes: this.board.flash.size, ramBytes: this.board.ram.size };
    const image = await buildFirmware(model, this.board, limits, opts.optimized ?? false);
    inputs.forEach((x, i) => {
      if (x.byteLength !== image.inputBytes) throw new Error(`${this.name}: sample ${i} has ${x.byteLength} bytes, the model input takes ${image.inputBytes}`);
    });
    const counting = this.opts.countInstructions ?? true;
    const run = await runFirmware(this.board, image, concatSamples(inputs), inputs.length, counting);
    const outputs = inputs.map((_, i) => new Int8Array(run.outputs.buffer.slice(i * image.outputBytes, (i + 1) * image.outputBytes)));
    const result: RunResult = {
      runtime: this.name, outputs, arenaBytes: run.arenaBytes, flashBytes: image.flashBytes, ramBytes: image.ramBytes,
      version: `${await qemuVersion()} ${this.board.machine}, pqk micro ${opts.optimized ? 'optimized' : 'plain C'} kernels`,
    };
    if (run.hits) {
      const counts = splitCounts(run.hits, image.ops.length, inputs.length);
      result.instructionsPerInference = counts.perInference;
      result.instructionsPerOp = counts.perOp.map((instructions, node) => ({ op: image.ops[node], node, instructions }));
    }
    return result;
  }
}
