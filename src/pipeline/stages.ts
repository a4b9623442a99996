// The stages of a run, each resumable from the run folder: data, float training, phase 1, phase 2, export.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { modelSparsity } from '../compress/pqk/masks.js';
import { runPhase1 } from '../compress/pqk/phase1.js';
import { runPhase2 } from '../compress/pqk/phase2.js';
import { toQModel } from '../compress/quant/convert.js';
import type { QatState } from '../compress/quant/qat.js';
import { DEFAULT_AUGMENT, loadDataset, synthKws, type AugmentConfig } from '../data/index.js';
import { loadSplitAudio } from '../data/speech-commands.js';
import type { Dataset } from '../data/types.js';
import type { QModel } from '../int/graph.js';
import type { Model } from '../models/params.js';
import type { TargetProfile } from '../targets/types.js';
import { boardForMachine } from '../runtimes/qemu-boards.js';
import { writeTflite } from '../tflite/writer.js';
import { checkpointExists, loadCheckpoint } from '../train/checkpoint.js';
import { trainFloat } from '../train/float.js';
import type { Progress } from '../train/loop.js';
import type { StageState } from '../train/stage.js';
import { RunStateError } from '../errors.js';
import { PQK_VERSION } from '../version.js';
import { readJson } from '../util/fs.js';
import { checkpointsDir, frozenQat, schemeOf, type RunConfig } from './config.js';

export const DEFAULT_DATA = 'data/synth-kws';

export interface RunContext {
  runDir: string;
  cfg: RunConfig;
  log: (line: string) => void;
  onProgress?: (p: Progress) => void;
}

// The dataset of a run; the default synthetic KWS set is generated on first use.
// imageShape: the stored model's input (height, width, channels), to which a folder of images is resized when the folder
// does not declare a shape of its own (dataset.json).
// augment: the run's changes to the default augmentation of a keyword-spotting set's training split.
export async function prepareData(
  spec: string,
  log: (l: string) => void,
  imageShape?: number[],
  augment?: Partial<AugmentConfig>,
): Promise<Dataset> {
  if (resolve(spec) === resolve(DEFAULT_DATA) || (spec.endsWith('synth-kws') && !existsSync(spec))) {
    log(`data: synthesizing the keyword-spotting set in ${spec} (espeak-ng + sox; reused when present)`);
    let last = 0;
    // The synthetic set is one fixed set (its own seed), whatever the run's seed, so runs share and compare on it.
    const r = await synthKws({
      out: spec,
      onProgress: (done, total) => {
        if (done - last >= total / 10 || done === total) {
          last = done;
          log(`data: ${done}/${total} clips`);
        }
      },
    });
    log(`data: ${r.clips} clips ${r.reused ? '(reused)' : `in ${r.seconds.toFixed(0)} s`}`);
  }
  // The data seed is fixed (0, as `pqk verify --data` loads it), so every run and every check sees the same splits.
  const data = await loadDataset(spec, {
    onWarning: (m: string) => log(`data: warning: ${m}`),
    imageShape,
    ...(augment ? { augment: { ...DEFAULT_AUGMENT, ...augment } } : {}),
  });
  log(
    `data: ${data.name}: ${data.train.n} train / ${data.val.n} val / ${data.test.n} test, ${data.labels.length} classes, input ${data.inputShape.join('x')}`,
  );
  return data;
}

// A keyword-spotting set's first test clip as int16 audio (for the C bundle's example); undefined for other data.
export async function firstTestClip(spec: string, data: Dataset): Promise<Int16Array | undefined> {
  if (data.task !== 'kws' || !data.frontend) return undefined;
  const { audio } = await loadSplitAudio(spec, 'test', { limit: 1 });
  return audio[0];
}

export async function stageFloat(ctx: RunContext, data: Dataset): Promise<{ model: Model; state: StageState }> {
  return trainFloat({ dir: checkpointsDir(ctx.runDir), data, cfg: ctx.cfg.float, onProgress: ctx.onProgress, log: ctx.log });
}

async function loadStage(ctx: RunContext, stage: string): Promise<Model> {
  const dir = checkpointsDir(ctx.runDir);
  if (!checkpointExists(dir, stage))
    throw new RunStateError(`${ctx.runDir}: stage '${stage}' has not finished yet (no checkpoints/${stage}.json)`);
  return (await loadCheckpoint(dir, stage)).model;
}

export async function stagePhase1(
  ctx: RunContext,
  data: Dataset,
  target: TargetProfile,
): Promise<{ model: Model; state: StageState; qat: QatState }> {
  return runPhase1({
    dir: checkpointsDir(ctx.runDir),
    data,
    cfg: ctx.cfg.phase1,
    scheme: schemeOf(target),
    start: () => loadStage(ctx, 'float'),
    log: ctx.log,
    onProgress: ctx.onProgress,
  });
}

// Phase 2 ('pqk'), or the CE control ('ce': the phase-1 student fine-tuned alone with cross-entropy for phase 2's
// epochs, stage 'phase2-ce').
export async function stagePhase2(
  ctx: RunContext,
  data: Dataset,
  target: TargetProfile,
  variant: 'pqk' | 'ce' = 'pqk',
): Promise<{ model: Model; state: StageState; qat: QatState }> {
  const qat = frozenQat(schemeOf(target), ctx.cfg.phase1.emaDecay);
  const cfg = variant === 'ce' ? { ...ctx.cfg.phase2, mode: 'ce' as const } : ctx.cfg.phase2;
  const stage = variant === 'ce' ? 'phase2-ce' : undefined;
  const r = await runPhase2({
    dir: checkpointsDir(ctx.runDir),
    data,
    cfg,
    qat,
    start: () => loadStage(ctx, 'phase1'),
    stage,
    log: ctx.log,
    onProgress: ctx.onProgress,
  });
  return { ...r, qat };
}

// The student a run ships: the one its report names (pqk run chooses by validation accuracy), else the most
// compressed finished stage: phase 2, else phase 1.
export async function latestCompressed(ctx: RunContext): Promise<{ stage: string; model: Model }> {
  const dir = checkpointsDir(ctx.runDir);
  const report = join(ctx.runDir, 'report.json');
  const shipped = existsSync(report) ? (readJson<{ shipped?: { stage?: string } }>(report, 'run report').shipped?.stage ?? null) : null;
  for (const stage of [...(shipped ? [shipped] : []), 'phase2', 'phase1'])
    if (checkpointExists(dir, stage)) return { stage, model: (await loadCheckpoint(dir, stage)).model };
  throw new RunStateError(`${ctx.runDir}: no compressed model yet; run 'pqk compress --run ${ctx.runDir} --target T --phase 1' first`);
}

export function configHash(cfg: RunConfig): string {
  const { model, seed, float, phase1, phase2, target } = cfg;
  return createHash('sha256').update(JSON.stringify({ model, seed, float, phase1, phase2, target })).digest('hex').slice(0, 16);
}

export async function exportModel(
  ctx: RunContext,
  data: Dataset,
  target: TargetProfile,
  model: Model,
  opts: { floatIO?: boolean } = {},
): Promise<{ bytes: Uint8Array; qmodel: QModel }> {
  const sp = await modelSparsity(model);
  // One metadata entry, 'pqk', holding a JSON object: every extra entry costs a table, a name and an aligned buffer.
  const info: Record<string, unknown> = {
    labels: data.labels,
    target: target.name,
    pqkVersion: PQK_VERSION,
    sparsityPattern: ctx.cfg.phase1.pattern,
    sparsityLevel: Number(sp.overall.toFixed(4)),
    weightBits: target.quantization.weightBits,
    configHash: configHash(ctx.cfg),
    inputShape: data.inputShape,
  };
  if (data.frontend) info.mfccFrontend = data.frontend;
  const metadata = { pqk: JSON.stringify(info) };
  const { model: qmodel } = await toQModel(model, { scheme: schemeOf(target), softmax: true, metadata });
  return { bytes: writeTflite(qmodel, { floatIO: opts.floatIO, packTwoOfFour: packsTwoOfFour(ctx.cfg, target) }), qmodel };
}

// 2:4 weights (int8 or int4; 1:4 ones fit the same form) get their packed form (the kernels that skip the zeros read
// it) for a board whose kernels use it: the DSP cores; Helium's dense GEMM is faster than the packed path, so a Helium
// board would only carry more flash.
export function packsTwoOfFour(cfg: Pick<RunConfig, 'phase1'>, target: TargetProfile): boolean {
  if ((cfg.phase1.pattern !== '2:4' && cfg.phase1.pattern !== '1:4') || target.emulator.type !== 'qemu-system') return false;
  const board = boardForMachine(target.emulator.machine);
  return board !== undefined && !board.mve;
}

export function resolveRunDir(p: string): string {
  return resolve(p);
}
