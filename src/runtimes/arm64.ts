// The 'arm64' runtime: TFLite 2.9.0's C library for arm64 (from tfjs-tflite-node), driven by the harness in
// src/runtimes/arm64/ under qemu-aarch64 user-mode emulation. With the instruction-counting plugin built, each
// sample's Invoke is also counted exactly (instructionsPerInference).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { insnCountPluginArg, markerIntervals, parseAddr, parseInsnCounts } from './insncount.js';
import { arm64BuildDir, insnCountPluginPath, tfliteCcDeps } from './paths.js';
import { concatSamples } from './samples.js';
import type { RunResult, Runtime } from './types.js';

const SYSROOT = '/usr/aarch64-linux-gnu'; // Debian's arm64 cross libc, where qemu-aarch64 finds the loader
export const DEFAULT_CPU = 'cortex-a53';

export interface Arm64Options {
  // Count instructions per Invoke (needs the plugin; on by default when it is built).
  countInstructions?: boolean;
  // The emulated core (qemu-aarch64 -cpu): its features pick TFLite's kernels (e.g. dot-product NEON or not),
  // so outputs' rounding and instruction counts belong to it. Default 'cortex-a53', as in targets/android-arm64.json.
  cpu?: string;
}

export class Arm64Runtime implements Runtime {
  readonly name: string; // 'arm64', or 'arm64:<cpu>' when a core is named
  private readonly count: boolean;
  private readonly cpu: string;

  constructor(opts: Arm64Options = {}) {
    this.count = opts.countInstructions ?? existsSync(insnCountPluginPath());
    this.cpu = opts.cpu ?? DEFAULT_CPU;
    this.name = opts.cpu === undefined ? 'arm64' : `arm64:${opts.cpu}`;
  }

  // Each sample is the int8 bytes of the model's inputs, concatenated in input order.
  async run(model: Uint8Array, inputs: Int8Array[]): Promise<RunResult> {
    const { harness, markers } = harnessFiles();
    const dir = mkdtempSync(join(tmpdir(), 'pqk-arm64-'));
    try {
      const paths = { model: join(dir, 'model.tflite'), input: join(dir, 'input.bin'), output: join(dir, 'output.bin') };
      writeFileSync(paths.model, model);
      writeFileSync(paths.input, concatSamples(inputs));
      const counts = join(dir, 'counts.txt');
      const plugin = this.count ? ['-plugin', insnCountPluginArg([markers.invokeBegin, markers.invokeEnd], counts)] : [];
      const args = [
        '-cpu',
        this.cpu,
        '-L',
        SYSROOT,
        '-E',
        `LD_LIBRARY_PATH=${tfliteCcDeps('linux_arm64')}`,
        ...plugin,
        harness,
        paths.model,
        paths.input,
        paths.output,
      ];
      const r = await execa('qemu-aarch64', args, { reject: false });
      if (r.exitCode !== 0) {
        throw new Error(
          `arm64 harness failed (exit ${r.exitCode ?? r.signal}): ${r.stderr.trim() || r.message}\ncommand: ${r.escapedCommand}`,
        );
      }
      const outType = /output-type (\S+)/.exec(r.stdout)?.[1];
      if (outType !== 'INT8') throw new Error(`arm64: the model's first output is ${outType ?? 'of unknown type'}, not INT8`);
      const version = `${await versionOf(r.stdout)} -cpu ${this.cpu}`;
      const result: RunResult = { runtime: this.name, outputs: splitOutputs(readFileSync(paths.output), inputs.length), version };
      if (this.count) {
        const n = markerIntervals(
          parseInsnCounts(readFileSync(counts, 'utf8')),
          parseAddr(markers.invokeBegin),
          parseAddr(markers.invokeEnd),
        );
        if (n.length !== inputs.length) throw new Error(`arm64: ${n.length} counted Invokes for ${inputs.length} samples`);
        result.instructionsPerInference = n;
      }
      return result;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

interface Markers {
  invokeBegin: string;
  invokeEnd: string;
}

function harnessFiles(): { harness: string; markers: Markers } {
  const dir = arm64BuildDir();
  const harness = join(dir, 'harness');
  const markersPath = join(dir, 'markers.json');
  if (!existsSync(harness) || !existsSync(markersPath)) {
    throw new Error(`arm64 harness not built: ${harness} (run bash src/runtimes/arm64/build.sh)`);
  }
  return { harness, markers: JSON.parse(readFileSync(markersPath, 'utf8')) as Markers };
}

function splitOutputs(bytes: Uint8Array, samples: number): Int8Array[] {
  if (samples === 0) return [];
  if (bytes.length % samples !== 0) throw new Error(`arm64: ${bytes.length} output bytes for ${samples} samples`);
  const size = bytes.length / samples;
  return Array.from({ length: samples }, (_, s) => new Int8Array(bytes.buffer, bytes.byteOffset + s * size, size).slice());
}

let qemuVersion: string | undefined;

// "TFLite 2.9.0 arm64 (qemu-aarch64 7.2.x)", from the harness's first stdout line and qemu-aarch64 --version.
async function versionOf(stdout: string): Promise<string> {
  if (qemuVersion === undefined) {
    const r = await execa('qemu-aarch64', ['--version'], { reject: false });
    qemuVersion = /version (\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
  }
  const tflite = /^tflite (\S+)/.exec(stdout)?.[1] ?? 'unknown';
  return `TFLite ${tflite} arm64 (qemu-aarch64 ${qemuVersion})`;
}
