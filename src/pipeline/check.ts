// `pqk check`: judge a .tflite file pqk may not have written against a target. Every runtime the target names runs it
// on the inputs given (a dataset's test split, a .npy array, or seeded random int8 tensors) and is compared value for
// value with the integer reference; the report, its budgets and exit code are `pqk run`'s, without training stages.
import { isMicrocontroller } from '../runtimes/names.js';
import { deviceBytes } from '../deploy/device-form.js';
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadDataset } from '../data/index.js';
import { DataError, UserError } from '../errors.js';
import { elementCount } from '../int/graph.js';
import { quantizeValue } from '../int/quantize.js';
import { datasetInfo, finalizeReport, modelFigures, reportVersions, writeReport, type RunReport } from '../report/index.js';
import type { DatasetInfo } from '../report/types.js';
import type { BaselineOption } from '../report/budgets.js';
import type { TargetProfile } from '../targets/types.js';
import { parseNpy } from '../util/npy.js';
import { mulberry32 } from '../util/rng.js';
import { readUserFile } from '../util/fs.js';
import { PQK_VERSION } from '../version.js';
import {
  checkDataFits,
  readVerifiable,
  reportedVerification,
  verifyFromAudio,
  verifyInputs,
  verifyModel,
  type CheckedModel,
  type VerifyResult,
} from './verify.js';

export type CheckInputs =
  { kind: 'data'; dir: string; limit?: number } | { kind: 'npy'; file: string } | { kind: 'random'; count: number; seed: number };

export interface CheckArgs {
  file: string; // the model, as the user named it
  bytes: Uint8Array;
  target: TargetProfile;
  outDir: string;
  inputs: CheckInputs;
  strict: boolean;
  baseline?: BaselineOption; // an earlier report this check may not regress from
  log: (line: string) => void;
}

// Seeded int8 tensors, uniform over -128..127: enough to run every op and compare every value.
export function randomInputs(m: CheckedModel, count: number, seed: number): Int8Array[] {
  const rng = mulberry32(seed);
  const per = elementCount(m.inputShape);
  return Array.from({ length: count }, () => Int8Array.from({ length: per }, () => Math.floor(rng() * 256) - 128));
}

// A .npy array of the model's input shape (one sample) or with a leading sample axis; int8 as it is, float quantized
// with the model's input scale and zero point, as TFLite's QUANTIZE does.
export function npyInputs(m: CheckedModel, bytes: Uint8Array, file: string): Int8Array[] {
  const a = parseNpy(bytes, file);
  const want = m.inputShape;
  const same = (s: number[]): boolean => s.length === want.length && s.every((d, i) => d === want[i]);
  const shapes = `the model's input is ${want.join('x')} per sample (a .npy of shape (${want.join(', ')}) or (N, ${want.join(', ')})), the file has (${a.shape.join(', ')})`;
  const samples = same(a.shape) ? 1 : a.shape.length === want.length + 1 && same(a.shape.slice(1)) ? a.shape[0]! : -1;
  if (samples < 0) throw new DataError(file, shapes);
  if (samples === 0) throw new DataError(file, 'the array holds 0 samples');
  if (a.dtype === 'uint8')
    throw new DataError(
      file,
      "uint8 values: give int8 (already quantized with the model's input parameters) or float32/float64 (quantized here)",
    );
  const per = elementCount(want);
  return Array.from({ length: samples }, (_, i) => {
    const v = a.data.subarray(i * per, (i + 1) * per);
    return v instanceof Int8Array
      ? Int8Array.from(v)
      : Int8Array.from(v as Float32Array | Float64Array, (x) => quantizeValue(x, m.inputScale, m.inputZeroPoint));
  });
}

export async function runCheck(a: CheckArgs): Promise<RunReport> {
  const { target, log } = a;
  const m = readVerifiable(a.bytes, a.file);
  mkdirSync(a.outDir, { recursive: true });
  // The report judges the bytes in its folder, as `pqk run`'s does.
  copyFileSync(resolve(a.file), join(a.outDir, 'model.tflite'));
  const verification: Record<string, VerifyResult> = {};
  const memory = target.memory;
  let dataset: DatasetInfo;
  let labelled = false;
  if (a.inputs.kind === 'data') {
    const { dir, limit } = a.inputs;
    const data = await loadDataset(dir, { imageShape: m.inputShape }); // a folder of images is resized to the model's input
    checkDataFits(m, data); // once, before the runtimes: a mismatch is the user's, not a runtime's
    dataset = { ...datasetInfo(data), test: Math.min(data.test.n, limit ?? Infinity) };
    labelled = true;
    for (const rt of target.runtimes) {
      const fromAudio = isMicrocontroller(rt) && data.task === 'kws' && data.frontend !== undefined;
      const opts = { limit, memory, optimized: isMicrocontroller(rt), file: a.file };
      log(`check ${rt}: running ${dataset.test} test samples of ${dir}${fromAudio ? ', from features and from audio' : ''}`);
      const r = await tolerate(rt, log, () =>
        fromAudio ? verifyFromAudio(a.bytes, dir, data, rt, opts) : verifyModel(a.bytes, data, rt, opts),
      );
      if (r) verification[rt] = r;
    }
  } else {
    const inputs =
      a.inputs.kind === 'npy'
        ? npyInputs(m, readUserFile(a.inputs.file, UserError), a.inputs.file)
        : randomInputs(m, a.inputs.count, a.inputs.seed);
    const name = a.inputs.kind === 'npy' ? `npy:${a.inputs.file}` : `random (seed ${a.inputs.seed})`;
    dataset = { name, task: 'none', classes: m.outputs, train: 0, val: 0, test: inputs.length };
    for (const rt of target.runtimes) {
      log(`check ${rt}: running ${inputs.length} ${a.inputs.kind === 'npy' ? `inputs from ${a.inputs.file}` : 'random inputs'}`);
      const r = await tolerate(
        rt,
        log,
        async () => (await verifyInputs(m, a.bytes, inputs, null, rt, { memory, optimized: isMicrocontroller(rt), file: a.file })).result,
      );
      if (r) verification[rt] = r;
    }
  }
  const verified = Object.fromEntries(Object.entries(verification).map(([k, v]) => [k, reportedVerification(v)]));
  const base: Omit<RunReport, 'budgets' | 'ok'> = {
    reportVersion: 1,
    pqkVersion: PQK_VERSION,
    createdAt: new Date().toISOString(),
    target: target.name,
    seed: a.inputs.kind === 'random' ? a.inputs.seed : null,
    dataset,
    versions: reportVersions(null, verified),
    stages: [],
    verification: verified,
    model: modelFigures(m.qm, {
      name: basename(a.file).replace(/\.tflite$/, ''),
      file: 'model.tflite',
      fileBytes: a.bytes.length,
      ...deviceBytes(a.bytes, target),
    }),
    check: { inputs: a.inputs.kind, labelled, file: a.file },
  };
  const report = finalizeReport(base, target, { strict: a.strict, baseline: a.baseline });
  await writeReport(a.outDir, report, target);
  return report;
}

// A runtime that cannot run the model (an op it lacks, int4 in TFLite 2.9) is reported, and the others still run;
// the report's exactness check for it then fails as not run.
async function tolerate<T>(rt: string, log: (line: string) => void, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    log(`check ${rt}: did not run: ${e.message}`);
    return undefined;
  }
}
