// Checkpoints: every variable of a model (weights, masks, batch norm, activation ranges), optionally an optimizer's
// state, and a JSON header. Written atomically (data first, then the header that names it), so a kill at any moment
// leaves either the previous checkpoint or the new one, never half of one.
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RunStateError } from '../errors.js';
import { createModel, namedVariables, type Model } from '../models/params.js';
import type { ModelSpec } from '../models/spec.js';
import { atomicWrite, atomicWriteJson, readJson } from '../util/fs.js';

interface Entry {
  name: string;
  shape: number[];
  offset: number; // in float32 elements
}

export interface CheckpointHeader<S = unknown> {
  format: 'pqk-checkpoint-1';
  stage: string;
  spec: ModelSpec;
  tensors: Entry[];
  optimizer: Entry[];
  data: string; // file name of the float32 data
  sha256: string;
  state: S; // stage-specific state: epoch, config, quantizer counters, ...
}

async function pack(named: [string, tf.Tensor][]): Promise<{ entries: Entry[]; chunks: Float32Array[]; size: number }> {
  const entries: Entry[] = [];
  const chunks: Float32Array[] = [];
  let size = 0;
  for (const [name, t] of named) {
    const data = (await t.data()) as Float32Array;
    entries.push({ name, shape: t.shape, offset: size });
    chunks.push(Float32Array.from(data));
    size += data.length;
  }
  return { entries, chunks, size };
}

// Optimizer state under names that keep several optimizers apart (the first unprefixed, as older checkpoints have it,
// the others 'opt1:', 'opt2:', ...). Adam's running powers of beta1 and beta2 are saved as they are: tfjs restores
// them as pow(beta, iterations + 1), which is not always the float32 product the uninterrupted run holds, and a
// resumed run must end with the same bytes.
const ADAM_POWERS = ['accBeta1', 'accBeta2'] as const;
type AdamLike = tf.Optimizer & Partial<Record<(typeof ADAM_POWERS)[number], tf.Variable>>;

function prefixOf(i: number): string {
  return i === 0 ? '' : `opt${i}:`;
}

// The optimizers' state as named tensors. `fresh`: those getWeights made for the call rather than returned as the
// optimizer's own variables (its step count, a new scalar each time), for the caller to dispose once packed.
async function optimizerEntries(optimizers: tf.Optimizer[]): Promise<{ entries: [string, tf.Tensor][]; fresh: tf.Tensor[] }> {
  const out: [string, tf.Tensor][] = [];
  const fresh: tf.Tensor[] = [];
  for (const [i, o] of optimizers.entries()) {
    const p = prefixOf(i);
    for (const w of await o.getWeights()) {
      out.push([`${p}${w.name}`, w.tensor]);
      if (!(w.tensor instanceof tf.Variable)) fresh.push(w.tensor);
    }
    for (const k of ADAM_POWERS) {
      const v = (o as AdamLike)[k];
      if (v) out.push([`${p}#${k}`, v]);
    }
  }
  return { entries: out, fresh };
}

async function restoreOptimizers(optimizers: tf.Optimizer[], entries: Entry[], data: Float32Array): Promise<void> {
  for (const [i, o] of optimizers.entries()) {
    const p = prefixOf(i);
    const mine = entries
      .filter((e) => (i === 0 ? !/^opt\d+:/.test(e.name) : e.name.startsWith(p)))
      .map((e) => ({ ...e, name: e.name.slice(p.length) }));
    const weights = mine.filter((e) => !e.name.startsWith('#'));
    const temps = weights.map((e) => ({ name: e.name, tensor: tf.tensor(slice(data, e), e.shape) }));
    if (temps.length > 0) await o.setWeights(temps);
    temps.forEach((t) => t.tensor.dispose()); // the optimizer's variables hold their own references
    for (const e of mine.filter((x) => x.name.startsWith('#'))) {
      const v = (o as AdamLike)[e.name.slice(1) as (typeof ADAM_POWERS)[number]];
      if (!v) continue;
      const t = tf.tensor(slice(data, e), e.shape);
      v.assign(t);
      t.dispose();
    }
  }
}

export async function saveCheckpoint<S>(
  dir: string,
  stage: string,
  model: Model,
  state: S,
  optimizers: tf.Optimizer[] = [],
): Promise<void> {
  const vars = await pack([...namedVariables(model)]);
  const optState = await optimizerEntries(optimizers);
  const opt = await pack(optState.entries);
  tf.dispose(optState.fresh);
  const all = new Float32Array(vars.size + opt.size);
  let o = 0;
  for (const c of [...vars.chunks, ...opt.chunks]) {
    all.set(c, o);
    o += c.length;
  }
  opt.entries.forEach((e) => (e.offset += vars.size));
  const bytes = new Uint8Array(all.buffer);
  const dataName = `${stage}.bin`;
  atomicWrite(join(dir, dataName), bytes);
  const header: CheckpointHeader<S> = {
    format: 'pqk-checkpoint-1',
    stage,
    spec: model.spec,
    tensors: vars.entries,
    optimizer: opt.entries,
    data: dataName,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    state,
  };
  atomicWriteJson(join(dir, `${stage}.json`), header);
}

export function checkpointExists(dir: string, stage: string): boolean {
  return existsSync(join(dir, `${stage}.json`));
}

export function readCheckpointHeader<S>(dir: string, stage: string): CheckpointHeader<S> {
  const h = readJson<CheckpointHeader<S>>(join(dir, `${stage}.json`), `checkpoint '${stage}'`);
  if (h.format !== 'pqk-checkpoint-1' || typeof h.data !== 'string' || !Array.isArray(h.tensors))
    throw corrupt(dir, stage, `${join(dir, `${stage}.json`)}: not a pqk checkpoint`);
  return h;
}

// How to get a stage back: its files removed, the command that trains it again.
function corrupt(dir: string, stage: string, what: string): RunStateError {
  const base = stage.replace(/-progress$/, '');
  const run = dirname(dir);
  const redo =
    base === 'float'
      ? `pqk train --out ${run} ... (or pqk run --out ${run})`
      : base === 'phase1' || base === 'phase2'
        ? `pqk compress --run ${run} --phase ${base.slice(-1)} (or pqk run --out ${run})`
        : `the command that made ${run}`;
  const files = [`${stage}.json`, `${stage}.bin`].map((f) => join(basename(dir), f)).join(' and ');
  return new RunStateError(
    `${what}. Remove ${files} in ${run} and rerun ${redo} to train ${stage.endsWith('-progress') ? `stage '${base}' from its start` : `stage '${base}' again`}`,
  );
}

function readData(dir: string, h: CheckpointHeader): Float32Array {
  const path = join(dir, h.data);
  if (!existsSync(path)) throw corrupt(dir, h.stage, `checkpoint data missing: ${path}`);
  const buf = readFileSync(path);
  if (createHash('sha256').update(buf).digest('hex') !== h.sha256)
    throw corrupt(dir, h.stage, `${path}: checksum mismatch (corrupt checkpoint)`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function slice(data: Float32Array, e: Entry): Float32Array {
  const n = e.shape.reduce((a, b) => a * b, 1);
  return data.subarray(e.offset, e.offset + n);
}

// Loads a checkpoint into a new model (the spec comes from the checkpoint). Optimizer state, if asked, is set.
export async function loadCheckpoint<S>(dir: string, stage: string, optimizers: tf.Optimizer[] = []): Promise<{ model: Model; state: S }> {
  const h = readCheckpointHeader<S>(dir, stage);
  const data = readData(dir, h as CheckpointHeader);
  const model = createModel(h.spec, 0);
  const vars = namedVariables(model);
  for (const e of h.tensors) {
    const v = vars.get(e.name);
    if (!v) throw corrupt(dir, stage, `checkpoint '${stage}': unknown variable ${e.name}`);
    if (v.shape.join() !== e.shape.join())
      throw corrupt(dir, stage, `checkpoint '${stage}': ${e.name} has shape ${e.shape}, model expects ${v.shape}`);
    const t = tf.tensor(slice(data, e), e.shape);
    v.assign(t);
    t.dispose(); // assign copies; the temporary would otherwise stay alive
  }
  if (optimizers.length > 0 && h.optimizer.length > 0) await restoreOptimizers(optimizers, h.optimizer, data);
  return { model, state: h.state };
}
