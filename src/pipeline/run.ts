// `pqk run`: data -> float -> phase 1 -> phase 2 -> export -> verification in every runtime of the target -> report
// -> budgets. Every stage is resumable and a finished one is never repeated (training stages by their checkpoints,
// verification by a result file keyed by the model's hash).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateQuantized } from '../compress/pqk/evaluate.js';
import { modelSparsity } from '../compress/pqk/masks.js';
import type { Dataset } from '../data/types.js';
import { datasetInfo, finalizeReport, modelFigures, writeReport, type RunReport, type StageReport } from '../report/index.js';
import type { RuntimeVerification } from '../report/types.js';
import type { TargetProfile } from '../targets/types.js';
import { floatLogits } from '../train/float.js';
import type { StageState } from '../train/stage.js';
import { evaluate } from '../train/stage.js';
import { ConfigError, RunStateError } from '../errors.js';
import { atomicWrite, atomicWriteJson, readJson } from '../util/fs.js';
import { checkSchema } from '../util/schema.js';
import { CONFIG_SCHEMA } from './config-schema.js';
import { PQK_VERSION } from '../version.js';
import { checkpointsDir, guardRunSettings, schemeOf, writeRunConfig, type RunConfig } from './config.js';
import { exportModel, prepareData, stageFloat, stagePhase1, stagePhase2, type RunContext } from './stages.js';
import { verifyModel, type VerifyResult } from './verify.js';

export interface RunArgs {
  ctx: RunContext;
  target: TargetProfile;
  backend: string;
  from?: string; // a run folder whose float checkpoint (trained or imported) is the starting point
  verifyLimit?: number;
  strict?: boolean; // a budget that cannot be measured fails
}

function seedFrom(from: string | undefined, runDir: string): void {
  if (!from) return;
  const dst = checkpointsDir(runDir);
  if (existsSync(join(dst, 'float.json'))) return;
  const src = checkpointsDir(from);
  if (!existsSync(join(src, 'float.json'))) throw new RunStateError(`--from ${from}: no float checkpoint (checkpoints/float.json); train one with 'pqk train' or bring one with 'pqk import'`);
  mkdirSync(dst, { recursive: true });
  copyFileSync(join(src, 'float.bin'), join(dst, 'float.bin'));
  copyFileSync(join(src, 'float.json'), join(dst, 'float.json'));
}

function stageReport(name: StageReport['name'], accuracy: number, state: StageState, sparsity: number | null, extraSeconds = 0): StageReport {
  const seconds = state.history.reduce((s, h) => s + h.seconds, 0) + extraSeconds;
  const last = state.history[state.history.length - 1];
  return { name, accuracy, seconds, epochs: state.epoch, sparsity, loss: last ? last.loss : null };
}

async function verifyCached(runDir: string, bytes: Uint8Array, data: Dataset, runtime: string, limit: number | undefined, target: TargetProfile, log: (l: string) => void): Promise<VerifyResult> {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const file = join(runDir, 'verify', `${runtime.replace(':', '-')}.json`);
  if (existsSync(file)) {
    const { modelHash, limit: oldLimit, ...old } = readJson<VerifyResult & { modelHash: string; limit: number | null }>(file);
    if (modelHash === hash && oldLimit === (limit ?? null)) {
      log(`verify ${runtime}: done earlier for this model, reused`);
      return old;
    }
  }
  log(`verify ${runtime}: running ${limit ?? data.test.n} test samples`);
  // Microcontrollers run the optimized (DSP / Helium) kernels, as deployed; they are bit-identical to the plain ones.
  const r = await verifyModel(bytes, data, runtime, { limit, memory: target.memory, optimized: runtime.startsWith('qemu:') });
  atomicWriteJson(file, { ...r, modelHash: hash, limit: limit ?? null });
  return r;
}

function versions(backend: string, v: Record<string, RuntimeVerification & { version?: string | null }>): RunReport['versions'] {
  const qemu = Object.entries(v).find(([k]) => k.startsWith('qemu:') || k === 'arm64')?.[1]?.version ?? null;
  return { pqk: PQK_VERSION, tfjsBackend: backend, tflite: v.tflite?.version ?? v.arm64?.version ?? null, qemu };
}

export async function runPipeline(a: RunArgs): Promise<RunReport> {
  const { ctx, target } = a;
  const runDir = ctx.runDir;
  mkdirSync(runDir, { recursive: true });
  const { model, data: dataSpec, seed, float, phase1, phase2 } = ctx.cfg;
  guardRunSettings(runDir, { model, data: dataSpec, seed, float, phase1, phase2, quantization: target.quantization, scheme: schemeOf(target) });
  writeRunConfig(runDir, ctx.cfg);
  seedFrom(a.from, runDir);
  const t0 = Date.now();
  const data = await prepareData(ctx.cfg.data, ctx.log);
  const dataSeconds = (Date.now() - t0) / 1000;
  const f = await stageFloat(ctx, data);
  const floatAcc = await evaluate(data, floatLogits(f.model), 'test');
  ctx.log(`float: test accuracy ${(floatAcc * 100).toFixed(2)}%`);
  const p1 = await stagePhase1(ctx, data, target);
  const ev1 = await evaluateQuantized(p1.model, p1.qat, data, 'test');
  ctx.log(`phase1: fake-quant ${(ev1.fakeQuantAccuracy * 100).toFixed(2)}%, integer ${(ev1.integerAccuracy * 100).toFixed(2)}%, agreement ${(ev1.argmaxAgreement * 100).toFixed(2)}%`);
  const p2 = await stagePhase2(ctx, data, target);
  const ev2 = await evaluateQuantized(p2.model, p2.qat, data, 'test');
  ctx.log(`phase2: fake-quant ${(ev2.fakeQuantAccuracy * 100).toFixed(2)}%, integer ${(ev2.integerAccuracy * 100).toFixed(2)}%, agreement ${(ev2.argmaxAgreement * 100).toFixed(2)}%`);
  const { bytes, qmodel } = await exportModel(ctx, data, target, p2.model);
  const modelFile = join(runDir, 'model.tflite');
  atomicWrite(modelFile, bytes);
  ctx.log(`export: ${modelFile} (${bytes.length} bytes)`);
  const verification: Record<string, VerifyResult> = {};
  for (const rt of target.runtimes) verification[rt] = await verifyCached(runDir, bytes, data, rt, a.verifyLimit, target, ctx.log);
  const sp = await modelSparsity(p2.model);
  const base = {
    reportVersion: 1,
    pqkVersion: PQK_VERSION,
    createdAt: new Date().toISOString(),
    target: target.name,
    seed: ctx.cfg.seed,
    dataset: datasetInfo(data),
    versions: versions(a.backend, verification),
    stages: [
      stageReport('float', floatAcc, f.state, null, dataSeconds),
      stageReport('phase1', ev1.fakeQuantAccuracy, p1.state, ev1.sparsity),
      stageReport('phase2', ev2.fakeQuantAccuracy, p2.state, sp.overall),
    ],
    verification: Object.fromEntries(Object.entries(verification).map(([k, v]) => [k, strip(v)])),
    model: modelFigures(qmodel, { name: ctx.cfg.model, file: 'model.tflite', fileBytes: bytes.length }),
  } as Omit<RunReport, 'budgets' | 'ok'>;
  const report = finalizeReport(base, target, { strict: a.strict === true });
  await writeReport(runDir, report, target);
  return report;
}

function strip(v: VerifyResult): RuntimeVerification {
  const { runtime: _r, seconds: _s, ...rest } = v;
  return rest;
}

export function loadConfigFile(path: string | undefined): Partial<RunConfig> {
  if (!path) return {};
  if (!existsSync(path)) throw new ConfigError(`--config ${path}: no such file`);
  const { $schema: _s, ...cfg } = checkSchema<Partial<RunConfig> & { $schema?: string }>(CONFIG_SCHEMA, readJson(path, '--config file'), path);
  return cfg;
}
