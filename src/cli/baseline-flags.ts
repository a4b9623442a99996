// --baseline OLD_REPORT.json [--tolerance ...]: compare a run with an earlier one (pqk run, pqk check, pqk budget).
import { UserError, EXIT } from '../errors.js';
import { parseTolerance } from '../report/baseline.js';
import { readReport } from '../report/index.js';
import type { BaselineOption } from '../report/budgets.js';
import { optStr, type CommandContext, type FlagSpec } from './command.js';

export const BASELINE_FLAGS: Record<string, FlagSpec> = {
  baseline: { type: 'string', value: 'FILE', help: "an earlier run's report.json: sizes, instructions and accuracy must not regress" },
  tolerance: {
    type: 'string',
    value: 'LIST',
    help: 'allowed regression against --baseline, as fractions',
    default: 'bytes=0.02,instructions=0.02,accuracy=0.01',
  },
};

// The baseline report, read and checked now (before any work), or undefined without --baseline.
export function baselineOption(ctx: CommandContext): BaselineOption | undefined {
  const file = optStr(ctx, 'baseline');
  const toleranceText = optStr(ctx, 'tolerance');
  if (toleranceText !== undefined && file === undefined) throw new UserError('--tolerance needs --baseline', EXIT.USAGE);
  if (file === undefined) return undefined;
  return { file, report: readReport(file), tolerance: parseTolerance(toleranceText ?? '') };
}
