// junit.xml: each budget one testcase, so any CI lists failed budgets natively.
import type { BudgetResult } from './types.js';

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function testcase(b: BudgetResult, classname: string): string {
  const open = `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(b.name)}" time="0"`;
  const msg = escapeXml(b.message);
  if (b.verdict === 'fail') return `${open}>\n      <failure message="${msg}" type="budget">${msg}</failure>\n    </testcase>`;
  if (b.verdict === 'skip') return `${open}>\n      <skipped message="${msg}"/>\n    </testcase>`;
  return `${open}>\n      <system-out>${msg}</system-out>\n    </testcase>`;
}

// One suite per run, named after the target; `timestamp` is the report's createdAt.
export function renderJunit(budgets: BudgetResult[], opts: { target: string; timestamp: string }): string {
  const failures = budgets.filter((b) => b.verdict === 'fail').length;
  const skipped = budgets.filter((b) => b.verdict === 'skip').length;
  const name = escapeXml(`pqk budgets: ${opts.target}`);
  const counts = `tests="${budgets.length}" failures="${failures}" errors="0" skipped="${skipped}"`;
  const classname = `pqk.budgets.${opts.target}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="pqk" ${counts}>`,
    `  <testsuite name="${name}" ${counts} time="0" timestamp="${escapeXml(opts.timestamp)}">`,
    ...budgets.map((b) => testcase(b, classname)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
