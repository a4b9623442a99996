// A run's configuration (run.json): which model, data, target and seed, and every stage's settings. Written when
// a run starts, read by every later command on the same run folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PHASE1_DEFAULTS, resolvePhase1, type Phase1Config } from '../compress/pqk/phase1.js';
import { PHASE2_DEFAULTS, type Phase2Config } from '../compress/pqk/phase2.js';
import type { QatState, QuantScheme } from '../compress/quant/qat.js';
import type { AugmentConfig } from '../data/augment.js';
import { dataLocation } from '../data/index.js';
import type { TargetProfile } from '../targets/types.js';
import { FLOAT_DEFAULTS, type FloatConfig } from '../train/float.js';
import { ConfigError, RunStateError } from '../errors.js';
import { atomicWriteJson, readJson } from '../util/fs.js';
import { checkSchema } from '../util/schema.js';
import { RUN_JSON_SCHEMA } from './config-schema.js';

export interface RunConfig {
  format: 'pqk-run-1';
  model: string;
  data: string; // a Speech Commands folder, a folder of class folders of images, 'mnist' or 'fashion-mnist'
  seed: number;
  target?: string;
  float: FloatConfig;
  phase1: Phase1Config;
  phase2: Phase2Config;
  augment?: Partial<AugmentConfig>; // keyword-spotting sets: changes to the training split's augmentation
  source?: string; // imported model
}

export function runConfigPath(runDir: string): string {
  return join(runDir, 'run.json');
}

export function checkpointsDir(runDir: string): string {
  return join(runDir, 'checkpoints');
}

// run.json as written, checked against its schema.
export function readStoredRunConfig(runDir: string): Partial<RunConfig> {
  const path = runConfigPath(runDir);
  if (!existsSync(path))
    throw new RunStateError(`${runDir} is not a pqk run folder (no run.json); start one with 'pqk train' or 'pqk run'`);
  return checkSchema<Partial<RunConfig>>(RUN_JSON_SCHEMA, readJson(path, 'run config'), path);
}

// run.json with every setting filled in: what the file says, else the target's sparsity pattern and level (when a
// target is given), else the defaults; the run's seed reaches every stage that sets none of its own.
export function readRunConfig(runDir: string, target?: TargetProfile): RunConfig {
  const c = readStoredRunConfig(runDir);
  const recorded = readRecordedSettings(runDir);
  if (!c.data)
    throw new ConfigError(
      `${runConfigPath(runDir)}: /data is missing: the run does not say which dataset it trains on (pass --data to 'pqk import' or 'pqk train')`,
    );
  const seed = c.seed ?? 1;
  const fromTarget = target ? { pattern: target.sparsity.pattern, sparsity: target.sparsity.level } : {};
  return {
    format: 'pqk-run-1',
    model: c.model ?? 'ds-cnn',
    data: c.data,
    seed,
    target: c.target,
    float: { ...FLOAT_DEFAULTS, seed, ...(c.float ? addedSince(c.float, 'float') : {}), ...c.float },
    phase1: resolvePhase1(
      { ...(isObject(recorded.phase1) ? addedSince(recorded.phase1, 'phase1') : {}), ...c.phase1 },
      { seed, ...fromTarget },
    ),
    phase2: { ...PHASE2_DEFAULTS, seed, ...c.phase2 },
    ...(c.augment ? { augment: c.augment } : {}),
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
  // A phone runs TFLite's arm64 kernels; a microcontroller runs TFLite Micro (with or without CMSIS-NN) or pqk's
  // firmware, which all compute TFLite Micro's reference arithmetic.
  return {
    weightBits: t.quantization.weightBits,
    perChannel: t.quantization.granularity === 'per-channel',
    flavor: t.kind === 'mobile' ? 'arm64' : 'tflm',
  };
}

// The quantizer state of a finished phase 1: ranges are in the checkpoint, frozen.
export function frozenQat(scheme: QuantScheme, emaDecay = PHASE1_DEFAULTS.emaDecay): QatState {
  return { scheme, emaDecay, freezeAfterSteps: 0, steps: 1, observe: false };
}

// Settings keys added after run folders were first written, with the value that reproduces what a run recorded
// without them did: a float section written before weight decay existed trained without it, and so did a phase 1;
// a phase 1 written before the dense shadow kept its pruned weights frozen.
const ADDED_SINCE: Record<string, Record<string, unknown>> = {
  float: { weightDecay: 0 },
  phase1: { weightDecay: 0, shadow: false },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The ADDED_SINCE values of `section` that `recorded` (a section written by an earlier version) does not set.
function addedSince(recorded: object, section: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(ADDED_SINCE[section] ?? {}).filter(([k]) => !(k in recorded)));
}

function readRecordedSettings(runDir: string): Record<string, unknown> {
  const file = join(runDir, 'settings.json');
  return existsSync(file) ? readJson<Record<string, unknown>>(file, 'run settings') : {};
}

// The current setting as compared with a recorded one: without the keys added since that the recorded section lacks,
// where they have the values ADDED_SINCE gives (so a run recorded without them still matches).
// A data folder recorded relative to the working directory (earlier versions) matches its absolute path.
function comparable(key: string, old: unknown, now: unknown): unknown {
  if (key === 'data' && typeof old === 'string' && typeof now === 'string' && dataLocation(old) === now) return old;
  if (!isObject(old) || !isObject(now)) return now;
  const added = addedSince(old, key);
  return Object.fromEntries(Object.entries(now).filter(([k]) => !(k in added && JSON.stringify(now[k]) === JSON.stringify(added[k]))));
}

// Where a recorded setting and the current one differ, one entry per differing leaf: "float.seed: 2 there, 1 now".
function settingDiffs(path: string, old: unknown, now: unknown): string[] {
  if (JSON.stringify(old) === JSON.stringify(now)) return [];
  if (!isObject(old) || !isObject(now)) return [`${path}: ${brief(old)} there, ${brief(now)} now`];
  const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])];
  return keys.flatMap((k) => settingDiffs(`${path}.${k}`, old[k], now[k]));
}

// A run folder holds checkpoints of one set of settings; continuing it with others would mix them. `now` names the
// settings the calling command depends on; those recorded earlier must be equal, the others are added.
// record: false checks only (before a run's data is loaded: a --data that fails to load must not bind the folder).
export function guardRunSettings(runDir: string, now: Record<string, unknown>, record = true): void {
  const file = join(runDir, 'settings.json');
  const old = readRecordedSettings(runDir);
  const current = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, comparable(k, old[k], v)]));
  const differs = Object.keys(now)
    .filter((k) => k in old)
    .flatMap((k) => settingDiffs(k, old[k], current[k]));
  if (differs.length > 0)
    throw new RunStateError(
      `${runDir} holds a run made with other settings (${differs.join('; ')}); give the settings it was made with ` +
        `(${file}), use another folder or remove this one`,
    );
  // A section recorded without a key added since stays so: the run keeps the ADDED_SINCE value when resumed again.
  if (record) atomicWriteJson(file, { ...old, ...current });
}

// The settings a run's checkpoints depend on, guarded by guardRunSettings (pqk run and pqk compress). Which students
// are trained beside phase 2 and which one ships change no checkpoint: a finished run may add the CE control.
export function guardTrainingSettings(runDir: string, c: RunConfig, target: TargetProfile, record = true): void {
  const { control: _c, ship: _s, ...phase2 } = c.phase2;
  guardRunSettings(
    runDir,
    {
      model: c.model,
      data: c.data,
      seed: c.seed,
      float: c.float,
      phase1: c.phase1,
      phase2,
      augment: c.augment ?? null,
      quantization: target.quantization,
      scheme: schemeOf(target),
    },
    record,
  );
}

function brief(v: unknown): string {
  const s = JSON.stringify(v) ?? 'unset';
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}
