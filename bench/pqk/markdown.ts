// bench/pqk-ablation.md: settings, one table per task, the paired PQK-vs-control differences, and a notes section
// written by hand that survives regeneration (kept between the NOTES markers).
import { existsSync, readFileSync } from 'node:fs';
import type { SeedRecord } from './records.js';
import { mean, meanCi, paired, std, type BenchRow } from './rows.js';
import { configId, type BenchSettings, type BenchTask, type CompressConfig } from './settings.js';

export interface RunInfo {
  command: string;
  backend: string;
  machine: string;
  date: string;
  dataNotes: Record<BenchTask, string>;
  elapsedSeconds: number; // the ablation's invocations so far on this work folder
  settingsHash?: string; // settingsHash of the settings the records were made with (absent in older run infos)
}

const NOTES_BEGIN = '<!-- NOTES: kept when the file is regenerated -->';
const NOTES_END = '<!-- /NOTES -->';
const pct = (x: number): string => (x * 100).toFixed(2);
const cfgName = (c: CompressConfig): string => `${c.pattern} ${c.sparsity}, int${c.weightBits}`;
// Mean ± sample std over seeds, in percent; a single seed has no spread to show (std() would say 0).
const meanStd = (m: number, sd: number, seeds: number): string => (seeds > 1 ? `${pct(m)} ± ${pct(sd)}` : `${pct(m)} (one seed)`);
const ofSeeds = (v: number[]): string => meanStd(mean(v), std(v), v.length);

function keptNotes(path: string): string {
  if (!existsSync(path)) return '_No notes yet._';
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(NOTES_BEGIN);
  const b = text.indexOf(NOTES_END);
  return a >= 0 && b > a ? text.slice(a + NOTES_BEGIN.length, b).trim() : '_No notes yet._';
}

function taskTable(rows: BenchRow[], task: BenchTask): string[] {
  const out = [
    '| configuration | method | test accuracy % (mean ± std) | paramBytes | train s / seed | seeds |',
    '| --- | --- | --- | ---: | ---: | --- |',
  ];
  const float = rows.find((r) => r.task === task && r.method === 'float');
  if (float)
    out.push(
      `| float32 | float | ${meanStd(float.accMean, float.accStd, float.seeds.length)} | ${float.paramBytes} | ${float.wallSeconds} | ${float.seeds.join(',')} |`,
    );
  for (const r of rows.filter((x) => x.task === task && x.method !== 'float'))
    out.push(
      `| ${cfgName(r)} | ${r.method} | ${meanStd(r.accMean, r.accStd, r.seeds.length)} | ${r.paramBytes} | ${r.wallSeconds} | ${r.seeds.join(',')} |`,
    );
  return out;
}

// Per configuration: PQK minus each control, paired by seed (same float model, same phase-1 checkpoint).
function pairedTable(
  records: SeedRecord[],
  s: BenchSettings,
  task: BenchTask,
): { lines: string[]; pqkMinusCe: number[]; spread: number[] } {
  const lines = [
    '| configuration | PQK − CE (pp) | PQK − CE 95% CI (pp) | PQK − warm-up only (pp) | CE − phase 1 (pp) | seed std of CE row (pp) | PQK > CE in seeds | phase 1 − scratch (pp) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const pqkMinusCe: number[] = [];
  const spread: number[] = [];
  const fmt = (d: number[]): string => (d.length ? ofSeeds(d) : 'n/a');
  for (const cfg of s.configs) {
    const pc = paired(records, task, cfg, 'pqk', 'phase1+ce', s.seeds);
    if (!pc.diffs.length) continue;
    const pw = paired(records, task, cfg, 'pqk', 'phase1+warmup', s.seeds);
    const cp = paired(records, task, cfg, 'phase1+ce', 'phase1', s.seeds);
    const ps = paired(records, task, cfg, 'phase1', 'scratch', s.seeds);
    const ceAcc = records
      .filter(
        (r) => r.task === task && r.method === 'phase1+ce' && r.config && configId(r.config) === configId(cfg) && s.seeds.includes(r.seed),
      )
      .map((r) => r.accuracy);
    const wins = pc.diffs.filter((d) => d > 0).length;
    const ci = meanCi(pc.diffs.map((d) => d * 100));
    const ciText = ci.ciLow === null ? 'n/a (one seed)' : `[${ci.ciLow.toFixed(2)}, ${ci.ciHigh!.toFixed(2)}]`;
    lines.push(
      `| ${cfgName(cfg)} | ${fmt(pc.diffs)} | ${ciText} | ${fmt(pw.diffs)} | ${fmt(cp.diffs)} | ${ceAcc.length > 1 ? pct(std(ceAcc)) : 'n/a (one seed)'} | ${wins}/${pc.diffs.length} | ${fmt(ps.diffs)} |`,
    );
    pqkMinusCe.push(mean(pc.diffs));
    if (ceAcc.length > 1) spread.push(std(ceAcc));
  }
  return { lines, pqkMinusCe, spread };
}

// The in-network teacher's own test accuracy (float activations) at each point: a weak teacher cannot help.
function teacherTable(records: SeedRecord[], s: BenchSettings, task: BenchTask): string[] {
  const lines = [
    '| configuration | teacher after phase 1 | after warm-up only | after PQK | PQK student |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const cfg of s.configs) {
    const acc = (m: 'phase1' | 'phase1+warmup' | 'pqk', teacher: boolean): string => {
      const v = records
        .filter((r) => r.task === task && r.method === m && r.config && configId(r.config) === configId(cfg) && s.seeds.includes(r.seed))
        .map((r) => (teacher ? r.teacherAccuracy : r.accuracy))
        .filter((x): x is number => x !== undefined);
      return v.length ? ofSeeds(v) : 'n/a';
    };
    if (acc('phase1', true) !== 'n/a')
      lines.push(
        `| ${cfgName(cfg)} | ${acc('phase1', true)} | ${acc('phase1+warmup', true)} | ${acc('pqk', true)} | ${acc('pqk', false)} |`,
      );
  }
  return lines;
}

// One row per code version, machine and day: a run resumed across sessions says which results each one made.
export function provenanceLines(records: SeedRecord[]): string[] {
  const groups = new Map<string, { code: string; machine: string; first: string; last: string; results: SeedRecord[] }>();
  let older = 0;
  for (const r of records) {
    if (!r.made) {
      older++;
      continue;
    }
    const k = `${r.made.code}\n${r.made.machine}\n${r.made.at.slice(0, 10)}`;
    const g = groups.get(k) ?? { code: r.made.code, machine: r.made.machine, first: r.made.at, last: r.made.at, results: [] };
    if (r.made.at < g.first) g.first = r.made.at;
    if (r.made.at > g.last) g.last = r.made.at;
    g.results.push(r);
    groups.set(k, g);
  }
  const lines = ['| results | recorded | code | machine | of |', '| ---: | --- | --- | --- | --- |'];
  for (const g of [...groups.values()].sort((a, b) => a.first.localeCompare(b.first))) {
    const what = [...new Set(g.results.map((r) => `${r.task} ${r.config ? configId(r.config) : 'float'} s${r.seed}`))].join(', ');
    const when = g.first === g.last ? g.first : `${g.first} to ${g.last.slice(11)}`;
    lines.push(`| ${g.results.length} | ${when} | ${g.code} | ${g.machine} | ${what} |`);
  }
  if (older) lines.push(`| ${older} | before results carried their origin | \`git log\` of the records file | | |`);
  return records.length ? lines : ['No results yet.'];
}

export interface ProbeSection {
  title: string;
  lines: string[];
}

export function renderMarkdown(
  s: BenchSettings,
  rows: BenchRow[],
  records: SeedRecord[],
  info: RunInfo,
  notesFrom: string,
  probes: ProbeSection[] = [],
): string {
  const t = s.train;
  const out: string[] = [
    '# PQK ablation benchmark',
    '',
    `Last written by \`${info.command}\` (\`bench/pqk.ts\`, preset \`${s.preset}\`) on ${info.date}; a run resumed across invocations lists which results each made under "Where the results were made".`,
    `Machine: ${info.machine}. Backend: ${info.backend}. Wall time of the ablation (summed over resumed invocations): ${(info.elapsedSeconds / 60).toFixed(1)} min.`,
    '',
    s.preset === 'scale'
      ? '## Settings (the recipe of `pqk run` and `pqk compress`; split sizes below)'
      : s.preset === 'scale-v1'
        ? '## Settings (the recipe of 2026-12-05; split sizes below)'
        : '## Settings (a deliberately reduced budget)',
    '',
    `- Seeds ${s.seeds.join(', ')} (model init, shuffling, pruning rounds); one data seed (${t.dataSeed}) for all of them, so every method sees the same samples.`,
    `- Data: kws = ${info.dataNotes.kws}; image = ${info.dataNotes.image}.`,
    `- Float: ${t.floatEpochs} epochs, Adam lr ${t.floatLr}${t.floatWeightDecay ? `, weight decay ${t.floatWeightDecay}` : ''}, cosine, batch ${t.batchSize}. Shared by every configuration of a seed.`,
    `- Phase 1: ${t.p1Rounds} prune + QAT rounds, ${t.p1EpochsPerRound} epoch(s) each before the last and ${t.p1FinalEpochs} at the final level${t.p1Unstructured ? `, unstructured pruning ${t.p1Unstructured.rounds} rounds of ${t.p1Unstructured.epochsPerRound} epoch(s) and ${t.p1Unstructured.finalEpochs} at the final level` : ''} (Adam lr ${t.p1Lr}${t.p1WeightDecay ? `, weight decay ${t.p1WeightDecay}` : ''}, cosine per round; weights ranked by LAMP score (magnitude normalized per layer) with a threshold ${t.p1Scope === 'global' ? 'global over the network' : 'per layer'}, channels by the measured loss change (taylor), 2:4 in one round), weights per-channel symmetric int8/int4, activations int8. Shared by rows 2-5.`,
    `- Phase 2: warm-up ${t.warmupEpochs} epoch(s) + mutual ${t.mutualEpochs} epoch(s), tau ${t.tau}, lambda ${t.lambda}, lr student 5e-4 / teacher 1e-3. CE control: student-only CE for ${t.warmupEpochs + t.mutualEpochs} epochs; warm-up only: ${t.warmupEpochs} epoch(s).`,
    '- Accuracy: the integer reference (`evaluateQuantized(...).integerAccuracy`) on the test subset; float row: float forward. Std: sample std over seeds.',
    `- \`${s.out}.json\` repeats the float row under every configuration (same numbers) so that each configuration has all five methods.`,
    `- Scratch (KWS, channel configurations): DS-CNN built with the kept fraction of the width (32 of 64 channels at 50%), float ${t.floatEpochs} epochs then dense int8 QAT for ${(t.p1Rounds - 1) * t.p1EpochsPerRound + t.p1FinalEpochs} epochs: the pruned model's total epochs. "phase 1 − scratch" is paired by seed.`,
    "- paramBytes: nonzero weights at the weight bit width + int32 biases (float: 4 bytes per trainable parameter). Train s: mean per seed of the method's own epoch loops (phase-2 rows exclude the shared phase 1; validation excluded).",
    '',
  ];
  const reading: string[] = [];
  for (const task of s.tasks) {
    out.push(`## ${task === 'kws' ? 'KWS: DS-CNN on the synthetic keyword set' : 'Image: small ResNet on Fashion-MNIST'}`, '');
    if (!records.some((r) => r.task === task)) {
      out.push('No results yet: the run has not finished a method of this task (it resumes from its records).', '');
      continue;
    }
    out.push(...taskTable(rows, task), '');
    const p = pairedTable(records, s, task);
    // A table with no row yet (float models only, or phase 1 without its phase-2 forks) is said in words.
    const orNone = (lines: string[], none: string): string[] => (lines.length > 2 ? lines : [none]);
    out.push(
      'Paired by seed (same float model and phase-1 checkpoint), percentage points, mean ± std over seeds:',
      '',
      ...orNone(p.lines, 'No configuration has both its PQK and its CE result yet.'),
      '',
    );
    out.push(
      'Teacher accuracy % (Q(W*M) + W*(1-M), float activations, same test subset):',
      '',
      ...orNone(teacherTable(records, s, task), 'No configuration has finished phase 1 yet.'),
      '',
    );
    if (p.pqkMinusCe.length) {
      const better = p.pqkMinusCe.filter((d) => d > 0).length;
      reading.push(
        `- ${task}: PQK beats the CE control in ${better}/${p.pqkMinusCe.length} configurations; mean PQK − CE ${pct(mean(p.pqkMinusCe))} pp ${p.spread.length ? `against a typical seed std of ${pct(mean(p.spread))} pp` : 'on one seed (no seed spread yet)'}.`,
      );
    }
  }
  out.push('## Reading (computed)', '', ...(reading.length ? reading : ['- no paired results yet']), '');
  for (const p of probes) out.push(`## Targeted experiment: ${p.title}`, '', ...p.lines, '');
  out.push('## Where the results were made', '', ...provenanceLines(records), '');
  out.push('## Notes', '', NOTES_BEGIN, keptNotes(notesFrom), NOTES_END, '');
  return out.join('\n');
}
