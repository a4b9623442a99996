// Shared by the firmware tests: building the C side, running the host build of the interpreter, random samples.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { elementCount, type QModel } from '../../src/int/graph.js';
import { firmwareDir } from '../../src/runtimes/qemu-boards.js';
import { hostRunnerPath } from '../../src/runtimes/micro-host.js';
import { mulberry32 } from '../../src/util/rng.js';

export interface HostResult {
  status: number;
  error: string;
  arena_used_bytes: number;
  persistent_bytes: number;
  ops: string[];
  outputs: Int8Array[];
}

export async function buildHarness(): Promise<void> {
  await execa('bash', [join(firmwareDir(), 'build.sh')]);
}

export function hostBinary(name: string): string {
  return join(firmwareDir(), 'build', 'host', name);
}

/** The model up to op k, whose output is the model's: checks each op of a chain on its own. */
export function prefixModel(model: QModel, k: number): QModel {
  return { ...model, ops: model.ops.slice(0, k + 1), outputs: [model.ops[k].outputs[0]] };
}

// Uniform random int8 samples for the model's input, seeded.
export function randomInputs(model: QModel, count: number, seed: number): Int8Array[] {
  const n = elementCount(model.tensors[model.inputs[0]].shape);
  const r = mulberry32(seed);
  return Array.from({ length: count }, () => Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128));
}

// Runs a batch through build/host/pqk-micro-host; a failing model gives status != 0 and its error text. The arithmetic
// is TFLite Micro's ('tflm', as deployed) unless 'x86-64' asks for x86-64 TFLite 2.9's.
export async function runHost(
  model: Uint8Array,
  inputs: Int8Array[],
  optimized = false,
  rounding: 'tflm' | 'x86-64' = 'tflm',
): Promise<HostResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-host-'));
  try {
    writeFileSync(join(dir, 'model.tflite'), model);
    writeFileSync(join(dir, 'in.bin'), Buffer.concat(inputs.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength))));
    const args = [join(dir, 'model.tflite'), join(dir, 'in.bin'), String(inputs.length), join(dir, 'out.bin')];
    const flags = [...(optimized ? ['--optimized'] : []), ...(rounding === 'x86-64' ? ['--x86-rounding'] : [])];
    const r = await execa(hostRunnerPath(), [...args, ...flags], { reject: false });
    const summary = JSON.parse(r.stdout) as Omit<HostResult, 'outputs'> & { output_bytes: number };
    const outputs: Int8Array[] = [];
    if (summary.status === 0 && inputs.length > 0) {
      const bytes = new Int8Array(readFileSync(join(dir, 'out.bin')));
      for (let i = 0; i < inputs.length; i++) outputs.push(bytes.slice(i * summary.output_bytes, (i + 1) * summary.output_bytes));
    }
    return { ...summary, outputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Positions where two batches differ, and the number of distinct reference values (a degenerate model would
// make equality meaningless).
export function compareBatches(got: Int8Array[], want: Int8Array[]): { mismatches: number; distinct: number } {
  let mismatches = 0;
  const seen = new Set<number>();
  want.forEach((w, i) =>
    w.forEach((v, j) => {
      seen.add(v);
      if (got[i]?.[j] !== v) mismatches++;
    }),
  );
  return { mismatches, distinct: seen.size };
}
