// Comparing a run with an earlier one: bytes and instructions may not grow, accuracy may not drop, beyond a tolerance.
import { UsageError } from '../errors.js';
import { formatValue } from './format.js';
import type { BudgetResult, BudgetUnit, RunReport } from './types.js';

// bytes and instructions are relative growth (0.02 = 2 %); accuracy is an absolute drop (0.01 = one point).
export interface Tolerance {
  bytes: number;
  instructions: number;
  accuracy: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { bytes: 0.02, instructions: 0.02, accuracy: 0.01 };

// Parses 'bytes=0.02,instructions=0.02,accuracy=0.01'; keys left out keep their defaults.
export function parseTolerance(text: string, flag = '--tolerance'): Tolerance {
  const out: Tolerance = { ...DEFAULT_TOLERANCE };
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [key, raw, ...rest] = part.split('=');
    const value = Number(raw);
    if (!(key in DEFAULT_TOLERANCE) || rest.length > 0) {
      throw new UsageError(`${flag}: unknown entry '${part}'; expected bytes=F, instructions=F, accuracy=F`);
    }
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value < 0) {
      throw new UsageError(`${flag}: ${key} must be a number >= 0, got '${raw ?? ''}'`);
    }
    out[key as keyof Tolerance] = value;
  }
  return out;
}

function signedPercent(f: number): string {
  return `${f >= 0 ? '+' : ''}${(f * 100).toFixed(1)}%`;
}

// Growth of a cost figure relative to the baseline; fails beyond `tol`.
function growth(name: string, unit: BudgetUnit, cur: number | null, base: number | null, tol: number): BudgetResult {
  if (cur === null || base === null) {
    const missing = cur === null ? 'this run' : 'the baseline';
    return { name, limit: null, value: cur, unit, verdict: 'skip', message: `${name}: skipped, not measured in ${missing}` };
  }
  const limit = base * (1 + tol);
  const rel = base === 0 ? (cur === 0 ? 0 : Infinity) : cur / base - 1;
  const pass = cur <= limit;
  const message = `${name}: ${formatValue(cur, unit)} vs baseline ${formatValue(base, unit)} (${signedPercent(rel)}, tolerance +${(tol * 100).toFixed(1)}%)`;
  return { name, limit, value: cur, unit, verdict: pass ? 'pass' : 'fail', message };
}

function accuracyDrop(name: string, cur: number, base: number, tol: number): BudgetResult {
  const limit = base - tol;
  const pass = cur >= limit - 1e-12;
  const delta = `${cur >= base ? '+' : ''}${((cur - base) * 100).toFixed(2)} points`;
  const message = `${name}: ${formatValue(cur, 'accuracy')} vs baseline ${formatValue(base, 'accuracy')} (${delta}, tolerance -${(tol * 100).toFixed(2)} points)`;
  return { name, limit, value: cur, unit: 'accuracy', verdict: pass ? 'pass' : 'fail', message };
}

// One result for the model file (and one for its device form where either run has one), then per runtime both ran: arena, worst-sample instructions, accuracy.
export function compareBaseline(
  report: Pick<RunReport, 'model' | 'verification'>,
  baseline: RunReport,
  tol: Tolerance = DEFAULT_TOLERANCE,
): BudgetResult[] {
  const out = [growth('baseline.fileBytes', 'bytes', report.model.fileBytes, baseline.model.fileBytes, tol.bytes)];
  // Where a board flashes a device form (packed 2:4 weights without their dense copy), the bytes it flashes too: a
  // run without one flashes its file.
  if (report.model.deviceBytes !== undefined || baseline.model.deviceBytes !== undefined) {
    const flashed = (m: RunReport['model']): number => m.deviceBytes ?? m.fileBytes;
    out.push(growth('baseline.deviceBytes', 'bytes', flashed(report.model), flashed(baseline.model), tol.bytes));
  }
  const shared = Object.keys(report.verification).filter((rt) => rt in baseline.verification);
  for (const rt of shared) {
    const cur = report.verification[rt]!;
    const base = baseline.verification[rt]!;
    if (cur.arenaBytes !== null || base.arenaBytes !== null) {
      out.push(growth(`baseline.arenaBytes:${rt}`, 'bytes', cur.arenaBytes, base.arenaBytes, tol.bytes));
    }
    const ci = cur.instructionsPerInference?.max ?? null;
    const bi = base.instructionsPerInference?.max ?? null;
    if (ci !== null || bi !== null) out.push(growth(`baseline.instructions:${rt}`, 'instructions', ci, bi, tol.instructions));
    if (cur.accuracy !== null && base.accuracy !== null)
      out.push(accuracyDrop(`baseline.accuracy:${rt}`, cur.accuracy, base.accuracy, tol.accuracy));
    else
      out.push({
        name: `baseline.accuracy:${rt}`,
        limit: null,
        value: cur.accuracy,
        unit: 'accuracy',
        verdict: 'skip',
        message: `baseline.accuracy:${rt}: skipped, ${cur.accuracy === null ? 'this run' : 'the baseline'} had no labelled inputs`,
      });
  }
  if (shared.length === 0) {
    out.push({
      name: 'baseline.runtimes',
      limit: null,
      value: null,
      unit: 'accuracy',
      verdict: 'skip',
      message: 'baseline.runtimes: skipped, no runtime verified in both runs',
    });
  }
  return out;
}
