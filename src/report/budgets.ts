// Judging a run against its target: every budget of the profile, the device's memory, and runtime exactness.
import type { TargetProfile } from '../targets/types.js';
import { deviceRuntime, emulatorRuntime, estimateMs } from '../targets/device.js';
import { compareBaseline, type Tolerance } from './baseline.js';
import { formatPercent, formatValue, INT } from './format.js';
import type { BudgetFigures, BudgetResult, BudgetUnit, RunReport, RuntimeVerification } from './types.js';

// Runtimes allowed to differ from the integer reference, with the largest difference allowed (LSB); all others are bit-exact.
export const TOLERANT_RUNTIMES: Readonly<Record<string, number>> = { litert: 1 };

interface Figure {
  value: number;
  source: string;
  note?: string; // said after the share of the limit
}

// A limit check; `atLeast` budgets (minimum accuracy) pass at or above the limit, all others at or below.
function judge(name: string, unit: BudgetUnit, fig: Figure, limit: number, atLeast = false): BudgetResult {
  const pass = atLeast ? fig.value >= limit : fig.value <= limit;
  const cmp = pass ? (atLeast ? '≥' : '≤') : atLeast ? 'is below' : 'exceeds';
  const share = limit > 0 ? `, ${formatPercent(fig.value / limit)} of limit` : '';
  const note = fig.note ? `; ${fig.note}` : '';
  const message = `${name}: ${formatValue(fig.value, unit)} ${cmp} limit ${formatValue(limit, unit)} (${fig.source}${share}${note})`;
  return { name, limit, value: fig.value, unit, verdict: pass ? 'pass' : 'fail', message };
}

function skipped(name: string, unit: BudgetUnit, limit: number | null, reason: string): BudgetResult {
  return { name, limit, value: null, unit, verdict: 'skip', message: `${name}: skipped, ${reason}` };
}

// A budget that does not apply to what was judged (an accuracy budget of a model checked on unlabelled inputs, say):
// skipped even under --strict, which fails only what could have been measured and was not.
const NOT_APPLICABLE = ': not applicable, ';
function notApplicable(name: string, unit: BudgetUnit, limit: number | null, reason: string): BudgetResult {
  return { name, limit, value: null, unit, verdict: 'skip', message: `${name}${NOT_APPLICABLE}${reason}` };
}

// A figure measured on the target's own emulator, and only there: another runtime's arena or instruction count
// (x86-64 TFLite's, say) says nothing about the part.
function deviceFigure(
  r: BudgetFigures,
  target: TargetProfile,
  what: string,
  pick: (v: RuntimeVerification) => number | null,
): Figure | string {
  const dev = deviceRuntime(target);
  if (dev === undefined) return `the target's emulator runtime (${emulatorRuntime(target)}) is not among its runtimes`;
  const v = r.verification[dev];
  if (v === undefined) return `${dev} did not run`;
  const value = pick(v);
  return value === null ? `${dev} reported no ${what}` : { value, source: dev };
}

// The integer model's accuracy: the worst verified runtime, else the shipped (or last) fake-quant stage.
function integerAccuracy(r: BudgetFigures): Figure | string {
  const runs = Object.entries(r.verification).flatMap(([rt, v]) => (v.accuracy === null ? [] : [{ value: v.accuracy, source: rt }]));
  if (runs.length > 0) return runs.reduce((a, b) => (b.value < a.value ? b : a));
  const last = r.stages.find((s) => s.name === r.shipped?.stage) ?? [...r.stages].reverse().find((s) => s.name !== 'float');
  return last ? { value: last.accuracy, source: `${last.name}, fake-quant` } : 'no integer accuracy (no verification, no quantized stage)';
}

// The float stage's accuracy is over the whole test split. When the runtimes were verified on fewer samples
// (pqk run --verify-limit) and every one of them equals the integer reference value for value, the drop is taken to
// the shipped stage's accuracy over the whole split (the integer model's), not to a subset's: the two sides then
// count the same samples.
function sameSamplesAsFloat(r: BudgetFigures, acc: Figure): Figure {
  const whole = r.dataset?.test;
  const runs = Object.values(r.verification).filter((v) => v.accuracy !== null);
  const shipped = r.stages.find((s) => s.name === r.shipped?.stage);
  if (whole === undefined || !shipped || runs.length === 0) return acc;
  if (runs.every((v) => v.samples >= whole) || runs.some((v) => v.mismatches > 0)) return acc;
  const n = Math.min(...runs.map((v) => v.samples));
  return { value: shipped.accuracy, source: `${shipped.name} on all ${whole} test samples; runtimes exact on ${n}` };
}

// How much of a drop chance explains, where the report pairs the float model with the integer model sample by
// sample and the pairing gives exactly the drop judged (every runtime that scored it equals the integer reference).
function pairedNote(r: BudgetFigures, drop: number): string | undefined {
  const p = r.accuracyDrop;
  if (!p || p.samples === 0 || Math.abs((p.floatOnly - p.integerOnly) / p.samples - drop) > 0.5 / p.samples) return undefined;
  const n = INT.format(p.samples);
  return `standard error ${formatValue(p.standardError, 'accuracy')}, paired over ${n} test samples: ${INT.format(p.floatOnly)} right only in float, ${INT.format(p.integerOnly)} only in the integer model`;
}

function check(name: string, unit: BudgetUnit, limit: number, fig: Figure | string, atLeast = false): BudgetResult {
  return typeof fig === 'string' ? skipped(name, unit, limit, fig) : judge(name, unit, fig, limit, atLeast);
}

export interface BudgetOptions {
  // A budget that cannot be measured fails instead of being skipped (CI's default: dropping the emulator from a
  // target must not pass its instruction and arena budgets).
  strict?: boolean;
  baseline?: BaselineOption; // an earlier report this one may not regress from (its comparisons join the budgets)
}

export interface BaselineOption {
  file: string; // as the user named it
  report: RunReport;
  tolerance: Tolerance;
}

function strictly(b: BudgetResult): BudgetResult {
  if (b.verdict !== 'skip' || b.message.includes(NOT_APPLICABLE)) return b;
  return {
    ...b,
    verdict: 'fail',
    message: b.message.replace(/: skipped, /, ': cannot be measured, ') + ' (strict: an unmeasured budget fails; --no-strict skips it)',
  };
}

function instructions(r: BudgetFigures, target: TargetProfile): Figure | string {
  return deviceFigure(r, target, 'instruction count', (v) => v.instructionsPerInference?.max ?? null);
}

function profileBudgets(r: BudgetFigures, target: TargetProfile): BudgetResult[] {
  const b = target.budgets;
  const out: BudgetResult[] = [];
  if (b.modelFlashBytes !== undefined) {
    // What the board flashes: the device form where the model has one (packed 2:4 weights without their dense copy).
    const [value, source] =
      r.model.deviceBytes !== undefined ? [r.model.deviceBytes, `${r.model.file}'s device form`] : [r.model.fileBytes, r.model.file];
    out.push(judge('modelFlashBytes', 'bytes', { value, source }, b.modelFlashBytes));
  }
  if (b.arenaBytes !== undefined) {
    out.push(
      check(
        'arenaBytes',
        'bytes',
        b.arenaBytes,
        deviceFigure(r, target, 'arena size', (v) => v.arenaBytes),
      ),
    );
  }
  if (b.instructionsPerInference !== undefined) {
    out.push(check('instructionsPerInference', 'instructions', b.instructionsPerInference, instructions(r, target)));
  }
  // A model without an audio frontend (an image classifier on the same target) has no end-to-end figure to judge;
  // nor has a checked model run on inputs that are no keyword-spotting dataset.
  if (b.endToEndInstructions !== undefined && r.dataset?.task !== 'image') {
    const e2e = deviceFigure(
      r,
      target,
      'end-to-end instruction count (a run from audio)',
      (v) => v.audio?.endToEndInstructions?.max ?? null,
    );
    if (r.check && r.dataset?.task !== 'kws')
      out.push(
        notApplicable(
          'endToEndInstructions',
          'instructions',
          b.endToEndInstructions,
          `the model was checked on ${r.check.inputs} inputs, not on a keyword-spotting dataset's audio`,
        ),
      );
    else out.push(check('endToEndInstructions', 'instructions', b.endToEndInstructions, e2e));
  }
  if (b.msPerInference !== undefined) {
    const ins = instructions(r, target);
    const ms =
      typeof ins === 'string'
        ? ins
        : {
            value: estimateMs(ins.value, target),
            source: `${ins.source} at ${target.clockMHz} MHz, ${target.cyclesPerInstruction} cycles/instr`,
          };
    out.push(check('msPerInference', 'ms', b.msPerInference, ms));
  }
  const acc = integerAccuracy(r);
  const unlabelled =
    r.check && !r.check.labelled
      ? `the model was checked on ${r.check.inputs} inputs without labels (give --data for accuracy)`
      : undefined;
  if (b.minAccuracy !== undefined)
    out.push(
      unlabelled
        ? notApplicable('minAccuracy', 'accuracy', b.minAccuracy, unlabelled)
        : check('minAccuracy', 'accuracy', b.minAccuracy, acc, true),
    );
  if (b.maxAccuracyDrop !== undefined && r.check) {
    out.push(
      notApplicable('maxAccuracyDrop', 'accuracy', b.maxAccuracyDrop, 'a checked model has no float model in the report to drop from'),
    );
  } else if (b.maxAccuracyDrop !== undefined) {
    const float = r.stages.find((s) => s.name === 'float');
    const to = typeof acc === 'string' ? acc : sameSamplesAsFloat(r, acc);
    const drop: Figure | string =
      typeof to === 'string'
        ? to
        : float
          ? {
              value: Math.round(Math.max(0, float.accuracy - to.value) * 1e6) / 1e6,
              source: `float -> ${to.source}`,
              note: pairedNote(r, float.accuracy - to.value),
            }
          : 'no float stage in the report';
    out.push(check('maxAccuracyDrop', 'accuracy', b.maxAccuracyDrop, drop));
  }
  return out;
}

// The part's physical memory: the firmware image in flash, its static RAM plus arena in RAM (microcontrollers; a
// phone's app has no firmware image).
function memoryChecks(r: BudgetFigures, target: TargetProfile): BudgetResult[] {
  if (target.kind !== 'mcu') return [];
  return [
    check(
      'deviceFlashBytes',
      'bytes',
      target.memory.flashBytes,
      deviceFigure(r, target, 'image size', (v) => v.flashBytes),
    ),
    check(
      'deviceRamBytes',
      'bytes',
      target.memory.ramBytes,
      deviceFigure(r, target, 'RAM use', (v) => v.ramBytes),
    ),
  ];
}

// The model's operators must be among those the target lists (what its runtime is built with).
function operatorChecks(r: BudgetFigures, target: TargetProfile): BudgetResult[] {
  const ops = r.model.operators;
  if (!ops) return [];
  const allowed = new Set<string>(target.operators);
  const missing = ops.filter((op) => !allowed.has(op));
  const message =
    missing.length === 0
      ? `operators: the model's ${ops.join(', ')} are all among ${target.name}'s operators`
      : `operators: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not among ${target.name}'s operators (${target.operators.join(', ')})`;
  return [{ name: 'operators', limit: 0, value: missing.length, unit: 'ops', verdict: missing.length === 0 ? 'pass' : 'fail', message }];
}

// Every runtime of the profile must have run and agree with the integer reference (bit-exact unless tolerant).
// Whether a runtime agrees with the integer reference: within its tolerance where it has one, bit-exact elsewhere.
export function agreesWithReference(runtime: string, v: Pick<RuntimeVerification, 'mismatches' | 'maxDiff'>): boolean {
  const tolerance = TOLERANT_RUNTIMES[runtime];
  return tolerance === undefined ? v.mismatches === 0 : v.maxDiff <= tolerance;
}

function exactnessChecks(r: BudgetFigures, target: TargetProfile): BudgetResult[] {
  return target.runtimes.map((rt): BudgetResult => {
    const name = `exact:${rt}`;
    const v = r.verification[rt];
    const tolerance = TOLERANT_RUNTIMES[rt];
    const unit = tolerance === undefined ? 'values' : 'lsb';
    if (v === undefined) return { name, limit: tolerance ?? 0, value: null, unit, verdict: 'fail', message: `${name}: ${rt} did not run` };
    const differ = `${v.mismatches} int8 output values over ${v.samples} samples differ from the integer reference (max diff ${v.maxDiff} LSB)`;
    const pass = agreesWithReference(rt, v);
    if (tolerance !== undefined) {
      return {
        name,
        limit: tolerance,
        value: v.maxDiff,
        unit,
        verdict: pass ? 'pass' : 'fail',
        message: `${name}: ${differ}${pass ? '' : `, limit ${tolerance} LSB`}`,
      };
    }
    return {
      name,
      limit: 0,
      value: v.mismatches,
      unit,
      verdict: pass ? 'pass' : 'fail',
      message: `${name}: ${differ}${pass ? '' : ', must be bit-exact'}`,
    };
  });
}

// A run from audio: the board's C frontend must compute the host frontend's int8 features, and the model on them
// the integer reference's outputs.
function frontendChecks(r: BudgetFigures, target: TargetProfile): BudgetResult[] {
  return target.runtimes.flatMap((rt): BudgetResult[] => {
    const a = r.verification[rt]?.audio;
    if (!a) return [];
    const name = `exact-from-audio:${rt}`;
    const value = a.featureValuesDiffering + a.mismatches;
    const what = `${a.featureValuesDiffering} of ${a.featureValues} int8 features from the board's frontend differ from the host's, ${a.mismatches} output values from the integer reference (${a.clips} clips)`;
    return [
      {
        name,
        limit: 0,
        value,
        unit: 'values',
        verdict: value === 0 ? 'pass' : 'fail',
        message: `${name}: ${what}${value === 0 ? '' : ', must be bit-exact'}`,
      },
    ];
  });
}

export function checkBudgets(r: BudgetFigures, target: TargetProfile, opts: BudgetOptions = {}): BudgetResult[] {
  const all = [
    ...profileBudgets(r, target),
    ...memoryChecks(r, target),
    ...operatorChecks(r, target),
    ...exactnessChecks(r, target),
    ...frontendChecks(r, target),
  ];
  return opts.strict ? all.map(strictly) : all;
}

// Completes a report: judges it against its target and sets the overall verdict.
export function finalizeReport(r: Omit<RunReport, 'budgets' | 'ok'>, target: TargetProfile, opts: BudgetOptions = {}): RunReport {
  const b = opts.baseline;
  const budgets = [...checkBudgets(r, target, opts), ...(b ? compareBaseline(r, b.report, b.tolerance) : [])];
  return {
    ...r,
    ...(b ? { baseline: { file: b.file, tolerance: b.tolerance } } : {}),
    budgets,
    ok: budgets.every((x) => x.verdict !== 'fail'),
  };
}
