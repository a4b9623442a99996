// pqk micro's host build: parses and plans a model on the build machine (the arena a firmware needs, and a clear
// error when the model cannot run) before any firmware or bundle is made from it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { firmwareDir } from './qemu-boards.js';

export interface HostSummary {
  status: number;
  error: string;
  arena_used_bytes: number;
  tensors: number;
  nodes: number;
  ops: string[];
  node_live_bytes?: number[]; // per node, the arena bytes live while it runs (its tensors and scratch)
  input_bytes: number;
  output_bytes: number;
}

export function hostRunnerPath(): string {
  return join(firmwareDir(), 'build', 'host', 'pqk-micro-host');
}

// Builds the host runner when missing or older than the runtime's sources, once per process
// (firmware-harness/build.sh checks the sources' times and returns in milliseconds when up to date): the arena a
// firmware image is built with comes from it, so a runner left from before a kernel's Prepare changed would size
// that image wrong.
let hostBuild: Promise<unknown> | undefined;
export async function ensureHostBuild(): Promise<void> {
  hostBuild ??= execa('bash', [join(firmwareDir(), 'build.sh')]);
  await hostBuild;
}

// Parses and plans the model on the host: the arena size to build with, and a clear error when it cannot run.
export async function hostSummary(modelPath: string, optimized: boolean, where: string): Promise<HostSummary> {
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
