// Plots for report.md: vega-lite specs compiled to vega and rendered to SVG headless (no canvas needed).
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { deviceRuntimeOf } from './pick.js';
import type { RunReport } from './types.js';

export interface Plot {
  file: string; // file name beside report.md
  title: string;
  svg: string;
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

// Accuracy through the stages, then on each verified runtime.
function accuracySpec(r: RunReport): TopLevelSpec | undefined {
  const values: Row[] = [
    ...r.stages.map((s) => ({ step: s.name, accuracy: s.accuracy * 100 })),
    ...Object.entries(r.verification).flatMap(([rt, v]) => (v.accuracy === null ? [] : [{ step: rt, accuracy: v.accuracy * 100 }])),
  ];
  if (values.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Accuracy through the stages (%)',
    width: Math.max(240, values.length * 60),
    height: 200,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'ordinal', sort: null, title: null, axis: { labelAngle: 0 } },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { zero: false } },
    },
  };
}

function sparsitySpec(r: RunReport): TopLevelSpec | undefined {
  const values = r.model.sparsityPerLayer.map((l) => ({ layer: l.layer, sparsity: l.sparsity * 100 }));
  if (values.length === 0) return undefined;
  return bars('Sparsity per layer (%)', values, 'layer', 'sparsity', 'zero weights (%)', {});
}

// Instructions per operator on the target's own emulator, else on the first runtime that counted them.
function instructionsSpec(r: RunReport): TopLevelSpec | undefined {
  const rt = deviceRuntimeOf(r, (v) => v.instructionsPerOp !== null && v.instructionsPerOp.length > 0);
  if (rt === undefined) return undefined;
  const values = r.verification[rt]!.instructionsPerOp!.map((o) => ({ op: `#${o.node} ${o.op}`, instructions: o.instructions }));
  return bars(`Instructions per operator (${rt})`, values, 'op', 'instructions', 'instructions per inference');
}

// Each budget's value as a share of its limit; the rule marks 100 %.
function budgetSpec(r: RunReport): TopLevelSpec | undefined {
  const values = r.budgets
    .filter((b) => b.value !== null && b.limit !== null && b.limit > 0)
    .map((b) => ({ budget: b.name, percent: (b.value! / b.limit!) * 100, verdict: b.verdict }));
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

export async function renderPlots(r: RunReport): Promise<Plot[]> {
  const specs: [string, string, TopLevelSpec | undefined][] = [
    ['plot-accuracy.svg', 'Accuracy through the stages', accuracySpec(r)],
    ['plot-sparsity.svg', 'Sparsity per layer', sparsitySpec(r)],
    ['plot-instructions.svg', 'Instructions per operator', instructionsSpec(r)],
    ['plot-budgets.svg', 'Budgets', budgetSpec(r)],
  ];
  const out: Plot[] = [];
  for (const [file, title, spec] of specs) if (spec) out.push({ file, title, svg: await renderSvg(spec) });
  return out;
}
