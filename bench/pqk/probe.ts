// A small targeted experiment next to the ablation: phase-2 variants (temperature, distillation weight, warm-up
// length, teacher activation quantization) forked from the ablation's own phase-1 checkpoints of one configuration,
// to see why PQK does or does not beat CE fine-tuning.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { evaluateQuantized } from '../../src/compress/pqk/evaluate.js';
import { RunStateError } from '../../src/errors.js';
import { PHASE1_DEFAULTS, recalibrateBatchNorm } from '../../src/compress/pqk/phase1.js';
import { PHASE2_DEFAULTS, runPhase2, type Phase2Config } from '../../src/compress/pqk/phase2.js';
import { teacherLogits } from '../../src/compress/pqk/teacher.js';
import type { Dataset } from '../../src/data/types.js';
import { disposeModel } from '../../src/models/params.js';
import { frozenQat } from '../../src/pipeline/config.js';
import { checkpointExists, loadCheckpoint } from '../../src/train/checkpoint.js';
import { floatLogits } from '../../src/train/float.js';
import { evaluate } from '../../src/train/stage.js';
import { atomicWriteJson, readJson } from '../../src/util/fs.js';
import { codeVersion, type RecordStore } from './records.js';
import { mean, std } from './rows.js';
import { configId, phase2Tag, type BenchTask, type CompressConfig, type TrainSettings } from './settings.js';

export interface ProbeVariant {
  name: string;
  why: string;
  p2: Partial<Phase2Config>; // on top of the ablation's phase-2 settings
}

// The ablation's own CE and PQK rows of the same seeds are the reference (read from its records, not rerun).
export const REFERENCE_VARIANTS: ProbeVariant[] = [
  { name: 'ce', why: "the ablation's CE control (phase1+ce)", p2: { mode: 'ce' } },
  { name: 'pqk', why: "the ablation's PQK row (tau 4, lambda 1)", p2: { mode: 'pqk' } },
];

// 'variants': knobs of phase 2 against the ablation's own CE row; 'head': CE and PQK rerun on the code as it is now,
// with the teacher's batch norm as the code defaults it and as the ablation ran it ('frozen': the student's statistics).
export type ProbeSet = 'variants' | 'head';

export function probeBaseline(set: ProbeSet): string {
  return set === 'head' ? 'ce-head' : 'ce';
}

export function probeVariants(t: TrainSettings, set: ProbeSet = 'variants'): ProbeVariant[] {
  if (set === 'head')
    return [
      { name: 'ce-head', why: 'CE control rerun on the current code', p2: { mode: 'ce' } },
      { name: 'pqk-head', why: "PQK on the current code (teacher batch norm: the code's default)", p2: { mode: 'pqk' } },
      {
        name: 'pqk-head-frozen-bn',
        why: "PQK on the current code, teacher folds the student's frozen BN statistics (as in the ablation)",
        p2: { mode: 'pqk', teacherBatchNorm: 'frozen' },
      },
    ];
  const w = t.warmupEpochs;
  const m = t.mutualEpochs;
  return [
    { name: 'pqk-tau1', why: 'temperature 1: distillation weight lambda*tau^2 = 1 instead of 16', p2: { mode: 'pqk', tau: 1 } },
    { name: 'pqk-lambda0.25', why: 'tau 4 but a quarter of the distillation weight', p2: { mode: 'pqk', lambda: 0.25 } },
    {
      name: 'pqk-teacher-qact',
      why: "teacher activations fake-quantized with the student's ranges",
      p2: { mode: 'pqk', teacherQuantizeActivations: true },
    },
    {
      name: `pqk-warmup${w + 2}`,
      why: 'longer warm-up so the teacher can adapt to the frozen batch norm',
      p2: { mode: 'pqk', warmupEpochs: w + 2 },
    },
    { name: `ce-${w + 2 + m}ep`, why: 'CE control with the longer warm-up budget', p2: { mode: 'ce', warmupEpochs: w + 2 } },
  ];
}

export interface ProbeResult {
  variant: string;
  seed: number;
  accuracy: number; // integer reference
  teacherAccuracy: number;
}

export interface BnDiagnostic {
  seed: number;
  studentFloat: number; // the phase-1 network, float weights and activations
  teacherStudentBn: number; // all weights (the teacher, in float) with the student's batch-norm statistics, as PQK uses it
  teacherOwnBn: number; // the same with batch norm re-estimated for the full network
}

// How much of the teacher's weakness is batch norm: the teacher shares the student's statistics, which were
// re-estimated for the pruned network in phase 1; give the dense network its own and compare (float forward).
export async function teacherBnDiagnostic(p1Dir: string, data: Dataset, batchSize: number, seed: number): Promise<BnDiagnostic> {
  const { model } = await loadCheckpoint(p1Dir, 'phase1');
  const studentFloat = await evaluate(data, floatLogits(model), 'test');
  for (const l of model.layers.values()) tf.tidy(() => l.mask.assign(tf.onesLike(l.mask)));
  const teacherStudentBn = await evaluate(data, floatLogits(model), 'test');
  recalibrateBatchNorm(model, data, batchSize, seed);
  const teacherOwnBn = await evaluate(data, floatLogits(model), 'test');
  disposeModel(model);
  return { seed, studentFloat, teacherStudentBn, teacherOwnBn };
}

export interface ProbeArgs {
  work: string; // the ablation's work folder (phase-1 checkpoints are read from it)
  task: BenchTask;
  cfg: CompressConfig;
  seeds: number[];
  data: Dataset;
  t: TrainSettings;
  set: ProbeSet;
  store: RecordStore;
  log: (line: string) => void;
  outputs?: string[]; // the ablation's files the run rewrites, which do not make the code "-dirty" (codeVersion)
}

export interface ProbeData {
  results: ProbeResult[];
  bn: BnDiagnostic[];
  code?: string; // the commit the variants ran on ("-dirty": with uncommitted changes to its code; codeVersion)
}

function probeRoot(work: string, task: BenchTask, cfg: CompressConfig, set: ProbeSet, tag: string): string {
  return join(work, `${set === 'head' ? 'probe-head' : 'probe'}${tag}`, task, configId(cfg));
}

export function readProbe(work: string, task: BenchTask, cfg: CompressConfig, set: ProbeSet = 'variants', tag = ''): ProbeData {
  const path = join(probeRoot(work, task, cfg, set, tag), 'results.json');
  return existsSync(path) ? readJson<ProbeData>(path, 'probe results') : { results: [], bn: [] };
}

export async function runProbe(a: ProbeArgs): Promise<{ path: string; probe: ProbeData }> {
  const root = probeRoot(a.work, a.task, a.cfg, a.set, phase2Tag(a.t));
  const path = join(root, 'results.json');
  const probe = readProbe(a.work, a.task, a.cfg, a.set, phase2Tag(a.t));
  probe.code = await codeVersion(a.outputs);
  const { results } = probe;
  for (const r of a.store.all())
    if (
      r.task === a.task &&
      r.config &&
      configId(r.config) === configId(a.cfg) &&
      a.seeds.includes(r.seed) &&
      (r.method === 'phase1+ce' || r.method === 'pqk')
    ) {
      const variant = r.method === 'pqk' ? 'pqk' : 'ce';
      if (!results.some((x) => x.variant === variant && x.seed === r.seed))
        results.push({ variant, seed: r.seed, accuracy: r.accuracy, teacherAccuracy: r.teacherAccuracy ?? NaN });
    }
  const qat = frozenQat({ weightBits: a.cfg.weightBits, perChannel: true }, PHASE1_DEFAULTS.emaDecay);
  for (const seed of a.seeds) {
    const p1Dir = join(a.work, a.task, `s${seed}`, configId(a.cfg), 'phase1');
    if (!checkpointExists(p1Dir, 'phase1'))
      throw new RunStateError(`${p1Dir}: no phase-1 checkpoint; run the ablation for this configuration and seed first`);
    if (!probe.bn.some((b) => b.seed === seed)) {
      const b = await teacherBnDiagnostic(p1Dir, a.data, a.t.batchSize, seed);
      probe.bn.push(b);
      atomicWriteJson(path, probe);
      a.log(
        `probe: s${seed} float accuracy after phase 1: student ${(b.studentFloat * 100).toFixed(2)}%, teacher with student BN ${(b.teacherStudentBn * 100).toFixed(2)}%, teacher with own BN ${(b.teacherOwnBn * 100).toFixed(2)}%`,
      );
    }
    for (const v of probeVariants(a.t, a.set)) {
      if (results.some((r) => r.variant === v.name && r.seed === seed)) continue;
      const dir = join(root, `s${seed}`, v.name);
      if (!existsSync(join(dir, 'phase1.json'))) cpSync(p1Dir, dir, { recursive: true });
      const cfg: Phase2Config = {
        ...PHASE2_DEFAULTS,
        warmupEpochs: a.t.warmupEpochs,
        mutualEpochs: a.t.mutualEpochs,
        tau: a.t.tau,
        lambda: a.t.lambda,
        batchSize: a.t.batchSize,
        seed,
        ...v.p2,
      };
      const r = await runPhase2({
        dir,
        data: a.data,
        cfg,
        qat,
        start: async () => (await loadCheckpoint(dir, 'phase1')).model,
        log: a.log,
      });
      const ev = await evaluateQuantized(r.model, qat, a.data, 'test');
      const teacherAccuracy = await evaluate(a.data, (x) => teacherLogits(r.model, x, qat, { quantizeActivations: false }), 'test');
      disposeModel(r.model);
      results.push({ variant: v.name, seed, accuracy: ev.integerAccuracy, teacherAccuracy });
      atomicWriteJson(path, probe);
      a.log(
        `probe: ${a.task} ${configId(a.cfg)} s${seed} ${v.name}: int ${(ev.integerAccuracy * 100).toFixed(2)}%, teacher ${(teacherAccuracy * 100).toFixed(2)}%`,
      );
    }
  }
  return { path, probe };
}

// Markdown table: per variant, mean ± std over seeds, and the paired difference to the CE control of the same seed.
export function probeTable({ results, bn }: ProbeData, variants: ProbeVariant[], baseline = 'ce'): string[] {
  const lines = [`| variant | student int % | teacher % | − ${baseline} (pp, paired) | why |`, '| --- | ---: | ---: | ---: | --- |'];
  const ce = new Map(results.filter((r) => r.variant === baseline).map((r) => [r.seed, r.accuracy]));
  for (const v of [...REFERENCE_VARIANTS, ...variants]) {
    const rs = results.filter((r) => r.variant === v.name);
    if (!rs.length) continue;
    const f = (xs: number[]): string => `${(mean(xs) * 100).toFixed(2)} ± ${(std(xs) * 100).toFixed(2)}`;
    const d = rs.filter((r) => ce.has(r.seed)).map((r) => r.accuracy - ce.get(r.seed)!);
    lines.push(`| ${v.name} | ${f(rs.map((r) => r.accuracy))} | ${f(rs.map((r) => r.teacherAccuracy))} | ${f(d)} | ${v.why} |`);
  }
  if (!bn.length) return lines;
  const g = (k: 'studentFloat' | 'teacherStudentBn' | 'teacherOwnBn'): string =>
    `${(mean(bn.map((b) => b[k])) * 100).toFixed(2)} ± ${(std(bn.map((b) => b[k])) * 100).toFixed(2)}`;
  lines.push('', 'Batch norm and the teacher, after phase 1 (float forward, test subset, mean ± std over seeds):', '');
  lines.push(
    '| student (pruned) | teacher, student BN statistics (as PQK runs it) | teacher, its own BN statistics |',
    '| ---: | ---: | ---: |',
  );
  lines.push(`| ${g('studentFloat')} | ${g('teacherStudentBn')} | ${g('teacherOwnBn')} |`);
  return lines;
}

// One line per configuration of the 'head' set: CE, PQK with either teacher batch norm, the paired difference.
export function headSummary(work: string, task: BenchTask, configs: CompressConfig[], tag = ''): string[] {
  const lines = [
    '| configuration | CE % | PQK, teacher with student BN % (as ablated) | PQK, teacher with batch BN % (current default) | current PQK − CE (pp, paired) | PQK > CE in seeds | dense teacher after phase 1, float: student BN → own BN % |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const f = (xs: number[]): string => (xs.length ? `${(mean(xs) * 100).toFixed(2)} ± ${(std(xs) * 100).toFixed(2)}` : 'n/a');
  for (const cfg of configs) {
    const { results, bn } = readProbe(work, task, cfg, 'head', tag);
    if (!results.some((r) => r.variant === 'pqk-head')) continue;
    const acc = (v: string): Map<number, number> => new Map(results.filter((r) => r.variant === v).map((r) => [r.seed, r.accuracy]));
    const [ce, pqk, frozen] = [acc('ce-head'), acc('pqk-head'), acc('pqk-head-frozen-bn')];
    const d = [...pqk].filter(([seed]) => ce.has(seed)).map(([seed, a]) => a - ce.get(seed)!);
    const bnCol = bn.length
      ? `${(mean(bn.map((b) => b.teacherStudentBn)) * 100).toFixed(1)} → ${(mean(bn.map((b) => b.teacherOwnBn)) * 100).toFixed(1)}`
      : 'n/a';
    lines.push(
      `| ${cfg.pattern} ${cfg.sparsity}, int${cfg.weightBits} | ${f([...ce.values()])} | ${f([...frozen.values()])} | ${f([...pqk.values()])} | ${f(d)} | ${d.filter((x) => x > 0).length}/${d.length} | ${bnCol} |`,
    );
  }
  return lines;
}
