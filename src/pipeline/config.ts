// A run's configuration (run.json): which model, data, target and seed, and every stage's settings. Written when
// a run starts, read by every later command on the same run folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PHASE1_DEFAULTS, type Phase1Config } from '../compress/pqk/phase1.js';
import { PHASE2_DEFAULTS, type Phase2Config } from '../compress/pqk/phase2.js';
import type { QatState, QuantScheme } from '../compress/quant/qat.js';
import type { TargetProfile } from '../targets/types.js';
import { FLOAT_DEFAULTS, type FloatConfig } from '../train/float.js';
import { atomicWriteJson, readJson } from '../util/fs.js';

export interface RunConfig {
  format: 'pqk-run-1';
  model: string;
  data: string; // a Speech Commands folder, 'mnist' or 'fashion-mnist'
  seed: number;
  target?: string;
  float: FloatConfig;
  phase1: Phase1Config;
  phase2: Phase2Config;
  source?: string; // imported model
}

export function runConfigPath(runDir: string): string {
  return join(runDir, 'run.json');
}

export function checkpointsDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

export function readRunConfig(runDir: string): RunConfig {
  const path = runConfigPath(runDir);
  if (!existsSync(path)) throw new Error(`${runDir} is not a pqk run folder (no run.json); start one with 'pqk train' or 'pqk run'`);
  const c = readJson<Partial<RunConfig>>(path, 'run config');
  return {
    format: 'pqk-run-1',
    model: c.model ?? 'ds-cnn',
    data: c.data ?? '',
    seed: c.seed ?? 1,
    target: c.target,
    float: { ...FLOAT_DEFAULTS, ...c.float },
    phase1: { ...PHASE1_DEFAULTS, ...c.phase1 },
    phase2: { ...PHASE2_DEFAULTS, ...c.phase2 },
    source: c.source,
  };
}

// Merges into run.json: settings not given stay as they were (or, never written, take the defaults when read).
export function writeRunConfig(runDir: string, c: Partial<RunConfig>): void {
  const path = runConfigPath(runDir);
  const old = existsSync(path) ? readJson<Record<string, unknown>>(path) : {};
  atomicWriteJson(path, { ...old, ...c });
}

export function schemeOf(t: TargetProfile): QuantScheme {
  // A phone runs TFLite's arm64 kernels; microcontrollers run pqk's firmware, which rounds as x86-64 TFLite does.
  return { weightBits: t.quantization.weightBits, perChannel: t.quantization.granularity === 'per-channel', flavor: t.kind === 'mobile' ? 'arm64' : 'x86-64' };
}

// The quantizer state of a finished phase 1: ranges are in the checkpoint, frozen.
export function frozenQat(scheme: QuantScheme, emaDecay = PHASE1_DEFAULTS.emaDecay): QatState {
  return { scheme, emaDecay, freezeAfterSteps: 0, steps: 1, observe: false };
}
