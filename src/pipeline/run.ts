// `pqk run`: data -> float -> phase 1 -> phase 2 -> export -> verification in every runtime of the target -> report
// -> budgets. Every stage is resumable and a finished one is never repeated (training stages by their checkpoints,
// verification by a result file keyed by the model's hash).
import { isMicrocontroller } from '../runtimes/names.js';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { bundleForTarget, type BundleResult } from '../deploy/bundle.js';
import { deviceBytes } from '../deploy/device-form.js';
import { evaluateQuantized } from '../compress/pqk/evaluate.js';
import { modelSparsity } from '../compress/pqk/masks.js';
import type { Dataset } from '../data/types.js';
import type { Model } from '../models/params.js';
import {
  correctness,
  datasetInfo,
  disagreements,
  finalizeReport,
  modelFigures,
  pairedDrop,
  reportVersions,
  writeReport,
  type RunReport,
  type StageReport,
} from '../report/index.js';
import type { BaselineOption } from '../report/budgets.js';
import type { TargetProfile } from '../targets/types.js';
import { floatLogits } from '../train/float.js';
import { formatAccuracy, validationAccuracy, type StageState } from '../train/stage.js';
import { qatLogits, type QatState } from '../compress/quant/qat.js';
import { accuracy, predict } from '../train/loop.js';
import { ConfigError, RunStateError } from '../errors.js';
import { atomicWrite, atomicWriteJson, readJson } from '../util/fs.js';
import { checkSchema } from '../util/schema.js';
import { CONFIG_SCHEMA } from './config-schema.js';
import { PQK_VERSION } from '../version.js';
import { checkpointsDir, guardTrainingSettings, schemeOf, writeRunConfig, type RunConfig } from './config.js';
import { channelsPerWeights, checkDataFitsModel, checkModelFits, storedModelSpec } from './size-check.js';
import { exportModel, firstTestClip, prepareData, stageFloat, stagePhase1, stagePhase2, type RunContext } from './stages.js';
import { flavorOf, reportedVerification, verifyFromAudio, verifyModel, type VerifyResult } from './verify.js';

export interface RunArgs {
  ctx: RunContext;
  target: TargetProfile;
  backend: string;
  from?: string; // a run folder whose float checkpoint (trained or imported) is the starting point
  verifyLimit?: number;
  strict?: boolean; // a budget that cannot be measured fails
  baseline?: BaselineOption; // an earlier report this run may not regress from
}

function seedFrom(from: string | undefined, runDir: string): void {
  if (!from) return;
  const dst = checkpointsDir(runDir);
  if (existsSync(join(dst, 'float.json'))) return;
  const src = checkpointsDir(from);
  if (!existsSync(join(src, 'float.json')))
    throw new RunStateError(
      `--from ${from}: no float checkpoint (checkpoints/float.json); train one with 'pqk train' or bring one with 'pqk import'`,
    );
  mkdirSync(dst, { recursive: true });
  copyFileSync(join(src, 'float.bin'), join(dst, 'float.bin'));
  copyFileSync(join(src, 'float.json'), join(dst, 'float.json'));
}

function stageReport(
  name: StageReport['name'],
  accuracy: number,
  state: StageState,
  sparsity: number | null,
  extraSeconds = 0,
): StageReport {
  const seconds = state.history.reduce((s, h) => s + h.seconds, 0) + extraSeconds;
  const last = state.history[state.history.length - 1];
  return { name, accuracy, seconds, epochs: state.epoch, sparsity, loss: last ? last.loss : null, valAccuracy: validationAccuracy(state) };
}

interface Student {
  name: 'phase1' | 'phase2' | 'phase2-ce';
  model: Model;
  state: StageState;
  accuracy: number; // test, fake-quant (= integer)
  valCorrect?: Uint8Array; // per validation sample: 1 where the student's prediction is right
  testCorrect: Uint8Array; // per test sample: 1 where the integer reference's prediction is right
}

// One-sided 5% of a standard normal: a phase-2 student must beat phase 1 on validation by at least this paired z.
export const SHIP_Z = 1.645;

// McNemar's paired statistic of `a` against `base` on the same samples: (b - c) / sqrt(b + c), b = samples only `a`
// gets right, c = samples only `base` gets right (0 when they never disagree).
export function pairedZ(a: Uint8Array, base: Uint8Array): { z: number; b: number; c: number } {
  const { onlyA: b, onlyB: c } = disagreements(a, base);
  return { z: b + c === 0 ? 0 : (b - c) / Math.sqrt(b + c), b, c };
}

// The student to export. 'last': phase 2's. 'best': phase 1 (the last student given), unless a phase-2 student
// (phase 2, the CE control) beats it on the validation split by a paired margin that chance explains less than 5% of
// the time (McNemar, z >= SHIP_Z); among those, the highest validation accuracy, ties to the earlier. Without
// per-sample validation results, the highest validation accuracy. The test split never takes part in the choice.
export function chooseStudent(
  students: Pick<Student, 'name' | 'state' | 'valCorrect'>[],
  ship: 'best' | 'last',
): NonNullable<RunReport['shipped']> {
  const vals = students.map((s) => `${s.name} ${formatAccuracy(s.state.valAccuracy)}`).join(', ');
  if (ship === 'last') return { stage: 'phase2', reason: `phase2.ship 'last' (validation: ${vals})` };
  const val = (s: Pick<Student, 'state'>) => validationAccuracy(s.state) ?? -1;
  const base = students[students.length - 1]!;
  if (!base.valCorrect || students.some((s) => !s.valCorrect)) {
    const best = students.reduce((a, b) => (val(b) > val(a) ? b : a));
    return { stage: best.name, reason: `highest validation accuracy (${vals})` };
  }
  const tests = students.slice(0, -1).map((s) => ({ s, ...pairedZ(s.valCorrect!, base.valCorrect!) }));
  const paired = tests.map((t) => `${t.s.name} +${t.b} / -${t.c}, z ${t.z.toFixed(2)}`).join('; ');
  const better = tests.filter((t) => t.z >= SHIP_Z).map((t) => t.s);
  const n = base.valCorrect.length;
  if (better.length === 0)
    return {
      stage: base.name,
      reason: `no student beats ${base.name} on ${n} validation samples by a paired z >= ${SHIP_Z} (validation: ${vals}; against ${base.name}: ${paired})`,
    };
  const best = better.reduce((a, b) => (val(b) > val(a) ? b : a));
  return {
    stage: best.name,
    reason: `beats ${base.name} on ${n} validation samples by a paired z >= ${SHIP_Z}, highest validation accuracy of those (validation: ${vals}; against ${base.name}: ${paired})`,
  };
}

// The test samples a verification runs on (the first `limit` of the split, inputs and labels): a dataset whose order
// or contents changed is verified again.
export function samplesHash(data: Dataset, limit: number | undefined): string {
  const n = Math.min(limit ?? data.test.n, data.test.n);
  const per = data.test.x.length / Math.max(data.test.n, 1);
  const x = data.test.x.subarray(0, n * per);
  const y = data.test.y.subarray(0, n);
  const h = createHash('sha256');
  h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  h.update(new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
  return h.digest('hex').slice(0, 16);
}

// bundle: the run's C bundle; the target's own board builds its firmware from it, so the report names what was verified.
async function verifyCached(
  runDir: string,
  dataDir: string,
  bytes: Uint8Array,
  data: Dataset,
  runtime: string,
  limit: number | undefined,
  target: TargetProfile,
  log: (l: string) => void,
  bundle?: BundleResult,
): Promise<VerifyResult> {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const samples = samplesHash(data, limit);
  const file = join(runDir, 'verify', `${runtime.replace(':', '-')}.json`);
  // A keyword-spotting model on an emulated board is also run from raw audio, through the C frontend.
  const fromAudio = isMicrocontroller(runtime) && data.task === 'kws' && data.frontend !== undefined;
  const fromBundle = bundle && runtime === `qemu:${target.cpu}` ? bundle : undefined;
  if (existsSync(file)) {
    const {
      modelHash,
      samplesHash: oldSamples,
      limit: oldLimit,
      ...old
    } = readJson<VerifyResult & { modelHash: string; samplesHash?: string; limit: number | null }>(file);
    // A result checked against another flavour of the reference (an older pqk), or on other samples, is not this check.
    if (
      modelHash === hash &&
      oldSamples === samples &&
      oldLimit === (limit ?? null) &&
      old.reference === flavorOf(runtime) &&
      (!fromAudio || old.audio !== undefined) &&
      (!fromBundle || old.bundleSha256 === fromBundle.sha256)
    ) {
      log(`verify ${runtime}: done earlier for this model, reused`);
      return old;
    }
  }
  log(`verify ${runtime}: running ${limit ?? data.test.n} test samples${fromAudio ? ', from features and from audio' : ''}`);
  // Microcontrollers run the optimized (DSP / Helium) kernels, as deployed; they are bit-identical to the plain ones.
  const opts = { limit, memory: target.memory, optimized: isMicrocontroller(runtime), bundle: fromBundle };
  const r = fromAudio ? await verifyFromAudio(bytes, dataDir, data, runtime, opts) : await verifyModel(bytes, data, runtime, opts);
  if (r.audio) {
    const a = r.audio;
    log(
      `verify ${runtime}: from audio ${formatAccuracy(a.accuracyFromAudio)} (from features ${formatAccuracy(a.accuracyFromFeatures)}), ${a.featureValuesDiffering} feature values and ${a.predictionsDiffering} predictions differ; frontend ${Math.round(a.frontendInstructions?.mean ?? 0)} instructions per clip`,
    );
  }
  atomicWriteJson(file, { ...r, modelHash: hash, samplesHash: samples, limit: limit ?? null });
  return r;
}

export async function runPipeline(a: RunArgs): Promise<RunReport> {
  const { ctx, target } = a;
  const runDir = ctx.runDir;
  mkdirSync(runDir, { recursive: true });
  guardTrainingSettings(runDir, ctx.cfg, target, false); // refused before any work; recorded once the data loads
  writeRunConfig(runDir, ctx.cfg);
  seedFrom(a.from, runDir);
  // A model that cannot fit the target is refused before anything is trained; a model given with --from (or a
  // finished float stage) before its data is even prepared.
  const { pattern, sparsity } = ctx.cfg.phase1;
  const stored = storedModelSpec(runDir);
  if (stored) checkModelFits(stored, target, pattern, sparsity, ctx.log);
  const t0 = Date.now();
  const data = await prepareData(ctx.cfg.data, ctx.log, stored?.inputShape, ctx.cfg.augment);
  if (stored) checkDataFitsModel(stored, runDir, ctx.cfg.data, data);
  guardTrainingSettings(runDir, ctx.cfg, target);
  const dataSeconds = (Date.now() - t0) / 1000;
  const f = await stageFloat(ctx, data);
  if (!stored) checkModelFits(f.model.spec, target, pattern, sparsity, ctx.log);
  const floatPred = await predict(data.test, data.inputShape, floatLogits(f.model));
  const floatCorrect = correctness(floatPred, data.test.y);
  const floatAcc = data.test.n === 0 ? NaN : accuracy(floatPred, data.test.y);
  ctx.log(`float: test accuracy ${formatAccuracy(floatAcc)}`);
  // The test accuracy of a quantized stage (fake-quant, integer reference and their agreement), logged.
  const scored = async (
    name: Student['name'],
    r: { model: Model; state: StageState; qat: QatState },
  ): Promise<Student & { sparsity: number }> => {
    const ev = await evaluateQuantized(r.model, r.qat, data, 'test');
    ctx.log(
      `${name}: fake-quant ${formatAccuracy(ev.fakeQuantAccuracy)}, integer ${formatAccuracy(ev.integerAccuracy)}, agreement ${formatAccuracy(ev.argmaxAgreement)}`,
    );
    const qat = { ...r.qat, observe: false };
    const valPred = data.val.n > 0 ? await predict(data.val, data.inputShape, (x) => qatLogits(r.model, x, qat)) : undefined;
    const valCorrect = valPred ? correctness(valPred, data.val.y) : undefined;
    return {
      name,
      model: r.model,
      state: r.state,
      accuracy: ev.fakeQuantAccuracy,
      sparsity: ev.sparsity,
      valCorrect,
      testCorrect: ev.integerCorrect,
    };
  };
  const p1 = await scored('phase1', await stagePhase1(ctx, data, target));
  const students = [await scored('phase2', await stagePhase2(ctx, data, target))];
  if (ctx.cfg.phase2.control === 'ce') students.push(await scored('phase2-ce', await stagePhase2(ctx, data, target, 'ce')));
  students.push(p1);
  const shipped = chooseStudent(students, ctx.cfg.phase2.ship);
  ctx.log(`ship: ${shipped.stage} (${shipped.reason})`);
  const chosen = students.find((s) => s.name === shipped.stage)!;
  const { bytes, qmodel } = await exportModel(ctx, data, target, chosen.model);
  const modelFile = join(runDir, 'model.tflite');
  atomicWrite(modelFile, bytes);
  ctx.log(`export: ${modelFile} (${bytes.length} bytes)`);
  // A microcontroller target gets the C bundle of exactly these bytes beside them.
  const deployDir = join(runDir, 'deploy');
  const bundle =
    target.kind === 'mcu'
      ? await bundleForTarget(deployDir, bytes, target, `run ${basename(runDir)}`, data.test, await firstTestClip(ctx.cfg.data, data))
      : undefined;
  if (bundle) ctx.log(`export: ${deployDir}/ (C bundle, ${bundle.files.length} files, sha256 ${bundle.sha256.slice(0, 16)})`);
  const verification: Record<string, VerifyResult> = {};
  for (const rt of target.runtimes)
    verification[rt] = await verifyCached(runDir, ctx.cfg.data, bytes, data, rt, a.verifyLimit, target, ctx.log, bundle);
  const sp = await modelSparsity(chosen.model);
  const base = {
    reportVersion: 1,
    pqkVersion: PQK_VERSION,
    createdAt: new Date().toISOString(),
    target: target.name,
    seed: ctx.cfg.seed,
    dataset: datasetInfo(data),
    versions: reportVersions(a.backend, verification),
    stages: [
      stageReport('float', floatAcc, f.state, null, dataSeconds),
      stageReport('phase1', p1.accuracy, p1.state, p1.sparsity),
      ...students.filter((s) => s.name !== 'phase1').map((s) => stageReport(s.name, s.accuracy, s.state, sp.overall)),
    ],
    shipped,
    verification: Object.fromEntries(Object.entries(verification).map(([k, v]) => [k, reportedVerification(v)])),
    model: modelFigures(qmodel, {
      name: ctx.cfg.model,
      file: 'model.tflite',
      fileBytes: bytes.length,
      ...deviceBytes(bytes, target),
      channelsBefore: channelsPerWeights(f.model.spec),
    }),
    ...(bundle ? { deploy: { dir: 'deploy', files: bundle.files.length, sha256: bundle.sha256 } } : {}),
    ...(data.test.n > 0 ? { accuracyDrop: pairedDrop(floatCorrect, chosen.testCorrect) } : {}),
  } as Omit<RunReport, 'budgets' | 'ok'>;
  const report = finalizeReport(base, target, { strict: a.strict === true, baseline: a.baseline });
  await writeReport(runDir, report, target);
  return report;
}

export function loadConfigFile(path: string | undefined): Partial<RunConfig> {
  if (!path) return {};
  if (!existsSync(path)) throw new ConfigError(`--config ${path}: no such file`);
  const { $schema: _s, ...cfg } = checkSchema<Partial<RunConfig> & { $schema?: string }>(
    CONFIG_SCHEMA,
    readJson(path, '--config file'),
    path,
  );
  return cfg;
}
