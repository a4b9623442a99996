// One seed of one task: the float model (shared by every configuration), then per configuration one phase-1
// checkpoint shared by rows 2-5, forked three ways (CE control, warm-up only, full PQK) into copies of its folder.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateQuantized } from '../../src/compress/pqk/evaluate.js';
import { PHASE1_DEFAULTS, runPhase1 } from '../../src/compress/pqk/phase1.js';
import { PHASE2_DEFAULTS, runPhase2, type Phase2Config } from '../../src/compress/pqk/phase2.js';
import { teacherLogits } from '../../src/compress/pqk/teacher.js';
import type { Dataset } from '../../src/data/types.js';
import { createModel, disposeModel, paramCount, type Model } from '../../src/models/params.js';
import { dsCnn } from '../../src/models/zoo.js';
import { RunStateError } from '../../src/errors.js';
import { frozenQat } from '../../src/pipeline/config.js';
import { checkpointExists, loadCheckpoint, readCheckpointHeader } from '../../src/train/checkpoint.js';
import { floatLogits, trainFloat } from '../../src/train/float.js';
import { evaluate, type StageState } from '../../src/train/stage.js';
import { TASK_MODEL } from './data.js';
import { recordKey, type RecordStore, type SeedRecord } from './records.js';
import { configId, type BenchMethod, type BenchTask, type CompressConfig, type TrainSettings } from './settings.js';

export interface SeedContext {
  task: BenchTask;
  seed: number;
  data: Dataset;
  t: TrainSettings;
  work: string;
  store: RecordStore;
  log: (line: string) => void;
}

const PHASE2_MODES: [BenchMethod, Phase2Config['mode']][] = [
  ['phase1+ce', 'ce'],
  ['phase1+warmup', 'warmup-only'],
  ['pqk', 'pqk'],
];

// Seconds spent in the epoch loops of the given finished stages (robust to a resumed stage; excludes validation).
function trainSeconds(dir: string, stages: string[]): number {
  let s = 0;
  for (const stage of stages)
    if (checkpointExists(dir, stage)) for (const h of readCheckpointHeader<StageState>(dir, stage).state.history) s += h.seconds;
  return s;
}

function lastValHistory(dir: string, stage: string): number[] {
  return readCheckpointHeader<StageState>(dir, stage).state.history.map((h) => h.valAccuracy);
}

// The records of a seed pair results made in several invocations, on machines that may lack the checkpoints: a stage
// rebuilt where its checkpoint is missing must be the model its record was made from, epoch for epoch the same
// validation accuracy; otherwise this machine computes differently and the seed's rows would pair two models.
function checkRebuilt(c: SeedContext, key: string, dir: string, stage: string): void {
  const recorded = c.store.get(key)?.valHistory;
  if (!recorded) return;
  const now = lastValHistory(dir, stage);
  if (now.length === recorded.length && now.every((v, i) => v === recorded[i])) return;
  const first = now.findIndex((v, i) => v !== recorded[i]);
  throw new RunStateError(
    `${key}: the model in ${dir} is not the one recorded (validation accuracy after epoch ${first + 1}: ${now[first]} here, ${recorded[first]} recorded): this machine computes differently from the one that made the records; give --records and --out to start a separate set`,
  );
}

async function floatModel(c: SeedContext): Promise<Model> {
  const dir = join(c.work, c.task, `s${c.seed}`, 'float');
  const cfg = {
    model: TASK_MODEL[c.task],
    epochs: c.t.floatEpochs,
    batchSize: c.t.batchSize,
    lr: c.t.floatLr,
    optimizer: 'adam' as const,
    weightDecay: c.t.floatWeightDecay ?? 0,
    seed: c.seed,
  };
  const { model } = await trainFloat({ dir, data: c.data, cfg, log: c.log });
  checkRebuilt(c, recordKey(c.task, 'float', c.seed), dir, 'float');
  if (!c.store.get(recordKey(c.task, 'float', c.seed))) {
    const accuracy = await evaluate(c.data, floatLogits(model), 'test');
    c.store.put({
      task: c.task,
      method: 'float',
      seed: c.seed,
      accuracy,
      paramBytes: 4 * paramCount(model),
      wallSeconds: trainSeconds(dir, ['float']),
      valHistory: lastValHistory(dir, 'float'),
      testSamples: c.data.test.n,
    });
    c.log(`result: ${c.task} s${c.seed} float: test ${(accuracy * 100).toFixed(2)}%`);
  }
  return model;
}

async function record(
  c: SeedContext,
  method: BenchMethod,
  cfg: CompressConfig,
  model: Model,
  dir: string,
  stages: string[],
): Promise<void> {
  const qat = frozenQat({ weightBits: cfg.weightBits, perChannel: true });
  const ev = await evaluateQuantized(model, qat, c.data, 'test');
  const teacherAccuracy = await evaluate(c.data, (x) => teacherLogits(model, x, qat, { quantizeActivations: false }), 'test');
  const r: SeedRecord = {
    task: c.task,
    method,
    config: cfg,
    seed: c.seed,
    accuracy: ev.integerAccuracy,
    fakeQuantAccuracy: ev.fakeQuantAccuracy,
    argmaxAgreement: ev.argmaxAgreement,
    teacherAccuracy,
    sparsity: ev.sparsity,
    paramBytes: ev.paramBytes,
    wallSeconds: trainSeconds(dir, stages),
    valHistory: lastValHistory(dir, stages[stages.length - 1]),
    testSamples: c.data.test.n,
  };
  c.store.put(r);
  c.log(
    `result: ${c.task} s${c.seed} ${configId(cfg)} ${method}: int ${(r.accuracy * 100).toFixed(2)}% (fake-quant ${((r.fakeQuantAccuracy ?? 0) * 100).toFixed(2)}%, teacher ${(teacherAccuracy * 100).toFixed(2)}%, sparsity ${((r.sparsity ?? 0) * 100).toFixed(1)}%, ${r.paramBytes} B, ${r.wallSeconds.toFixed(0)} s)`,
  );
}

// The rounds of phase 1 under a configuration's pattern: unstructured pruning's own where the settings give one.
export function phase1Schedule(t: TrainSettings, cfg: CompressConfig): { rounds: number; epochsPerRound: number; finalEpochs: number } {
  if (cfg.pattern === 'unstructured' && t.p1Unstructured) return { ...t.p1Unstructured };
  return { rounds: t.p1Rounds, epochsPerRound: t.p1EpochsPerRound, finalEpochs: t.p1FinalEpochs };
}

async function runConfig(c: SeedContext, cfg: CompressConfig): Promise<void> {
  const base = join(c.work, c.task, `s${c.seed}`, configId(cfg));
  const p1Dir = join(base, 'phase1');
  const pending = PHASE2_MODES.filter(([m]) => !c.store.get(recordKey(c.task, m, c.seed, cfg)));
  if (c.store.get(recordKey(c.task, 'phase1', c.seed, cfg)) && pending.length === 0) return;
  const scheme = { weightBits: cfg.weightBits, perChannel: true };
  const schedule = phase1Schedule(c.t, cfg);
  const p1cfg = {
    ...PHASE1_DEFAULTS,
    sparsity: cfg.sparsity,
    pattern: cfg.pattern,
    ...schedule,
    lr: c.t.p1Lr,
    weightDecay: c.t.p1WeightDecay ?? 0,
    scope: c.t.p1Scope,
    importance: c.t.p1Importance,
    batchSize: c.t.batchSize,
    seed: c.seed,
  };
  const p1 = await runPhase1({
    dir: p1Dir,
    data: c.data,
    cfg: p1cfg,
    scheme,
    start: () => floatModel(c), // its checkpoint, rebuilt (and checked against its record) where this machine has none
    log: c.log,
  });
  const p1Stages = Array.from({ length: schedule.rounds - 1 }, (_, k) => `phase1-round${k + 1}`).concat('phase1');
  checkRebuilt(c, recordKey(c.task, 'phase1', c.seed, cfg), p1Dir, 'phase1');
  if (!c.store.get(recordKey(c.task, 'phase1', c.seed, cfg))) await record(c, 'phase1', cfg, p1.model, p1Dir, p1Stages);
  disposeModel(p1.model);
  for (const [method, mode] of pending) {
    const dir = join(base, method.replace('+', '-'));
    if (!existsSync(join(dir, 'phase1.json'))) cpSync(p1Dir, dir, { recursive: true });
    const p2cfg: Phase2Config = {
      ...PHASE2_DEFAULTS,
      warmupEpochs: c.t.warmupEpochs,
      mutualEpochs: c.t.mutualEpochs,
      tau: c.t.tau,
      lambda: c.t.lambda,
      batchSize: c.t.batchSize,
      mode,
      seed: c.seed,
    };
    const qat = frozenQat(scheme, p1cfg.emaDecay);
    const r = await runPhase2({
      dir,
      data: c.data,
      cfg: p2cfg,
      qat,
      start: async () => (await loadCheckpoint(dir, 'phase1')).model,
      log: c.log,
    });
    await record(c, method, cfg, r.model, dir, mode === 'pqk' ? ['phase2-warmup', 'phase2'] : ['phase2']);
    disposeModel(r.model);
  }
}

// The pruned architecture trained from scratch for the same epochs: does pruning a wider model add anything? (DS-CNN's
// channel pruning only: its pruned form is a DS-CNN of fewer channels.)
export function hasScratch(task: BenchTask, cfg: CompressConfig): boolean {
  return task === 'kws' && cfg.pattern === 'channel';
}

// The record keys one invocation makes: per seed and task the float model, per configuration phase 1, the CE
// control, the warm-up, PQK and, where there is one, the scratch model.
export function expectedKeys(seeds: number[], tasks: BenchTask[], configs: CompressConfig[]): string[] {
  const methods: BenchMethod[] = ['phase1', ...PHASE2_MODES.map(([m]) => m)];
  return seeds.flatMap((seed) =>
    tasks.flatMap((task) => [
      recordKey(task, 'float', seed),
      ...configs.flatMap((cfg) => [
        ...methods.map((m) => recordKey(task, m, seed, cfg)),
        ...(hasScratch(task, cfg) ? [recordKey(task, 'scratch', seed, cfg)] : []),
      ]),
    ]),
  );
}

async function runScratch(c: SeedContext, cfg: CompressConfig): Promise<void> {
  if (!hasScratch(c.task, cfg) || c.store.get(recordKey(c.task, 'scratch', c.seed, cfg))) return;
  const width = Math.round(64 * (1 - cfg.sparsity));
  const dir = join(c.work, c.task, `s${c.seed}`, configId(cfg), 'scratch');
  const spec = { ...dsCnn(c.data.inputShape, c.data.labels.length, width), name: `ds-cnn-${width}` };
  const f = await trainFloat({
    dir,
    data: c.data,
    cfg: {
      model: spec.name,
      epochs: c.t.floatEpochs,
      batchSize: c.t.batchSize,
      lr: c.t.floatLr,
      optimizer: 'adam',
      weightDecay: c.t.floatWeightDecay ?? 0,
      seed: c.seed,
    },
    init: async () => createModel(spec, c.seed),
    log: c.log,
  });
  const epochs = (c.t.p1Rounds - 1) * c.t.p1EpochsPerRound + c.t.p1FinalEpochs;
  const p1 = await runPhase1({
    dir,
    data: c.data,
    cfg: {
      ...PHASE1_DEFAULTS,
      sparsity: 0,
      pattern: 'channel',
      rounds: 1,
      finalEpochs: epochs,
      lr: c.t.p1Lr,
      weightDecay: c.t.p1WeightDecay ?? 0,
      batchSize: c.t.batchSize,
      seed: c.seed,
    },
    scheme: { weightBits: cfg.weightBits, perChannel: true },
    start: async () => f.model,
    log: c.log,
  });
  await record(c, 'scratch', cfg, p1.model, dir, ['float', 'phase1']);
  disposeModel(p1.model);
}

// The float model is trained where its record is missing, or where a configuration's phase 1 starts from it: a
// machine resuming committed records trains only the float models of the configurations it still has to run.
export async function runSeed(c: SeedContext, configs: CompressConfig[]): Promise<void> {
  if (!c.store.get(recordKey(c.task, 'float', c.seed))) disposeModel(await floatModel(c));
  for (const cfg of configs) {
    await runConfig(c, cfg);
    await runScratch(c, cfg);
  }
}
