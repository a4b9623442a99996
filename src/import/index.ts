// `importModel`: a tfjs model folder (Layers or Graph format) becomes a pqk float model with the original weights,
// checked against the original on random inputs and saved as the run's finished float stage.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { forwardFloat } from '../models/forward.js';
import { createModel, disposeModel, paramCount, type Model } from '../models/params.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import type { StageState } from '../train/stage.js';
import { mulberry32, normal } from '../util/rng.js';
import { atomicWriteJson, readJson } from '../util/fs.js';
import { dataLocation, loadDataset, type Dataset } from '../data/index.js';
import { readModelFiles } from './files.js';
import { fuse, type FusedModel } from './fuse.js';
import { loadGraph } from './graph.js';
import { loadLayers, type LoadedOriginal } from './layers.js';
import { isTflite } from '../tflite/identifier.js';
import { loadTflite } from './tflite.js';
import { isOnnxPath, loadOnnx } from './onnx.js';

export { SUPPORTED_LAYERS } from './layers.js';
export { SUPPORTED_OPS } from './graph.js';
export { SUPPORTED_TFLITE_OPS } from './tflite.js';
export { SUPPORTED_ONNX_OPS } from './onnx.js';

export interface ImportReport {
  format: 'layers' | 'graph' | 'tflite' | 'onnx';
  layers: number; // pqk layer blocks
  params: number; // trainable parameters
  maxAbsDiff: number | null; // largest output difference against the original on random inputs; null when tfjs cannot run it
  maxAbsDiffData: number | null; // the same on the first test samples of --data; null without usable data
  dataSamples: number; // how many
  softmax: boolean; // the original ends in softmax (compared as softmax of the pqk logits, unless `logits`)
  logits: boolean; // compared before the original's softmax (a .tflite: its logits are read)
  out: string; // run folder
}

export interface Imported {
  model: Model;
  fused: FusedModel;
  original: LoadedOriginal;
}

// A float .tflite, an ONNX file, or a tfjs model.json (Layers or Graph format).
async function loadOriginal(path: string): Promise<LoadedOriginal> {
  let head: Uint8Array | undefined;
  try {
    head = new Uint8Array(readFileSync(path));
  } catch {
    head = undefined; // readModelFiles reads it again and says what is wrong with the path
  }
  if (head !== undefined && isTflite(head)) return loadTflite(path, head);
  if (head !== undefined && isOnnxPath(path)) return loadOnnx(path, head);
  const files = readModelFiles(path, head);
  return files.format === 'layers' ? loadLayers(files) : loadGraph(files);
}

// Loads and converts without writing anything; the caller disposes `original` (and the model).
export async function convertModel(path: string): Promise<Imported> {
  const original = await loadOriginal(path);
  const fused = fuse(original.graph);
  const model = createModel(fused.spec, 0);
  for (const [name, w] of fused.weights) {
    const p = model.layers.get(name)!;
    p.w.assign(tf.tensor(w.w.data, p.w.shape));
    if (w.b) p.b!.assign(tf.tensor(w.b, p.b!.shape));
    if (w.bn) for (const k of ['gamma', 'beta', 'mean', 'variance'] as const) p.bn![k].assign(tf.tensor(w.bn[k], p.bn![k].shape));
  }
  return { model, fused, original };
}

// The imported model's output as the original gives it: logits, or their softmax when the original ended in one.
export function importedOutput(im: Imported, x: tf.Tensor): tf.Tensor {
  const logits = forwardFloat(im.model, x, { training: false });
  return im.fused.softmax ? tf.softmax(logits) : logits;
}

// Largest |original - imported| over `n` standard-normal inputs.
export async function maxAbsDiff(im: Imported, n = 8, seed = 1): Promise<number> {
  const shape = [n, ...im.model.spec.inputShape];
  const rng = mulberry32(seed);
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => normal(rng));
  return maxAbsDiffOn(im, data);
}

// Largest |original - imported| over the rows of `data` (n x the model's input shape).
export async function maxAbsDiffOn(im: Imported, data: Float32Array): Promise<number> {
  const per = im.model.spec.inputShape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(data, [data.length / per, ...im.model.spec.inputShape]);
  const a = await im.original.predict(x);
  // Logits where the original's can be had (no saturated softmax hiding a difference), else its own output.
  const b = im.original.logits ? forwardFloat(im.model, x, { training: false }) : importedOutput(im, x);
  const d = tf.max(tf.abs(tf.sub(a, b)));
  const v = (await d.data())[0];
  tf.dispose([x, a, b, d]);
  return v;
}

async function tryMaxAbsDiff(im: Imported, log: (line: string) => void): Promise<number | null> {
  try {
    return await maxAbsDiff(im);
  } catch (e) {
    log(`tfjs cannot run the original model, so it is not compared: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

export const DATA_SAMPLES = 32;

// The comparison on real inputs: the first test samples of the dataset later stages train on. The dataset is only
// recorded when it cannot be loaded or does not fit (compress checks it again, and says so, before training).
async function dataMaxAbsDiff(im: Imported, data: string, log: (line: string) => void): Promise<{ diff: number | null; n: number }> {
  const none = (why: string) => {
    log(`--data ${data}: ${why}; compared on random inputs only`);
    return { diff: null, n: 0 };
  };
  let ds: Dataset;
  try {
    ds = await loadDataset(data, { imageShape: im.model.spec.inputShape });
  } catch (e) {
    return none(`not loaded (${(e as Error).message.split('\n')[0]})`);
  }
  if (ds.inputShape.join() !== im.model.spec.inputShape.join())
    return none(`its inputs are ${ds.inputShape.join('x')}, the model takes ${im.model.spec.inputShape.join('x')}`);
  const n = Math.min(DATA_SAMPLES, ds.test.n);
  const per = ds.inputShape.reduce((a, b) => a * b, 1);
  try {
    return { diff: await maxAbsDiffOn(im, ds.test.x.slice(0, n * per)), n };
  } catch {
    return { diff: null, n: 0 }; // the original cannot run (said above, for the random inputs)
  }
}

// Writes RUN_DIR/checkpoints/float.{json,bin} and RUN_DIR/run.json (merged into one already there); `data` is the
// dataset later stages train on, recorded when given.
export async function importModel(
  path: string,
  outDir: string,
  log: (line: string) => void = () => {},
  data?: string,
): Promise<ImportReport> {
  const im = await convertModel(path);
  try {
    const { spec } = im.model;
    const diff = await tryMaxAbsDiff(im, log);
    const onData = data !== undefined ? await dataMaxAbsDiff(im, data, log) : { diff: null, n: 0 };
    const report: ImportReport = {
      format: im.original.graph.format,
      layers: spec.nodes.length,
      params: paramCount(im.model),
      maxAbsDiff: diff,
      maxAbsDiffData: onData.diff,
      dataSamples: onData.n,
      softmax: im.fused.softmax,
      logits: im.original.logits === true,
      out: outDir,
    };
    const imported = {
      source: resolve(path),
      format: report.format,
      softmax: report.softmax,
      maxAbsDiff: diff,
      ...(onData.n > 0 ? { maxAbsDiffData: onData.diff, dataSamples: onData.n } : {}),
    };
    const state: StageState = { epoch: 0, done: true, history: [], extra: { imported } };
    await saveCheckpoint(join(outDir, 'checkpoints'), 'float', im.model, state);
    const runJson = join(outDir, 'run.json');
    const prev = existsSync(runJson) ? readJson<Record<string, unknown>>(runJson, 'run.json') : {};
    if (data !== undefined) prev.data = dataLocation(data);
    // `imported` keeps the details when a later config write replaces the top-level `format`.
    atomicWriteJson(runJson, {
      ...prev,
      model: 'imported',
      source: imported.source,
      format: imported.format,
      softmax: imported.softmax,
      maxAbsDiff: diff,
      imported,
      inputShape: spec.inputShape,
      numClasses: spec.numClasses,
    });
    return report;
  } finally {
    im.original.dispose();
    disposeModel(im.model);
  }
}
