// npm run bench:pqk — the PQK ablation: float, phase 1, phase 1 + CE, phase 1 + warm-up, full PQK, over sparsity
// patterns/levels, int8/int4 weights, seeds and two tasks (KWS DS-CNN, Fashion-MNIST ResNet). Resumable: per-seed
// results and stage checkpoints live in the work folder; the JSON and markdown are rewritten after every result.
// Flags: --preset full|quick, --seeds 1,2,3, --tasks kws,image, --configs u0.9w4,c0.5w8, epoch flags; --probe TASK:CONFIG
// [--probe-set variants|head] runs a targeted phase-2 experiment on the ablation's phase-1 checkpoints instead.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { UserError } from '../src/errors.js';
import { renderMarkdown, type ProbeSection, type RunInfo } from './pqk/markdown.js';
import { loadTask } from './pqk/data.js';
import { headSummary, probeBaseline, probeTable, probeVariants, readProbe, runProbe } from './pqk/probe.js';
import { checkRecordedSettings, codeVersion, outputScope, RecordStore, runInfoBeside, utcMinute } from './pqk/records.js';
import { buildRows } from './pqk/rows.js';
import { expectedKeys, runSeed } from './pqk/runner.js';
import { configId, parseBenchArgs, phase2Tag, settingsHash, type BenchSettings, type BenchTask } from './pqk/settings.js';
import type { Dataset } from '../src/data/types.js';
import { atomicWrite, atomicWriteJson, readJson } from '../src/util/fs.js';

const t0 = performance.now();
let priorSeconds = 0; // of earlier invocations on the same work folder (a resumed run)
const log = (line: string): void => {
  const el = (performance.now() - t0) / 1000;
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)} +${(el / 60).toFixed(1)}m] ${line}\n`);
};

// Probe results found in the work folder, as markdown sections.
function probeSections(s: BenchSettings): ProbeSection[] {
  const out: ProbeSection[] = [];
  for (const task of s.tasks)
    for (const cfg of s.configs) {
      const p = readProbe(s.work, task, cfg, 'variants', phase2Tag(s.train));
      if (!p.results.some((x) => x.variant !== 'ce' && x.variant !== 'pqk')) continue;
      const seeds = [...new Set(p.results.map((x) => x.seed))].join(',');
      out.push({
        title: `${task}, ${configId(cfg)}: phase-2 variants from the ablation's phase-1 checkpoints (seeds ${seeds}; code ${p.code ?? 'not recorded'})`,
        lines: probeTable(p, probeVariants(s.train), probeBaseline('variants')),
      });
    }
  for (const task of s.tasks) {
    const lines = headSummary(s.work, task, s.configs, phase2Tag(s.train));
    const codes = new Set(s.configs.map((c) => readProbe(s.work, task, c, 'head', phase2Tag(s.train)).code ?? '?'));
    if (lines.length > 2)
      out.push({
        title: `${task}: teacher batch norm, CE and PQK rerun on code ${[...codes].join(' / ')} from the ablation's phase-1 checkpoints (seeds ${s.seeds.join(',')})`,
        lines,
      });
  }
  return out;
}

function runInfoPath(s: BenchSettings): string {
  return runInfoBeside(s.records);
}

// What a run rewrites: its records, run info, JSON and markdown.
function outputFiles(s: BenchSettings): string[] {
  return [s.records, runInfoPath(s), `${s.out}.json`, `${s.out}.md`];
}

function writeOutputs(run: BenchSettings, store: RecordStore, info: RunInfo, timed = true): void {
  const s = outputScope(run, store.all());
  const rows = buildRows(store.all(), s.tasks, s.seeds, s.configs);
  atomicWriteJson(`${s.out}.json`, { rows });
  if (timed) info.elapsedSeconds = priorSeconds + (performance.now() - t0) / 1000;
  atomicWriteJson(runInfoPath(s), info);
  atomicWrite(`${s.out}.md`, renderMarkdown(s, rows, store.all(), info, `${s.out}.md`, probeSections(s)));
}

// --probe TASK:CONFIG: phase-2 variants on the ablation's phase-1 checkpoints of one configuration.
async function probe(s: BenchSettings, p: NonNullable<BenchSettings['probe']>): Promise<void> {
  const { data } = await loadTask(p.task, s.train.sizes[p.task], s.train.dataSeed, log, s.train.kwsClipsPerWord);
  const store = new RecordStore(s.records);
  const r = await runProbe({
    work: s.work,
    task: p.task,
    cfg: p.cfg,
    seeds: s.seeds,
    data,
    t: s.train,
    set: p.set,
    store,
    log,
    outputs: outputFiles(s),
  });
  process.stdout.write(`\n${probeTable(r.probe, probeVariants(s.train, p.set), probeBaseline(p.set)).join('\n')}\n\nresults: ${r.path}\n`);
  const info = runInfoPath(s);
  if (existsSync(info)) writeOutputs(s, store, readJson<RunInfo>(info, 'run info'), false); // the ablation's markdown gains the probe table
}

async function main(): Promise<void> {
  const s = parseBenchArgs(process.argv.slice(2));
  const backend = await initBackend();
  log(`backend: ${backend.name} (${backend.reason.split(';')[0]})`);
  if (s.probe) return probe(s, s.probe);
  log(
    `settings: preset ${s.preset}, seeds ${s.seeds.join(',')}, tasks ${s.tasks.join(',')}, ${s.configs.length} configurations, work ${s.work}, records ${s.records}, out ${s.out}.{json,md}`,
  );
  const store = new RecordStore(s.records);
  const c = cpus();
  const machine = `${c.length} x ${c[0]?.model ?? 'unknown CPU'} (shared with other jobs), Node ${process.version}`;
  store.origin = { code: await codeVersion(outputFiles(s)), machine };
  const info: RunInfo = {
    command: ['npm run bench:pqk', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    backend: `tfjs '${backend.name}': ${backend.reason.split(';')[0]}`,
    machine,
    date: utcMinute(new Date()),
    dataNotes: { kws: 'not loaded', image: 'not loaded' },
    elapsedSeconds: 0,
  };
  info.settingsHash = settingsHash(s.train);
  if (existsSync(runInfoPath(s))) {
    const prior = readJson<RunInfo>(runInfoPath(s), 'run info');
    checkRecordedSettings(s.records, prior.settingsHash, info.settingsHash);
    priorSeconds = prior.elapsedSeconds;
    // A run of some tasks keeps what earlier runs said of the others' data.
    info.dataNotes = { ...info.dataNotes, ...prior.dataNotes };
  }
  const data = new Map<BenchTask, Dataset>();
  for (const task of s.tasks) {
    const d = await loadTask(task, s.train.sizes[task], s.train.dataSeed, log, s.train.kwsClipsPerWord);
    data.set(task, d.data);
    const what = task === 'kws' ? 'synthetic KWS (espeak-ng + sox, 12 classes, 49x10 MFCC)' : 'Fashion-MNIST (10 classes, 28x28)';
    info.dataNotes[task] =
      `${what}, fixed seeded subsets: ${d.data.train.n} of ${d.full.train} train, ${d.data.val.n} of ${d.full.val} val, ${d.data.test.n} of ${d.full.test} test`;
  }
  // Progress in results (a record's time varies tenfold between the float model and 80% unstructured phase 1).
  const expected = expectedKeys(s.seeds, s.tasks, s.configs);
  const done = (): number => expected.filter((k) => store.get(k)).length;
  const startDone = done();
  log(`results: ${startDone} of ${expected.length} recorded already, ${expected.length - startDone} to make`);
  store.onPut = () => {
    writeOutputs(s, store, info);
    const n = done();
    log(`results: ${n} of ${expected.length} (${n - startDone} in this invocation, ${((performance.now() - t0) / 3.6e6).toFixed(1)} h)`);
  };
  writeOutputs(s, store, info);
  // Per task, every seed's float model first, then one configuration at a time over every seed: a configuration's
  // row, with its interval over the seeds, is complete before the next configuration starts, so a run cut short (a
  // scale run takes about a day on 2 cores) leaves whole rows, and resumes from its records and checkpoints.
  for (const task of s.tasks) {
    const ctx = (seed: number) => ({ task, seed, data: data.get(task)!, t: s.train, work: s.work, store, log });
    for (const seed of s.seeds) await runSeed(ctx(seed), []);
    for (const cfg of s.configs)
      for (const seed of s.seeds) {
        log(`=== task ${task}, ${configId(cfg)}, seed ${seed} ===`);
        await runSeed(ctx(seed), [cfg]);
      }
    log(`task ${task}: done; tensors in memory: ${tf.memory().numTensors}`);
  }
  writeOutputs(s, store, info);
  log(`done in ${((performance.now() - t0) / 60000).toFixed(1)} min: ${s.out}.json, ${s.out}.md`);
}

// A bad flag or a records file of other settings is the user's to fix: one message; anything else is a bug: its stack.
main().catch((e: unknown) => {
  const user = e instanceof UserError;
  process.stderr.write(`bench-pqk: ${user ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(user ? e.exitCode : 1);
});
