// report.md: the page a person reads first. Headline figures, then budgets, runtimes, stages, layers, plots, provenance.
import type { TargetProfile } from '../targets/types.js';
import { estimateMs } from '../targets/device.js';
import { formatOptional, formatPercent, formatValue } from './format.js';
import { deviceRuntimeOf } from './pick.js';
import type { Plot } from './plots.js';
import type { BudgetResult, RunReport } from './types.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const row = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;

function table(head: string[], align: string[], rows: string[][]): string[] {
  return [row(head), `| ${align.join(' | ')} |`, ...rows.map(row)];
}

function verdictLine(budgets: BudgetResult[], ok: boolean): string {
  const count = (v: string) => budgets.filter((b) => b.verdict === v).length;
  return `**${ok ? 'PASS' : 'FAIL'}**: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`;
}

function accuracyPath(r: RunReport): string {
  const steps = r.stages.map((s) => `${s.name} ${formatValue(s.accuracy, 'accuracy')}`);
  const dev = deviceRuntimeOf(r);
  const onDevice = dev === undefined ? null : r.verification[dev]!.accuracy;
  // The stages are measured on the whole test split; a verification on part of it says so.
  const n = dev === undefined ? 0 : r.verification[dev]!.samples;
  const part = r.dataset !== undefined && n < r.dataset.test ? `, ${n} of ${r.dataset.test} test samples` : '';
  if (onDevice !== null) steps.push(`on-device ${formatValue(onDevice, 'accuracy')} (${dev}${part})`);
  return steps.length > 0 ? steps.join(' → ') : '—';
}

// The float model against the shipped integer model, sample by sample on the test split (report.accuracyDrop).
function dropLine(r: RunReport): string | undefined {
  const d = r.accuracyDrop;
  if (!d || d.samples === 0) return undefined;
  const pts = (x: number) => (x * 100).toFixed(2);
  return `${pts((d.floatOnly - d.integerOnly) / d.samples)} points ± ${pts(d.standardError)} (standard error; the float model and the shipped integer model paired over ${d.samples.toLocaleString('en-US')} test samples: ${d.floatOnly.toLocaleString('en-US')} right only in float, ${d.integerOnly.toLocaleString('en-US')} only in the integer model)`;
}

function headline(r: RunReport, target: TargetProfile | undefined): string[] {
  const m = r.model;
  const insRt = deviceRuntimeOf(r, (v) => v.instructionsPerInference !== null);
  const arenaRt = deviceRuntimeOf(r, (v) => v.arenaBytes !== null);
  const drop = dropLine(r);
  let instructions = '—';
  if (insRt !== undefined) {
    const max = r.verification[insRt]!.instructionsPerInference!.max;
    const ms = target
      ? `, ≈ ${formatValue(estimateMs(max, target), 'ms')} at ${target.clockMHz} MHz (an estimate: instructions × ${target.cyclesPerInstruction} cycles per instruction, the target's CPI; the emulator counts instructions, not time)`
      : '';
    instructions = `${formatValue(max, 'instructions')} per inference (worst sample, ${insRt})${ms}`;
  }
  const where = target
    ? ` (${target.cpu} @ ${target.clockMHz} MHz, ${target.emulator.type === 'qemu-system' ? `QEMU ${target.emulator.machine}` : target.emulator.binary})`
    : '';
  return table(
    ['', ''],
    ['---', '---'],
    [
      ['target', `${r.target}${where}`],
      ['verdict', verdictLine(r.budgets, r.ok)],
      ...(r.check ? [['checked', checkedLine(r)]] : []),
      ['accuracy', accuracyPath(r)],
      ...(drop ? [['accuracy drop', drop]] : []),
      ...(r.shipped ? [['shipped', `${r.shipped.stage}: ${r.shipped.reason}`]] : []),
      [
        'model',
        `${formatValue(m.fileBytes, 'bytes')} file (${formatValue(m.payloadBytes, 'bytes')} payload${m.deviceBytes === undefined ? '' : `; ${formatValue(m.deviceBytes, 'bytes')} on the board, 2:4 weights packed only`}), ${m.params.toLocaleString('en-US')} params, ${(m.macs / 1e6).toFixed(2)} M MACs, ${formatPercent(m.sparsity)} sparse`,
      ],
      ['instructions', instructions],
      ['arena', arenaRt === undefined ? '—' : `${formatValue(r.verification[arenaRt]!.arenaBytes!, 'bytes')} (${arenaRt})`],
      ...audioRows(r),
      ...(r.deploy
        ? [
            [
              'C bundle',
              `\`${r.deploy.dir}/\` (${r.deploy.files} files, sha256 ${r.deploy.sha256.slice(0, 16)}…): model_data.c/.h, model.h, pqk_micro/, ${r.dataset.task === 'kws' ? 'frontend/, ' : ''}example/, Makefile${bundleVerified(r)}`,
            ],
          ]
        : []),
    ],
  );
}

// What `pqk check` ran the file on.
function checkedLine(r: RunReport): string {
  const c = r.check!;
  const what =
    c.inputs === 'data'
      ? `the test split of ${r.dataset.name}`
      : c.inputs === 'npy'
        ? `inputs from ${r.dataset.name.replace(/^npy:/, '')}`
        : `seeded random int8 inputs (seed ${r.seed ?? '—'})`;
  return `\`${c.file}\` as given (no training stages), on ${r.dataset.test} ${what}${c.labelled ? '' : ', without labels: no accuracy'}`;
}

// Which emulated boards ran firmware compiled from exactly the bundle's files.
function bundleVerified(r: RunReport): string {
  const rts = Object.entries(r.verification)
    .filter(([, v]) => r.deploy && v.bundleSha256 === r.deploy.sha256)
    .map(([rt]) => rt);
  return rts.length > 0 ? `; verified as these files on ${rts.join(', ')}` : '';
}

// A KWS model run from raw audio on a board: accuracy beside the host features', and frontend + model instructions.
function audioRows(r: RunReport): string[][] {
  return Object.entries(r.verification).flatMap(([rt, v]) => {
    const a = v.audio;
    if (!a) return [];
    const fe = a.frontendInstructions;
    const e2e = a.endToEndInstructions;
    const ins =
      fe && e2e
        ? `; per clip (worst) ${formatValue(fe.max, 'instructions')} in the frontend, ${formatValue(e2e.max, 'instructions')} with the model`
        : '';
    return [
      [
        'from audio',
        `${formatValue(a.accuracyFromAudio, 'accuracy')} on ${a.clips} clips through the C MFCC frontend on ${rt} (from host features ${formatValue(a.accuracyFromFeatures, 'accuracy')}; ${a.predictionsDiffering} predictions, ${a.featureValuesDiffering} of ${a.featureValues} features differ)${ins}; frontend scratch ${formatValue(a.frontendScratchBytes, 'bytes')} + one clip ${formatValue(a.audioBufferBytes, 'bytes')}`,
      ],
    ];
  });
}

function budgetTable(budgets: BudgetResult[]): string[] {
  const rows = budgets.map((b) => [
    b.name,
    formatOptional(b.value, b.unit),
    formatOptional(b.limit, b.unit),
    b.value !== null && b.limit !== null && b.limit > 0 ? formatPercent(b.value / b.limit) : '—',
    b.verdict === 'fail' ? '**FAIL**' : b.verdict,
  ]);
  return table(['budget', 'value', 'limit', '% of limit', 'verdict'], ['---', '---:', '---:', '---:', '---'], rows);
}

function runtimeTable(r: RunReport): string[] {
  const rows = Object.entries(r.verification).map(([rt, v]) => [
    rt,
    v.accuracy === null ? 'no labels' : formatValue(v.accuracy, 'accuracy'),
    String(v.samples),
    String(v.mismatches),
    String(v.maxDiff),
    v.instructionsPerInference
      ? `${formatValue(v.instructionsPerInference.mean, 'instructions')} / ${formatValue(v.instructionsPerInference.max, 'instructions')}`
      : '—',
    formatOptional(v.arenaBytes, 'bytes'),
    formatOptional(v.flashBytes, 'bytes'),
    v.version ?? '—',
    v.reference ?? '—',
  ]);
  const head = [
    'runtime',
    'accuracy',
    'samples',
    'mismatches',
    'max diff (LSB)',
    'instructions mean / max',
    'arena',
    'flash',
    'version',
    'reference arithmetic',
  ];
  return table(head, ['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---'], rows);
}

function stageTable(r: RunReport): string[] {
  const rows = r.stages.map((s) => [
    s.name + (r.shipped?.stage === s.name ? ' (shipped)' : ''),
    formatValue(s.accuracy, 'accuracy'),
    s.valAccuracy === undefined || s.valAccuracy === null ? '—' : formatValue(s.valAccuracy, 'accuracy'),
    s.sparsity === null ? '—' : formatPercent(s.sparsity),
    s.epochs === null ? '—' : String(s.epochs),
    s.seconds.toFixed(1),
  ]);
  return table(
    ['stage', 'test accuracy', 'validation', 'sparsity', 'epochs', 'seconds'],
    ['---', '---:', '---:', '---:', '---:', '---:'],
    rows,
  );
}

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

// One row per op: its output, MACs, the constants it reads, the output channels it keeps, the instructions each
// emulated board spent in it (with instructions per MAC where it multiplies) and the arena bytes live while it runs
// there (the tensors alive across it and its scratch; the row at the arena's peak in bold).
function layerTable(r: RunReport): string[] {
  const layers = r.model.layers ?? [];
  const boards = Object.entries(r.verification).filter(
    ([, v]) => (v.instructionsPerOp?.length ?? 0) === layers.length && layers.length > 0,
  );
  const head = ['#', 'op', 'output', 'MACs', 'params', 'bytes', 'channels kept'];
  const live = boards.map(([, v]) => v.instructionsPerOp!.every((o) => o.arenaLiveBytes !== undefined));
  const peaks = boards.map(([, v]) => Math.max(...v.instructionsPerOp!.map((o) => o.arenaLiveBytes ?? 0)));
  boards.forEach(([name], b) => head.push(`instructions (${name})`, 'per MAC', ...(live[b] ? ['arena live'] : [])));
  const rows = layers.map((l) => {
    const ch = l.channels ? (l.channels.of !== undefined ? `${l.channels.kept} of ${l.channels.of}` : String(l.channels.kept)) : '';
    const cells = [String(l.node), l.op, l.output.join('x'), count.format(l.macs), count.format(l.params), count.format(l.bytes), ch];
    boards.forEach(([, v], b) => {
      const o = v.instructionsPerOp![l.node]!;
      cells.push(count.format(o.instructions), l.macs > 0 ? (o.instructions / l.macs).toFixed(2) : '');
      if (live[b])
        cells.push(o.arenaLiveBytes === peaks[b] ? `**${count.format(o.arenaLiveBytes!)} B**` : `${count.format(o.arenaLiveBytes!)} B`);
    });
    return cells;
  });
  const align = head.map((_, i) => (i < 3 ? '---' : '---:'));
  return table(head, align, rows);
}

// The integer model's confusion matrix on the device's runtime: rows the true class, columns the predicted one, the
// diagonal in bold, each row's recall last. Up to 20 classes (a wider table is unreadable; report.json has it).
export const CONFUSION_MAX_CLASSES = 20;

function confusionSection(r: RunReport): string[] {
  const dev = deviceRuntimeOf(r, (v) => v.confusion !== undefined);
  const m = dev === undefined ? undefined : r.verification[dev]!.confusion!;
  if (!m || m.length === 0) return [];
  const title = `## Confusion matrix (${dev}, ${r.verification[dev!]!.samples} test samples)`;
  if (m.length > CONFUSION_MAX_CLASSES)
    return [title, '', `${m.length} classes: too many to show here; \`report.json\` has it (verification["${dev}"].confusion).`, ''];
  const names = m.map((_, i) => r.dataset.labels?.[i] ?? String(i));
  const head = ['true ↓ predicted →', ...names.map((n) => `\`${n}\``), 'recall'];
  const rows = m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((c, j) => (i === j ? `**${c}**` : c === 0 ? '·' : String(c)));
    return [`\`${names[i]}\``, ...cells, total === 0 ? '—' : formatValue(row[i]! / total, 'accuracy')];
  });
  return [title, '', ...table(head, ['---', ...names.map(() => '---:'), '---:'], rows), ''];
}

// Flash and RAM of the device image, by part: the model (its bytes are an array in flash), the rest of flash (pqk
// micro's code and tables, start-up, the test runner), the arena, the stack reserved, and the other static RAM.
function memorySection(r: RunReport, target?: TargetProfile): string[] {
  const dev = deviceRuntimeOf(r, (v) => v.flashBytes !== null && v.ramBytes !== null && v.arenaBytes !== null);
  if (dev === undefined) return [];
  const v = r.verification[dev]!;
  const [flash, ram, arena, stack] = [v.flashBytes!, v.ramBytes!, v.arenaBytes!, v.stackBytes ?? null];
  const model = Math.min(r.model.deviceBytes ?? r.model.fileBytes, flash);
  const b = (n: number | null): string => (n === null ? '—' : formatValue(n, 'bytes'));
  const of = (n: number, total: number | undefined): string => (total ? formatPercent(n / total) : '—');
  const [flashPart, ramPart] = [target?.memory.flashBytes, target?.memory.ramBytes];
  const rows = [
    [
      'flash',
      r.model.deviceBytes === undefined ? 'model (`model.tflite` as a C array)' : "model (`model.tflite`'s device form as a C array)",
      b(model),
      of(model, flashPart),
    ],
    ['flash', 'runtime code, tables, start-up and test runner', b(flash - model), of(flash - model, flashPart)],
    ['flash', '**total**', `**${b(flash)}**`, of(flash, flashPart)],
    ['RAM', 'tensor arena', b(arena), of(arena, ramPart)],
    ['RAM', 'stack (reserved)', b(stack), stack === null ? '—' : of(stack, ramPart)],
    [
      'RAM',
      'other static data (I/O buffers, runtime state)',
      b(stack === null ? null : ram - arena - stack),
      stack === null ? '—' : of(ram - arena - stack, ramPart),
    ],
    ['RAM', '**total**', `**${b(ram)}**`, of(ram, ramPart)],
  ];
  return [
    `## Memory (${dev} image)`,
    '',
    ...table(
      ['memory', 'part', 'bytes', `% of ${target ? `${target.name}'s` : 'the part'} flash / RAM`],
      ['---', '---', '---:', '---:'],
      rows,
    ),
    '',
  ];
}

// The comparison with an earlier report (--baseline): each figure against the baseline's, with the change.
function baselineSection(r: RunReport): string[] {
  if (!r.baseline) return [];
  const t = r.baseline.tolerance;
  const rows = r.budgets
    .filter((b) => b.name.startsWith('baseline.'))
    .map((b) => `- ${b.verdict === 'fail' ? '**FAIL**' : b.verdict.toUpperCase()} ${b.message}`);
  return [
    `## Against the baseline (\`${r.baseline.file}\`)`,
    '',
    `Tolerance: bytes +${formatPercent(t.bytes)}, instructions +${formatPercent(t.instructions)}, accuracy −${(t.accuracy * 100).toFixed(2)} points.`,
    '',
    ...rows,
    '',
  ];
}

export function renderMarkdown(r: RunReport, plots: Plot[], target?: TargetProfile): string {
  const failed = r.budgets.filter((b) => b.verdict === 'fail');
  const v = r.versions;
  const lines = [
    `# pqk report: ${r.target} — ${r.ok ? 'PASS' : 'FAIL'}`,
    '',
    ...headline(r, target),
    '',
    ...(failed.length > 0 ? ['Failed:', '', ...failed.map((b) => `- ${b.message}`), ''] : []),
    '## Budgets',
    '',
    ...budgetTable(r.budgets),
    '',
    ...baselineSection(r),
    '## Runtimes',
    '',
    ...(Object.keys(r.verification).length > 0 ? runtimeTable(r) : ['No runtime verified this model.']),
    '',
    '## Stages',
    '',
    ...(r.stages.length > 0 ? stageTable(r) : ['None: the model was checked as given.']),
    '',
    ...(r.model.layers?.length ? ['## Layers', '', ...layerTable(r), ''] : []),
    ...memorySection(r, target),
    ...confusionSection(r),
    '## Plots',
    '',
    ...(plots.length > 0
      ? plots.flatMap((p) => [
          `![${p.title}](${p.file})`,
          '',
          `<details><summary>${p.title} as text (where the image cannot load, as in a CI job summary)</summary>`,
          '',
          ...p.text,
          '',
          '</details>',
          '',
        ])
      : ['No figures to plot.', '']),
    '## Run',
    '',
    `- dataset: ${r.dataset.name} (${r.dataset.task}, ${r.dataset.classes} classes; ${r.dataset.train} train / ${r.dataset.val} val / ${r.dataset.test} test)`,
    `- model: ${r.model.name}, \`${r.model.file}\``,
    `- seed: ${r.seed ?? '—'}; created ${r.createdAt}`,
    `- versions: pqk ${v.pqk}; tfjs backend ${v.tfjsBackend ?? '—'}; TFLite ${v.tflite ?? '—'}; QEMU ${v.qemu ?? '—'}`,
    '',
  ];
  return lines.join('\n');
}
