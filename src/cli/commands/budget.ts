// `pqk budget`: re-judges a report.json against its target's budgets and, optionally, an earlier run's report.
import { EXIT, optStr, printJson, UserError, type Command, type CommandContext } from '../command.js';
import { STRICT_FLAGS, strictBudgets } from '../strict.js';
import { compareBaseline } from '../../report/baseline.js';
import { BASELINE_FLAGS, baselineOption } from '../baseline-flags.js';
import { checkBudgets } from '../../report/budgets.js';
import { readReport } from '../../report/json.js';
import { atomicWrite } from '../../util/fs.js';
import { renderJunit } from '../../report/junit.js';
import type { BudgetResult, RunReport } from '../../report/types.js';
import { listTargets, loadTarget } from '../../targets/load.js';
import type { TargetProfile } from '../../targets/types.js';

// The profile named by --target, else the one the report was made for.
function resolveTarget(ctx: CommandContext, report: RunReport, file: string): TargetProfile {
  const flag = optStr(ctx, 'target');
  if (flag !== undefined) return loadTarget(flag);
  if (!listTargets().includes(report.target)) {
    throw new UserError(
      `${file} was made for target '${report.target}', which is not built in; pass --target path/to/${report.target}.json`,
    );
  }
  return loadTarget(report.target);
}

function summary(results: BudgetResult[]): string {
  const n = (v: string) => results.filter((b) => b.verdict === v).length;
  return `${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped`;
}

async function run(ctx: CommandContext): Promise<number> {
  const [file, ...extra] = ctx.positionals;
  if (file === undefined || extra.length > 0) throw new UserError('expected exactly one REPORT.json', EXIT.USAGE);
  const baseline = baselineOption(ctx);
  const baselineFile = baseline?.file;

  const report = readReport(file);
  const target = resolveTarget(ctx, report, file);
  const results = checkBudgets(report, target, { strict: strictBudgets(ctx) });
  if (baseline) results.push(...compareBaseline(report, baseline.report, baseline.tolerance));
  const ok = results.every((b) => b.verdict !== 'fail');

  const junit = optStr(ctx, 'junit');
  if (junit !== undefined) atomicWrite(junit, renderJunit(results, { target: target.name, timestamp: report.createdAt }));

  ctx.log(`${file} against ${target.name}${baselineFile ? ` and baseline ${baselineFile}` : ''}:`);
  for (const b of results) ctx.log(`  ${b.verdict.toUpperCase().padEnd(4)} ${b.message}`);
  ctx.log(`${ok ? 'PASS' : 'FAIL'}: ${summary(results)}`);
  if (ctx.json) printJson({ ok, report: file, target: target.name, baseline: baselineFile ?? null, budgets: results });
  return ok ? EXIT.OK : EXIT.BUDGET_VIOLATION;
}

export const budgetCommand: Command = {
  name: 'budget',
  summary: "check a run's report.json against its target's budgets and a baseline report",
  usage:
    'budget REPORT.json [--target NAME|FILE] [--baseline OLD_REPORT.json] [--tolerance bytes=0.02,instructions=0.02,accuracy=0.01] [--junit OUT.xml] [--json]',
  flags: {
    target: { type: 'string', value: 'NAME|FILE', help: 'judge against this target', default: 'the one the report names' },
    ...BASELINE_FLAGS,
    junit: { type: 'string', value: 'FILE', help: 'also write the verdicts as JUnit XML (one test case per budget)' },
    ...STRICT_FLAGS,
  },
  examples: [
    'pqk budget runs/ci/report.json',
    'pqk budget runs/ci/report.json --baseline baseline/report.json --tolerance bytes=0.02,instructions=0.02,accuracy=0.01 --junit budgets.xml',
  ],
  exitCodes: '3 a budget failed or the report regressed against the baseline',
  run,
};
