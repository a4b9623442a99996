// Per-seed results of the ablation, in one JSON file rewritten atomically after each one: a killed run skips what is
// recorded and resumes the stage it was in from that stage's checkpoints (or retrains it, deterministically, on a
// machine that does not have them).
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { execa } from 'execa';
import { RunStateError } from '../../src/errors.js';
import { atomicWriteJson, readJson } from '../../src/util/fs.js';
import { BENCH_TASKS, configId, type BenchMethod, type BenchSettings, type BenchTask, type CompressConfig } from './settings.js';

export interface SeedRecord {
  task: BenchTask;
  method: BenchMethod;
  config?: CompressConfig; // absent for float
  seed: number;
  accuracy: number; // integer reference (float model: float forward) on the test subset
  fakeQuantAccuracy?: number;
  argmaxAgreement?: number; // fake-quant vs integer reference
  teacherAccuracy?: number; // the in-network teacher Q(W*M) + W*(1-M), float activations, on the test subset
  sparsity?: number; // measured overall sparsity of the converted model
  paramBytes: number;
  wallSeconds: number; // this method's own training (phase-2 methods exclude the shared phase 1)
  valHistory?: number[]; // validation accuracy after each epoch of the method's last stage
  testSamples?: number; // the size of the test split scored (absent in records older than the field)
  made?: Provenance; // where and on what code it was made (absent in records older than the field)
}

// A benchmark that resumes across machines and days is read result by result: each says where it came from.
export interface Provenance {
  at: string; // UTC, to the minute
  code: string; // the checkout's commit, "-dirty" with uncommitted changes to its code (codeVersion)
  machine: string;
}

// The checkout's commit, "-dirty" where a tracked file other than `outputs` (the run's own records, run info, JSON
// and markdown, which a resumed run has rewritten) differs from it; "unknown" outside git.
export async function codeVersion(outputs: string[] = [], cwd = process.cwd()): Promise<string> {
  try {
    const head = (await execa('git', ['rev-parse', '--short=7', 'HEAD'], { cwd })).stdout.trim();
    const root = (await execa('git', ['rev-parse', '--show-toplevel'], { cwd })).stdout.trim();
    const mine = new Set(outputs.map((o) => relative(root, resolve(cwd, o))));
    const changed = (await execa('git', ['diff', '--name-only', 'HEAD'], { cwd: root })).stdout
      .split('\n')
      .filter((f) => f && !mine.has(f));
    return changed.length ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

export const utcMinute = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

export function recordKey(task: BenchTask, method: BenchMethod, seed: number, config?: CompressConfig): string {
  return `${task}/${method}/${config ? configId(config) : 'float'}/s${seed}`;
}

// Beside the records: the run info (the wall time summed over every invocation that added to them, and the hash of
// the settings they were made with).
export function runInfoBeside(records: string): string {
  return /records\.json$/.test(records)
    ? records.replace(/records\.json$/, 'run-info.json')
    : `${records.replace(/\.json$/, '')}.run-info.json`;
}

// Records are keyed by task, method, configuration and seed only: results of other settings in the same file would pass
// for this run's. An absent hash (a run info older than the field) is taken as matching.
export function checkRecordedSettings(records: string, recorded: string | undefined, now: string): void {
  if (recorded === undefined || recorded === now) return;
  throw new RunStateError(
    `${records} holds results of other settings (hash ${recorded} in ${runInfoBeside(records)}, ${now} now): a preset's recipe has changed since they were recorded; move both files away to start afresh, or give --records and --out to keep them apart`,
  );
}

export class RecordStore {
  private readonly path: string;
  private readonly records: Record<string, SeedRecord>;

  onPut: () => void = () => {}; // e.g. rewrite the outputs after each result
  // Stamped on each new result (the clock is read at put); a record that carries its own provenance keeps it.
  origin?: { code: string; machine: string; now?: () => Date };

  constructor(path: string) {
    this.path = path;
    this.records = existsSync(this.path) ? readJson<Record<string, SeedRecord>>(this.path, 'benchmark records') : {};
  }

  get(key: string): SeedRecord | undefined {
    return this.records[key];
  }

  put(r: SeedRecord): void {
    const o = this.origin;
    if (o && !r.made) r = { ...r, made: { at: utcMinute(o.now?.() ?? new Date()), code: o.code, machine: o.machine } };
    this.records[recordKey(r.task, r.method, r.seed, r.config)] = r;
    atomicWriteJson(this.path, this.records);
    this.onPut();
  }

  all(): SeedRecord[] {
    return Object.values(this.records);
  }
}

// What the outputs (JSON rows, markdown) cover: every task, seed and configuration of the run's settings or of its
// records, so that a run of some of them (--tasks image, --seeds 3) rewrites the outputs without dropping the rest.
export function outputScope(s: BenchSettings, records: SeedRecord[]): BenchSettings {
  const tasks = BENCH_TASKS.filter((t) => s.tasks.includes(t) || records.some((r) => r.task === t));
  const seeds = [...new Set([...s.seeds, ...records.map((r) => r.seed)])].sort((a, b) => a - b);
  const configs = [...s.configs];
  for (const r of records) if (r.config && !configs.some((c) => configId(c) === configId(r.config!))) configs.push(r.config);
  return { ...s, tasks, seeds, configs };
}
