// Per-seed records become the benchmark's rows (mean and sample standard deviation over seeds), and the paired
// comparison the ablation is about: PQK against CE fine-tuning from the same phase-1 checkpoint and seed.
import type { SeedRecord } from './records.js';
import { BENCH_METHODS, configId, type BenchMethod, type BenchTask, type CompressConfig } from './settings.js';

export interface BenchRow {
  task: BenchTask;
  method: BenchMethod;
  sparsity: number;
  pattern: CompressConfig['pattern'];
  weightBits: 8 | 4;
  seeds: number[];
  accMean: number;
  accStd: number;
  paramBytes: number;
  wallSeconds: number; // mean per seed of the method's own training
  testSamples: number | null; // the size of the test split the accuracies were scored on (null: records older than the field)
  // pqk rows: PQK minus the CE control, paired by seed, percentage points, with its 95% confidence interval
  // (Student's t over the seeds; null bounds with fewer than two seeds)
  minusCe?: { mean: number; ciLow: number | null; ciHigh: number | null; seeds: number };
}

// Two-sided 95% quantiles of Student's t, by degrees of freedom 1..30 (then the normal's 1.96 is within 2%).
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function t975(df: number): number {
  return df >= 1 && df <= T975.length ? T975[df - 1]! : 1.96;
}

// Mean and 95% confidence interval of paired differences (in the units given).
export function meanCi(diffs: number[]): { mean: number; ciLow: number | null; ciHigh: number | null } {
  const m = mean(diffs);
  if (diffs.length < 2) return { mean: m, ciLow: null, ciHigh: null };
  const half = (t975(diffs.length - 1) * std(diffs)) / Math.sqrt(diffs.length);
  return { mean: m, ciLow: m - half, ciHigh: m + half };
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
  const sizes = sorted.map((r) => r.testSamples).filter((n): n is number => n !== undefined);
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
    testSamples: sizes.length === sorted.length ? Math.min(...sizes) : null,
  };
}

const r2 = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);

// One row per (task, configuration, method) that has at least one seed; the float row repeats in every
// configuration so that each configuration's five rows stand together.
export function buildRows(records: SeedRecord[], tasks: BenchTask[], seeds: number[], configs: CompressConfig[]): BenchRow[] {
  const rows: BenchRow[] = [];
  const wanted = (r: SeedRecord): boolean => seeds.includes(r.seed);
  for (const task of tasks)
    for (const cfg of configs)
      for (const method of BENCH_METHODS) {
        const recs = records.filter(
          (r) =>
            wanted(r) &&
            r.task === task &&
            r.method === method &&
            (method === 'float' || (r.config && configId(r.config) === configId(cfg))),
        );
        if (!recs.length) continue;
        const r = row(task, method, cfg, recs);
        if (method === 'pqk') {
          const d = paired(records, task, cfg, 'pqk', 'phase1+ce', seeds).diffs.map((x) => x * 100);
          if (d.length) {
            const c = meanCi(d);
            r.minusCe = { mean: r2(c.mean)!, ciLow: r2(c.ciLow), ciHigh: r2(c.ciHigh), seeds: d.length };
          }
        }
        rows.push(r);
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

export function paired(
  records: SeedRecord[],
  task: BenchTask,
  cfg: CompressConfig,
  a: BenchMethod,
  b: BenchMethod,
  seeds: number[],
): Paired {
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
