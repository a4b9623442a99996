// Settings of the PQK ablation benchmark: presets, command-line overrides, and the hash that keys resumable results.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Importance } from '../../src/compress/pqk/masks.js';
import { UsageError } from '../../src/errors.js';
import { PHASE1_DEFAULTS, UNSTRUCTURED_SCHEDULE } from '../../src/compress/pqk/phase1.js';
import { PHASE2_DEFAULTS } from '../../src/compress/pqk/phase2.js';
import { FLOAT_DEFAULTS } from '../../src/train/float.js';

export type BenchTask = 'kws' | 'image';
export const BENCH_TASKS: readonly BenchTask[] = ['kws', 'image'];
// 'scratch' (KWS, channel configurations): the small architecture the pruned one ends as (DS-CNN with the kept
// fraction of its width), trained from scratch: float for the float epochs, then dense QAT for phase 1's epochs.
export type BenchMethod = 'float' | 'phase1' | 'phase1+ce' | 'phase1+warmup' | 'pqk' | 'scratch';
export const BENCH_METHODS: readonly BenchMethod[] = ['float', 'phase1', 'phase1+ce', 'phase1+warmup', 'pqk', 'scratch'];

export interface CompressConfig {
  pattern: 'unstructured' | 'channel' | '2:4'; // 2:4 fixes its own sparsity (0.5)
  sparsity: number;
  weightBits: 8 | 4;
}

export interface SplitSizes {
  train: number;
  val: number; // evaluated after every epoch of every stage: kept small
  test: number; // the reported accuracy
}

// Everything that changes a per-seed result; seeds, tasks and the output path do not (so more seeds extend a run).
export interface TrainSettings {
  dataSeed: number;
  batchSize: number;
  floatEpochs: number;
  floatLr: number;
  // Decoupled weight decay of the float stage (FloatConfig.weightDecay); absent is 0, which the presets below were
  // recorded with (an absent key keeps their settings hash, so their resumable results stay valid).
  floatWeightDecay?: number;
  p1Rounds: number;
  p1EpochsPerRound: number;
  p1FinalEpochs: number; // the last round's epochs (at the final level)
  // Unstructured pruning's schedule where it differs from the one above (`pqk compress` gives it more, shorter rounds
  // and more epochs at the final level: UNSTRUCTURED_SCHEDULE); absent, every pattern takes the one above.
  p1Unstructured?: { rounds: number; epochsPerRound: number; finalEpochs: number };
  p1Lr: number;
  p1WeightDecay?: number; // Phase1Config.weightDecay; absent is 0, as floatWeightDecay
  p1Scope: 'per-layer' | 'global'; // unstructured magnitude threshold per layer or over the whole network
  // What phase 1 ranks by ('taylor': channels by the measured loss change, single weights by LAMP score). Part of the
  // settings hash, so work folders made while single weights were ranked by folded magnitude are not reused.
  p1Importance: Importance;
  warmupEpochs: number;
  mutualEpochs: number;
  tau: number;
  lambda: number;
  sizes: Record<BenchTask, SplitSizes>;
  kwsClipsPerWord: number; // the synthetic KWS set: 1000 (the default set) or 1700 (the large one)
}

export interface BenchSettings {
  preset: string;
  tasks: BenchTask[];
  seeds: number[];
  configs: CompressConfig[];
  train: TrainSettings;
  out: string; // path without extension: <out>.json and <out>.md
  work: string; // stage checkpoints (ignored by git; rebuilt deterministically when missing)
  records: string; // per-seed results (JSON): a committed file for the scale preset, so a run resumes on another machine
  probe?: { task: BenchTask; cfg: CompressConfig; set: 'variants' | 'head' }; // run a targeted experiment instead of the ablation
}

const LEVELS: Pick<CompressConfig, 'pattern' | 'sparsity'>[] = [
  { pattern: 'unstructured', sparsity: 0.5 },
  { pattern: 'unstructured', sparsity: 0.8 },
  { pattern: 'unstructured', sparsity: 0.9 },
  { pattern: 'channel', sparsity: 0.5 },
];
const ALL_CONFIGS: CompressConfig[] = LEVELS.flatMap((c) => ([8, 4] as const).map((weightBits) => ({ ...c, weightBits })));

// The committed run: about an hour on 2 shared cores. Key order matters: the settings hash keys resumable results.
const FULL_TRAIN: TrainSettings = {
  dataSeed: 1,
  batchSize: 25,
  floatEpochs: 10,
  floatLr: 0.003,
  p1Rounds: 2,
  p1EpochsPerRound: 1,
  p1FinalEpochs: 1,
  p1Lr: 0.003,
  p1Scope: 'global',
  p1Importance: 'taylor',
  warmupEpochs: 1,
  mutualEpochs: 1,
  tau: 4,
  lambda: 1,
  sizes: { kws: { train: 500, val: 100, test: 250 }, image: { train: 300, val: 100, test: 150 } },
  kwsClipsPerWord: 1000,
};

const ALL = Number.MAX_SAFE_INTEGER; // a whole split

// Budgets where the float model has converged and a difference of a point can be seen: the large KWS set (2,040
// validation and 2,040 test clips of held-out voices) and all of Fashion-MNIST (60,000 / 10,000), at the recipe
// `pqk run` and `pqk compress` use (their defaults: float 30 epochs with weight decay; phase 1 lr 6e-3 with weight
// decay, three rounds of 3 epochs and 20 at the final level, unstructured pruning sixteen rounds of one epoch and 40;
// phase 2 2 + 3 epochs at tau 1).
const SCALE_TRAIN: TrainSettings = {
  dataSeed: 1,
  batchSize: 100,
  floatEpochs: FLOAT_DEFAULTS.epochs,
  floatLr: FLOAT_DEFAULTS.lr,
  floatWeightDecay: FLOAT_DEFAULTS.weightDecay,
  p1Rounds: PHASE1_DEFAULTS.rounds,
  p1EpochsPerRound: PHASE1_DEFAULTS.epochsPerRound,
  p1FinalEpochs: PHASE1_DEFAULTS.finalEpochs,
  p1Unstructured: { ...UNSTRUCTURED_SCHEDULE },
  p1Lr: PHASE1_DEFAULTS.lr,
  p1WeightDecay: PHASE1_DEFAULTS.weightDecay,
  p1Scope: PHASE1_DEFAULTS.scope,
  p1Importance: PHASE1_DEFAULTS.importance,
  warmupEpochs: PHASE2_DEFAULTS.warmupEpochs,
  mutualEpochs: PHASE2_DEFAULTS.mutualEpochs,
  tau: PHASE2_DEFAULTS.tau,
  lambda: PHASE2_DEFAULTS.lambda,
  sizes: { kws: { train: ALL, val: ALL, test: ALL }, image: { train: ALL, val: 5000, test: ALL } },
  kwsClipsPerWord: 1700,
};
// The same budgets at the recipe of 2026-12-05 (float without weight decay, phase 1 at lr 3e-3 without it and three
// rounds under every pattern, tau 4): bench/pqk-scale-v1.md, kept as it was measured.
const SCALE_V1_TRAIN: TrainSettings = {
  dataSeed: 1,
  batchSize: 100,
  floatEpochs: 30,
  floatLr: 0.003,
  p1Rounds: 3,
  p1EpochsPerRound: 3,
  p1FinalEpochs: 20,
  p1Lr: 0.003,
  p1Scope: 'global',
  p1Importance: 'taylor',
  warmupEpochs: 2,
  mutualEpochs: 3,
  tau: 4,
  lambda: 1,
  sizes: { kws: { train: ALL, val: ALL, test: ALL }, image: { train: ALL, val: 5000, test: ALL } },
  kwsClipsPerWord: 1700,
};
const SCALE_CONFIGS: CompressConfig[] = [
  { pattern: 'channel', sparsity: 0.5, weightBits: 8 },
  { pattern: 'unstructured', sparsity: 0.8, weightBits: 8 },
  { pattern: 'unstructured', sparsity: 0.8, weightBits: 4 },
  { pattern: '2:4', sparsity: 0.5, weightBits: 8 },
];

const PRESETS: Record<string, { train: TrainSettings; seeds: number[]; configs: CompressConfig[] }> = {
  full: { seeds: [1, 2, 3], configs: ALL_CONFIGS, train: FULL_TRAIN },
  scale: { seeds: [1, 2, 3], configs: SCALE_CONFIGS, train: SCALE_TRAIN },
  'scale-v1': { seeds: [1, 2, 3], configs: SCALE_CONFIGS, train: SCALE_V1_TRAIN },
  // Checks the script end to end in a few minutes; numbers mean nothing.
  quick: {
    seeds: [1, 2],
    configs: [ALL_CONFIGS[4], ALL_CONFIGS[7]],
    train: {
      ...FULL_TRAIN,
      floatEpochs: 1,
      p1Rounds: 1,
      sizes: { kws: { train: 200, val: 100, test: 100 }, image: { train: 200, val: 100, test: 100 } },
    },
  },
};

const USAGE =
  'usage: npm run bench:pqk -- [--preset scale|scale-v1|full|quick] [--seeds 1,2,3] [--tasks kws,image] [--configs u0.5w8,c0.5w4,...] ' +
  '[--float-epochs N] [--p1-rounds N] [--p1-epochs N] [--warmup-epochs N] [--mutual-epochs N] [--batch N] [--tau T] [--lambda L] ' +
  '[--train N] [--test N] [--out PATH] [--work DIR] [--records FILE] [--probe kws:u0.8w4 [--probe-set variants|head]]';

function list<T>(flag: string, v: string | undefined, parse: (s: string) => T | undefined): T[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => {
    const r = parse(s.trim());
    if (r === undefined) throw new UsageError(`--${flag}: cannot read '${s}'\n${USAGE}`);
    return r;
  });
}

function num(flag: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${flag}: expected a number >= ${min}, got '${v}'\n${USAGE}`);
  return n;
}

// 'u0.8w4' = unstructured 80 % with int4 weights, 'c0.5w8' = channel pruning 50 % with int8 weights.
export function parseConfig(s: string): CompressConfig | undefined {
  const nm = /^n2:4w(8|4)$/.exec(s);
  if (nm) return { pattern: '2:4', sparsity: 0.5, weightBits: Number(nm[1]) as 8 | 4 };
  const m = /^([uc])([0-9.]+)w(8|4)$/.exec(s);
  if (!m) return undefined;
  return { pattern: m[1] === 'u' ? 'unstructured' : 'channel', sparsity: Number(m[2]), weightBits: Number(m[3]) as 8 | 4 };
}

export function configId(c: CompressConfig): string {
  return c.pattern === '2:4' ? `n2:4w${c.weightBits}` : `${c.pattern[0]}${c.sparsity}w${c.weightBits}`;
}

export function parseBenchArgs(argv: string[]): BenchSettings {
  const { values: f } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      [
        'preset',
        'seeds',
        'tasks',
        'configs',
        'float-epochs',
        'p1-rounds',
        'p1-epochs',
        'warmup-epochs',
        'mutual-epochs',
        'batch',
        'tau',
        'lambda',
        'train',
        'test',
        'out',
        'work',
        'records',
        'probe',
        'probe-set',
      ].map((k) => [k, { type: 'string' as const }]),
    ),
  });
  const preset = f.preset ?? 'full';
  const base = PRESETS[preset];
  if (!base) throw new UsageError(`--preset: unknown preset '${preset}' (scale, scale-v1, full, quick)\n${USAGE}`);
  const t: TrainSettings = structuredClone(base.train);
  t.floatEpochs = num('float-epochs', f['float-epochs'], 1) ?? t.floatEpochs;
  t.p1Rounds = num('p1-rounds', f['p1-rounds'], 1) ?? t.p1Rounds;
  t.p1EpochsPerRound = num('p1-epochs', f['p1-epochs'], 1) ?? t.p1EpochsPerRound;
  // rounds given on the command line are every pattern's: unstructured pruning's own schedule is dropped
  if (f['p1-rounds'] !== undefined || f['p1-epochs'] !== undefined) delete t.p1Unstructured;
  t.warmupEpochs = num('warmup-epochs', f['warmup-epochs'], 1) ?? t.warmupEpochs;
  t.mutualEpochs = num('mutual-epochs', f['mutual-epochs'], 1) ?? t.mutualEpochs;
  t.batchSize = num('batch', f.batch, 1) ?? t.batchSize;
  t.tau = num('tau', f.tau) ?? t.tau;
  t.lambda = num('lambda', f.lambda) ?? t.lambda;
  for (const task of BENCH_TASKS) {
    t.sizes[task].train = num('train', f.train, 1) ?? t.sizes[task].train;
    t.sizes[task].test = num('test', f.test, 1) ?? t.sizes[task].test;
  }
  const tasks = list('tasks', f.tasks, (s) => BENCH_TASKS.find((t) => t === s)) ?? [...BENCH_TASKS];
  const seeds = list('seeds', f.seeds, (s) => (/^\d+$/.test(s) ? Number(s) : undefined)) ?? base.seeds;
  const configs = list('configs', f.configs, parseConfig) ?? base.configs;
  const work = f.work ?? `runs/bench-pqk/${preset}-${settingsHash(t)}`;
  // The committed presets at their own settings write into bench/: the full one its outputs, the scale one its outputs and
  // records too (hours of work per seed, kept in git so that a later session on a fresh machine goes on from them).
  const committed = f.work === undefined && preset !== 'quick' && sameAs(t, PRESETS[preset].train);
  const named = preset === 'full' ? 'bench/pqk-ablation' : `bench/pqk-${preset}`;
  const out = f.out ?? (committed ? named : `${work}/pqk-ablation`);
  const records = f.records ?? (committed && preset !== 'full' ? `${named}.records.json` : `${work}/records.json`);
  let probe: BenchSettings['probe'];
  if (f.probe !== undefined) {
    const [task, c] = f.probe.split(':');
    const cfg = c === undefined ? undefined : parseConfig(c);
    if ((task !== 'kws' && task !== 'image') || !cfg)
      throw new UsageError(`--probe: expected TASK:CONFIG such as kws:u0.8w4, got '${f.probe}'\n${USAGE}`);
    const set = f['probe-set'] ?? 'variants';
    if (set !== 'variants' && set !== 'head') throw new UsageError(`--probe-set: expected variants or head, got '${set}'\n${USAGE}`);
    probe = { task, cfg, set };
  }
  return { preset, tasks, seeds, configs, train: t, out, work, records, probe };
}

function sameAs(a: TrainSettings, b: TrainSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// '' for the committed phase-2 settings, else a suffix naming them (keeps a probe with other epochs apart).
export function phase2Tag(t: TrainSettings): string {
  const f = FULL_TRAIN;
  const same = t.warmupEpochs === f.warmupEpochs && t.mutualEpochs === f.mutualEpochs && t.tau === f.tau && t.lambda === f.lambda;
  return same ? '' : `-w${t.warmupEpochs}m${t.mutualEpochs}t${t.tau}l${t.lambda}`;
}

export function settingsHash(t: TrainSettings): string {
  return createHash('sha256').update(JSON.stringify(t)).digest('hex').slice(0, 10);
}
