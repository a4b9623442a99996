// Plots for report.md: vega-lite specs compiled to vega and rendered to SVG headless (no canvas needed).
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { formatValue } from './format.js';
import { deviceRuntimeOf } from './pick.js';
import type { RunReport } from './types.js';

export interface Plot {
  file: string; // file name beside report.md
  title: string;
  svg: string;
  // The same figures as a markdown table with a bar of block characters: what a CI job summary shows, where the SVG
  // beside report.md cannot load.
  text: string[];
}

interface TextBar {
  label: string;
  value: number; // bar length on the scale
  shown: string; // the value as printed
}

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

// A bar of `width` characters for the full scale, in eighths of a character; never rounds a non-zero value to nothing.
export function textBar(value: number, scale: number, width = 24): string {
  if (!(value > 0) || !(scale > 0)) return '';
  const eighths = Math.max(1, Math.round((Math.min(value, scale) / scale) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}

function textTable(headers: [string, string], rows: TextBar[], scale: number, note?: string): string[] {
  const cell = (v: string): string => v.replace(/\|/g, '\\|');
  return [
    `| ${headers[0]} | ${headers[1]} | 0 – ${note ?? 'max'} |`,
    '| --- | ---: | --- |',
    ...rows.map((r) => `| ${cell(r.label)} | ${r.shown} | ${textBar(r.value, scale)} |`),
  ];
}

type Row = Record<string, string | number>;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function bars(title: string, values: Row[], x: string, y: string, yTitle: string, extra: Partial<TopLevelSpec> = {}): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: Math.max(240, values.length * 28),
    height: 200,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: x, type: 'nominal', sort: null, axis: { labelAngle: -40 }, title: null },
      y: { field: y, type: 'quantitative', title: yTitle },
    },
    ...extra,
  } as TopLevelSpec;
}

// The accuracy budgets as horizontal lines (%): the minimum, and the float model's accuracy less the allowed drop.
export function accuracyBudgetLines(r: RunReport): { label: string; accuracy: number }[] {
  const lines: { label: string; accuracy: number }[] = [];
  const min = r.budgets.find((b) => b.name === 'minAccuracy' && b.limit !== null);
  if (min) lines.push({ label: `minAccuracy ${formatValue(min.limit!, 'accuracy')}`, accuracy: min.limit! * 100 });
  const drop = r.budgets.find((b) => b.name === 'maxAccuracyDrop' && b.limit !== null);
  const float = r.stages.find((s) => s.name === 'float');
  if (drop && float) lines.push({ label: `float − maxAccuracyDrop`, accuracy: (float.accuracy - drop.limit!) * 100 });
  return lines;
}

// The rows each plot draws, read once for the SVG and for its text twin.
function accuracyRows(r: RunReport): { step: string; accuracy: number }[] {
  return [
    ...r.stages.map((s) => ({ step: s.name, accuracy: s.accuracy * 100 })),
    ...Object.entries(r.verification).flatMap(([rt, v]) => (v.accuracy === null ? [] : [{ step: rt, accuracy: v.accuracy * 100 }])),
  ];
}

function sparsityRows(r: RunReport): { layer: string; sparsity: number }[] {
  return r.model.sparsityPerLayer.map((l) => ({ layer: l.layer, sparsity: l.sparsity * 100 }));
}

// Instructions per operator on the target's own emulator, else on the first runtime that counted them.
function instructionRows(r: RunReport): { runtime: string; rows: { op: string; instructions: number }[] } | undefined {
  const rt = deviceRuntimeOf(r, (v) => v.instructionsPerOp !== null && v.instructionsPerOp.length > 0);
  if (rt === undefined) return undefined;
  return {
    runtime: rt,
    rows: r.verification[rt]!.instructionsPerOp!.map((o) => ({ op: `#${o.node} ${o.op}`, instructions: o.instructions })),
  };
}

function budgetRows(r: RunReport): { budget: string; percent: number; verdict: string }[] {
  return r.budgets
    .filter((b) => b.value !== null && b.limit !== null && b.limit > 0)
    .map((b) => ({ budget: b.name, percent: (b.value! / b.limit!) * 100, verdict: b.verdict }));
}

// Accuracy through the stages, then on each verified runtime, on a 0-100 axis (a cut axis makes a point look like
// ten), with the accuracy budgets as dashed lines.
export function accuracySpec(r: RunReport): TopLevelSpec | undefined {
  const values = accuracyRows(r);
  if (values.length === 0) return undefined;
  const y = { field: 'accuracy', type: 'quantitative' as const, title: 'accuracy (%)', scale: { domain: [0, 100] } };
  const lines = accuracyBudgetLines(r);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Accuracy through the stages (%)',
    width: Math.max(240, values.length * 60),
    height: 200,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: { x: { field: 'step', type: 'ordinal', sort: null, title: null, axis: { labelAngle: 0 } }, y },
      },
      ...(lines.length
        ? [
            {
              data: { values: lines },
              layer: [
                { mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#c0392b' }, encoding: { y } },
                {
                  mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -6, x: 0, color: '#c0392b' },
                  encoding: { y, text: { field: 'label' } },
                },
              ],
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

function sparsitySpec(r: RunReport): TopLevelSpec | undefined {
  const values = sparsityRows(r);
  if (values.length === 0) return undefined;
  return bars('Sparsity per layer (%)', values, 'layer', 'sparsity', 'zero weights (%)', {});
}

function instructionsSpec(r: RunReport): TopLevelSpec | undefined {
  const ops = instructionRows(r);
  if (ops === undefined) return undefined;
  return bars(`Instructions per operator (${ops.runtime})`, ops.rows, 'op', 'instructions', 'instructions per inference');
}

// Each budget's value as a share of its limit; the rule marks 100 %.
function budgetSpec(r: RunReport): TopLevelSpec | undefined {
  const values = budgetRows(r);
  if (values.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Budgets: value as % of limit',
    width: 360,
    height: { step: 22 },
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'budget', type: 'nominal', sort: null, title: null, axis: { labelLimit: 240 } },
          x: { field: 'percent', type: 'quantitative', title: '% of limit' },
          color: { field: 'verdict', type: 'nominal', scale: { domain: ['pass', 'fail'], range: ['#4c9a2a', '#c0392b'] } },
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x: { datum: 100 } } },
    ],
  } as TopLevelSpec;
}

// The text twins of the plots: the same rows on the same scales (accuracy and sparsity on 0-100 %, budgets against
// the largest of 100 % and their values, instructions against the largest operator).
function accuracyText(r: RunReport): string[] {
  const rows = [
    ...accuracyRows(r).map((x) => ({ label: x.step, value: x.accuracy })),
    ...accuracyBudgetLines(r).map((l) => ({ label: `budget: ${l.label}`, value: l.accuracy })),
  ].map((x) => ({ ...x, shown: `${x.value.toFixed(2)}%` }));
  return textTable(['step', 'accuracy'], rows, 100, '100 %');
}

function sparsityText(r: RunReport): string[] {
  const rows = sparsityRows(r).map((l) => ({ label: l.layer, value: l.sparsity, shown: `${l.sparsity.toFixed(1)}%` }));
  return textTable(['layer', 'zero weights'], rows, 100, '100 %');
}

function instructionsText(r: RunReport): string[] {
  const ops = instructionRows(r)!;
  const rows = ops.rows.map((o) => ({ label: o.op, value: o.instructions, shown: o.instructions.toLocaleString('en-US') }));
  return textTable(['operator', `instructions (${ops.runtime})`], rows, Math.max(...rows.map((x) => x.value)));
}

function budgetText(r: RunReport): string[] {
  const rows = budgetRows(r).map((b) => ({ label: `${b.budget} (${b.verdict})`, value: b.percent, shown: `${b.percent.toFixed(1)}%` }));
  const scale = Math.max(100, ...rows.map((x) => x.value));
  return textTable(['budget', '% of limit'], rows, scale, `${scale.toFixed(0)} %`);
}

export async function renderPlots(r: RunReport): Promise<Plot[]> {
  const specs: [string, string, TopLevelSpec | undefined, (r: RunReport) => string[]][] = [
    ['plot-accuracy.svg', 'Accuracy through the stages', accuracySpec(r), accuracyText],
    ['plot-sparsity.svg', 'Sparsity per layer', sparsitySpec(r), sparsityText],
    ['plot-instructions.svg', 'Instructions per operator', instructionsSpec(r), instructionsText],
    ['plot-budgets.svg', 'Budgets', budgetSpec(r), budgetText],
  ];
  const out: Plot[] = [];
  for (const [file, title, spec, text] of specs) if (spec) out.push({ file, title, svg: await renderSvg(spec), text: text(r) });
  return out;
}
