// Verification: run a .tflite file in a runtime over the test split and compare every int8 output value with the
// integer reference.
import { isMicrocontroller } from '../runtimes/names.js';
import { createMfcc } from '../data/mfcc.js';
import { loadSplitAudio } from '../data/speech-commands.js';
import type { Dataset, MfccParams } from '../data/types.js';
import { pqkMetadata } from '../deploy/bundle.js';
import { mfccScratchFloats } from '../deploy/frontend.js';
import type { QModel } from '../int/graph.js';
import type { Flavor } from '../int/common.js';
import { runBatch } from '../ops/interpreter.js';
import { quantizeValue } from '../int/quantize.js';
import { elementCount } from '../int/graph.js';
import { verificationFromRun } from '../report/index.js';
import { argmax, stats } from '../report/metrics.js';
import type { AudioVerification, RuntimeVerification } from '../report/types.js';
import { getRuntime } from '../runtimes/index.js';
import type { RunOptions, Runtime } from '../runtimes/types.js';
import { readTflite } from '../tflite/reader.js';
import { DataError, ModelError } from '../errors.js';

// memory: the target part's flash and RAM, which a firmware image must fit (the board's own memory when absent).
export async function runtimeFor(name: string, memory?: { flashBytes: number; ramBytes: number }): Promise<Runtime> {
  if (isMicrocontroller(name)) {
    const { QemuRuntime } = await import('../runtimes/qemu.js');
    return QemuRuntime.fromName(name, { memory });
  }
  return getRuntime(name);
}

// Test features quantized with the model's input parameters, as TFLite's QUANTIZE does it (src/int's quantizeValue).
export function quantizeFeatures(data: Dataset, scale: number, zeroPoint: number, limit?: number): Int8Array[] {
  const per = elementCount(data.inputShape);
  const n = Math.min(data.test.n, limit ?? Infinity);
  return Array.from({ length: n }, (_, i) =>
    Int8Array.from(data.test.x.subarray(i * per, (i + 1) * per), (x) => quantizeValue(x, scale, zeroPoint)),
  );
}

// Each runtime is compared with the integer reference in its own kernels' rounding: TFLite 2.9 on x86-64, TFLite 2.9
// on arm64, LiteRT's, or TFLite Micro's (pqk's firmware on the emulated Cortex-M boards).
export function flavorOf(runtimeName: string): Flavor {
  if (runtimeName.startsWith('arm64')) return 'arm64';
  if (isMicrocontroller(runtimeName)) return 'tflm';
  return runtimeName === 'litert' ? 'litert' : 'x86-64';
}

export interface VerifyOptions {
  limit?: number;
  optimized?: boolean;
  memory?: { flashBytes: number; ramBytes: number };
  file?: string;
  bundle?: RunOptions['bundle']; // qemu:*: build the firmware from this C bundle
}

export interface VerifyResult extends RuntimeVerification {
  runtime: string;
  seconds: number;
}

export async function verifyModel(bytes: Uint8Array, data: Dataset, runtimeName: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  return (await verifyFeatures(bytes, data, runtimeName, opts)).result;
}

// A model file read for verification: one int8 input with one scale, one int8 output. Its reader's and the integer
// reference's model errors are named by the file they come from.
export interface CheckedModel {
  qm: QModel;
  where: string;
  inputShape: number[]; // without the batch axis
  inputScale: number;
  inputZeroPoint: number;
  outputs: number; // output values per sample
}

function named<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ModelError) throw new ModelError(`${where}: ${e.message.replace(/^tflite: /, '')}`);
    throw e;
  }
}

export function readVerifiable(bytes: Uint8Array, file?: string): CheckedModel {
  const where = file ?? 'model';
  const qm = named(where, () => readTflite(bytes));
  if (qm.inputs.length !== 1 || qm.outputs.length !== 1)
    throw new ModelError(
      `${where}: ${qm.inputs.length} inputs and ${qm.outputs.length} outputs; verify runs single-input, single-output classifiers`,
    );
  const inT = qm.tensors[qm.inputs[0]!]!;
  const outT = qm.tensors[qm.outputs[0]!]!;
  if (inT.dtype === 'float32')
    throw new ModelError(
      `${where}: float model (float32 input '${inT.name}'): pqk runs integer models with int8 input and output; quantize it first (the TFLite converter with a representative dataset and int8 I/O, or train it with pqk: pqk import of a tfjs model.json, then pqk run --from)`,
    );
  if (inT.dtype !== 'int8')
    throw new ModelError(`${where}: the model's input is ${inT.dtype}; export it with int8 I/O (the default) to verify`);
  if (outT.dtype !== 'int8') throw new ModelError(`${where}: the model's output is ${outT.dtype}; verify compares int8 outputs`);
  if (inT.scale.length !== 1 || inT.zeroPoint.length !== 1)
    throw new ModelError(
      `${where}: input '${inT.name}' has ${inT.scale.length} scales; verify needs one (per-tensor) to quantize the data`,
    );
  return {
    qm,
    where,
    inputShape: inT.shape.slice(1),
    inputScale: inT.scale[0]!,
    inputZeroPoint: inT.zeroPoint[0]!,
    outputs: elementCount(outT.shape.slice(1)),
  };
}

// Runs int8 inputs in a runtime and compares every output value with the integer reference in that runtime's
// flavour; `labels` (one per input) give the accuracy, null leaves it unmeasured.
export async function verifyInputs(
  m: CheckedModel,
  bytes: Uint8Array,
  inputs: Int8Array[],
  labels: Int32Array | null,
  runtimeName: string,
  opts: VerifyOptions,
): Promise<{ result: VerifyResult; reference: Int8Array[] }> {
  const reference = named(m.where, () => runBatch(m.qm, inputs, flavorOf(runtimeName)));
  const t0 = Date.now();
  const runtime = await runtimeFor(runtimeName, opts.memory);
  const result = await runtime.run(bytes, inputs, { optimized: opts.optimized, bundle: opts.bundle });
  const verified = {
    runtime: runtimeName,
    seconds: (Date.now() - t0) / 1000,
    ...verificationFromRun(result, labels, reference),
    reference: flavorOf(runtimeName),
  };
  return { result: verified, reference };
}

// The dataset's test split can be run through the model: the same input size, one output per label, samples to run.
export function checkDataFits(m: CheckedModel, data: Dataset): void {
  const { where } = m;
  if (elementCount(m.inputShape) !== elementCount(data.inputShape))
    throw new ModelError(`${where}: the model expects ${m.inputShape.join('x')} inputs, the data has ${data.inputShape.join('x')}`);
  if (m.outputs !== data.labels.length)
    throw new ModelError(`${where}: the model has ${m.outputs} outputs, the data has ${data.labels.length} labels`);
  if (data.test.n === 0) throw new DataError(data.name, 'the test split is empty: nothing to verify');
}

// A verification as the report keeps it: without the runtime's name (its key there) and the wall time.
export function reportedVerification({ runtime: _r, seconds: _s, ...v }: VerifyResult): RuntimeVerification {
  return v;
}

// verifyModel, keeping the quantized test inputs and the integer reference's outputs on them.
async function verifyFeatures(
  bytes: Uint8Array,
  data: Dataset,
  runtimeName: string,
  opts: VerifyOptions,
): Promise<{ result: VerifyResult; inputs: Int8Array[]; reference: Int8Array[] }> {
  const m = readVerifiable(bytes, opts.file);
  checkDataFits(m, data);
  const inputs = quantizeFeatures(data, m.inputScale, m.inputZeroPoint, opts.limit);
  const { result, reference } = await verifyInputs(m, bytes, inputs, data.test.y.subarray(0, inputs.length), runtimeName, opts);
  return { result, inputs, reference };
}

// The MFCC parameters a model was trained on: from its pqk metadata, else the dataset's; both present must agree.
function frontendOf(qm: QModel, data: Dataset, where: string): MfccParams {
  const meta = pqkMetadata(qm);
  const p = meta.mfccFrontend ?? data.frontend;
  if (!p)
    throw new ModelError(`${where}: --from-audio needs a keyword-spotting model and dataset with an MFCC frontend; ${data.name} has none`);
  if (meta.mfccFrontend && data.frontend && JSON.stringify(meta.mfccFrontend) !== JSON.stringify(data.frontend))
    throw new ModelError(
      `${where}: the model was trained with MFCC ${JSON.stringify(meta.mfccFrontend)}, the data has ${JSON.stringify(data.frontend)}`,
    );
  return p;
}

// The test clips as raw 16 kHz PCM on an emulated board: the C MFCC frontend computes the input there, the model
// runs on it. Reported beside the verification from host features: the features and predictions that differ, the
// model's outputs against the integer reference on the board's own features, and the frontend's instructions.
export async function verifyFromAudio(
  bytes: Uint8Array,
  dataDir: string,
  data: Dataset,
  runtimeName: string,
  opts: VerifyOptions = {},
): Promise<VerifyResult & { audio: AudioVerification }> {
  const where = opts.file ?? 'model';
  if (!isMicrocontroller(runtimeName))
    throw new ModelError(`${where}: --from-audio runs on an emulated board (qemu:*), not on ${runtimeName}`);
  const qm = readTflite(bytes);
  const params = frontendOf(qm, data, where);
  const { result: base, inputs: hostInputs, reference: fromHost } = await verifyFeatures(bytes, data, runtimeName, opts);
  const inT = qm.tensors[qm.inputs[0]!]!;
  const { audio, labels } = await loadSplitAudio(dataDir, 'test', { limit: base.samples });
  const n = base.samples;
  if (audio.length !== n || !labels.every((y, i) => y === data.test.y[i]))
    throw new DataError(
      dataDir,
      `the test split's audio (${audio.length} clips) does not line up with its cached features (${n} of ${data.test.n}); delete ${dataDir}/.pqk-cache and run again`,
    );
  const clips = audio.map((a) =>
    a.length === params.clipSamples ? a : Int16Array.from({ length: params.clipSamples }, (_, i) => a[i] ?? 0),
  );
  const mfcc = createMfcc(params);
  const hostFeatures = clips.map((c) => Int8Array.from(mfcc.compute(c), (v) => quantizeValue(v, inT.scale[0], inT.zeroPoint[0])));
  hostFeatures.forEach((h, i) => {
    if (!h.every((v, k) => v === hostInputs[i]![k]))
      throw new DataError(
        dataDir,
        `test clip ${i}: the frontend on its audio does not give the cached features; delete ${dataDir}/.pqk-cache and run again`,
      );
  });
  const { QemuRuntime } = await import('../runtimes/qemu.js');
  const runtime = QemuRuntime.fromName(runtimeName, { memory: opts.memory });
  const r = await runtime.runAudio(bytes, clips, params, { optimized: opts.optimized, bundle: opts.bundle });
  const flavor = flavorOf(runtimeName);
  const onBoard = runBatch(qm, r.features, flavor);
  // The reference's outputs on the host features are verifyFeatures' own: those features equal its inputs (checked).
  let featureValuesDiffering = 0;
  let mismatches = 0;
  let predictionsDiffering = 0;
  let correctAudio = 0;
  let correctFeatures = 0;
  for (let i = 0; i < n; i++) {
    const f = r.features[i]!;
    for (let k = 0; k < f.length; k++) if (f[k] !== hostFeatures[i]![k]) featureValuesDiffering++;
    const out = r.outputs[i]!;
    for (let k = 0; k < out.length; k++) if (out[k] !== onBoard[i]![k]) mismatches++;
    const a = argmax(out);
    const b = argmax(fromHost[i]!);
    if (a !== b) predictionsDiffering++;
    if (a === labels[i]) correctAudio++;
    if (b === labels[i]) correctFeatures++;
  }
  const fe = r.frontendInstructions;
  const e2e = fe && r.instructionsPerInference ? fe.map((v, i) => v + r.instructionsPerInference![i]!) : undefined;
  const audioResult: AudioVerification = {
    clips: n,
    accuracyFromAudio: correctAudio / n,
    accuracyFromFeatures: correctFeatures / n,
    predictionsDiffering,
    featureValuesDiffering,
    featureValues: n * elementCount(inT.shape),
    mismatches,
    frontendInstructions: stats(fe),
    endToEndInstructions: stats(e2e),
    frontendScratchBytes: mfccScratchFloats(params) * 4,
    audioBufferBytes: params.clipSamples * 2,
  };
  return { ...base, audio: audioResult };
}
