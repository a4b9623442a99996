// Per-seed records become the benchmark's rows (mean and sample standard deviation over seeds), and the paired
// comparison the ablation is about: PQK against CE fine-tuning from the same phase-1 checkpoint and seed.
import type { SeedRecord } from './pqk-records.js';
import { BENCH_METHODS, configId, type BenchMethod, type BenchTask, type CompressConfig } from './pqk-settings.js';

export interface BenchRow {
  task: BenchTask;
  method: BenchMethod;
  sparsity: number;
  pattern: 'unstructured' | 'channel';
  weightBits: 8 | 4;
  seeds: number[];
  accMean: number;
  accStd: number;
  paramBytes: number;
  wallSeconds: number; // mean per seed of the method's own training
}

export function mean(v: number[]): number {
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

// Sample standard deviation (n - 1); 0 for a single seed.
export function std(v: number[]): number {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

function row(task: BenchTask, method: BenchMethod, cfg: CompressConfig, recs: SeedRecord[]): BenchRow {
  const sorted = [...recs].sort((a, b) => a.seed - b.seed);
  const acc = sorted.map((r) => r.accuracy);
  return {
    task,
    method,
    sparsity: cfg.sparsity,
    pattern: cfg.pattern,
    weightBits: cfg.weightBits,
    seeds: sorted.map((r) => r.seed),
    accMean: r4(mean(acc)),
    accStd: r4(std(acc)),
    paramBytes: Math.round(mean(sorted.map((r) => r.paramBytes))),
    wallSeconds: Math.round(mean(sorted.map((r) => r.wallSeconds)) * 10) / 10,
  };
}

// One row per (task, configuration, method) that has at least one seed; the float row repeats in every
// configuration so that each configuration's five rows stand together.
export function buildRows(records: SeedRecord[], tasks: BenchTask[], seeds: number[], configs: CompressConfig[]): BenchRow[] {
  const rows: BenchRow[] = [];
  const wanted = (r: SeedRecord): boolean => seeds.includes(r.seed);
  for (const task of tasks)
    for (const cfg of configs)
      for (const method of BENCH_METHODS) {
        const recs = records.filter((r) => wanted(r) && r.task === task && r.method === method && (method === 'float' || (r.config && configId(r.config) === configId(cfg))));
        if (recs.length) rows.push(row(task, method, cfg, recs));
      }
  return rows;
}

export interface Paired {
  task: BenchTask;
  config: CompressConfig;
  a: BenchMethod;
  b: BenchMethod;
  diffs: number[]; // per seed: accuracy(a) - accuracy(b)
}

export function paired(records: SeedRecord[], task: BenchTask, cfg: CompressConfig, a: BenchMethod, b: BenchMethod, seeds: number[]): Paired {
  const acc = (m: BenchMethod, s: number): number | undefined =>
    records.find((r) => r.task === task && r.method === m && r.seed === s && r.config && configId(r.config) === configId(cfg))?.accuracy;
  const diffs: number[] = [];
  for (const s of seeds) {
    const x = acc(a, s);
    const y = acc(b, s);
    if (x !== undefined && y !== undefined) diffs.push(x - y);
  }
  return { task, config: cfg, a, b, diffs };
}
