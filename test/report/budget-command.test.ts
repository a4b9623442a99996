import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT, UserError, type CommandContext, type ParsedValues } from '../../src/cli/command.js';
import { budgetCommand } from '../../src/cli/commands/budget.js';
import { writeReportJson } from '../../src/report/json.js';
import type { RunReport } from '../../src/report/types.js';
import { packageRoot, targetsDir } from '../../src/targets/root.js';
import { sampleReport } from './fixture.js';
import { findAll, parseXmlFile } from './xml.js';

async function runBudget(positionals: string[], values: ParsedValues = {}): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const ctx: CommandContext = { values, positionals, json: false, log: (l) => lines.push(l) };
  try {
    return { code: await budgetCommand.run(ctx), lines };
  } catch (e) {
    if (e instanceof UserError) return { code: e.exitCode, lines: [...lines, e.message] };
    throw e;
  }
}

function inDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-budget-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function save(dir: string, name: string, r: RunReport): string {
  const file = join(dir, name);
  writeReportJson(file, r);
  return file;
}

test('a report inside its budgets exits 0; the target comes from the report', () =>
  inDir(async (dir) => {
    const { code, lines } = await runBudget([save(dir, 'report.json', sampleReport())]);
    assert.equal(code, EXIT.OK);
    assert.match(lines[0]!, /report\.json against cortex-m4:$/);
    assert.equal(lines.at(-1), 'PASS: 12 passed, 0 failed, 0 skipped');
  }));

test('a tighter --target file fails with exit 3 and names each failed budget with value and limit', () =>
  inDir(async (dir) => {
    const board = JSON.parse(readFileSync(join(targetsDir(), 'cortex-m4.json'), 'utf8')) as Record<string, unknown>;
    const boardFile = join(dir, 'tiny-board.json');
    writeFileSync(
      boardFile,
      JSON.stringify({ ...board, name: 'tiny-board', budgets: { modelFlashBytes: 16_384, instructionsPerInference: 8_000_000 } }),
    );
    const junit = join(dir, 'out', 'junit.xml');
    const { code, lines } = await runBudget([save(dir, 'report.json', sampleReport())], { target: boardFile, junit });
    assert.equal(code, EXIT.BUDGET_VIOLATION);
    const fails = lines.filter((l) => l.startsWith('  FAIL'));
    assert.deepEqual(fails, [
      '  FAIL modelFlashBytes: 24,000 B exceeds limit 16,384 B (model.tflite, 146% of limit)',
      '  FAIL instructionsPerInference: 9.50 M instr exceeds limit 8.00 M instr (qemu:cortex-m4, 119% of limit)',
    ]);
    const xml = await parseXmlFile(junit);
    assert.equal(findAll(xml, 'testcase').length, 8); // two budgets, accuracy twice, memory twice, operators, exact from audio
    assert.equal(findAll(xml, 'failure').length, 2);
  }));

test('--baseline fails a run that grew beyond --tolerance and passes it within', () =>
  inDir(async (dir) => {
    const base = sampleReport();
    const grown = { ...base, model: { ...base.model, fileBytes: 25_000 } }; // +4.2 %
    const report = save(dir, 'report.json', grown);
    const baseline = save(dir, 'baseline.json', base);
    const strict = await runBudget([report], { baseline, tolerance: 'bytes=0.02' });
    assert.equal(strict.code, EXIT.BUDGET_VIOLATION);
    assert.ok(strict.lines.includes('  FAIL baseline.fileBytes: 25,000 B vs baseline 24,000 B (+4.2%, tolerance +2.0%)'));
    const loose = await runBudget([report], { baseline, tolerance: 'bytes=0.05' });
    assert.equal(loose.code, EXIT.OK);
  }));

test('bad or missing files and flags exit with an error naming them', () =>
  inDir(async (dir) => {
    const missing = await runBudget([join(dir, 'nope.json')]);
    assert.equal(missing.code, EXIT.ERROR);
    assert.match(missing.lines.at(-1)!, /nope\.json: no such file/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"ok": true}');
    const bad = await runBudget([broken]);
    assert.equal(bad.code, EXIT.ERROR);
    assert.match(bad.lines.at(-1)!, /broken\.json is not a pqk report/);
    const report = save(dir, 'report.json', sampleReport());
    const noBase = await runBudget([report], { baseline: join(dir, 'old.json') });
    assert.equal(noBase.code, EXIT.ERROR);
    assert.match(noBase.lines.at(-1)!, /old\.json: no such file/);
    const custom = save(dir, 'custom.json', { ...sampleReport(), target: 'my-board' });
    assert.match((await runBudget([custom])).lines.at(-1)!, /made for target 'my-board', which is not built in; pass --target/);
    assert.equal((await runBudget([report], { target: 'cortex-m99' })).code, EXIT.ERROR);
    assert.equal((await runBudget([])).code, EXIT.USAGE);
    assert.equal((await runBudget([report], { tolerance: 'bytes=0.1' })).code, EXIT.USAGE);
    assert.equal((await runBudget([report], { baseline: report, tolerance: 'size=1' })).code, EXIT.USAGE);
  }));

// Through a real process: --json prints one object on stdout, the exit status is the verdict.
test('--json prints the judged budgets on stdout and exits 3 on a violation', () =>
  inDir(async (dir) => {
    const r = sampleReport();
    const report = save(dir, 'report.json', { ...r, model: { ...r.model, fileBytes: 70_000 } });
    const script = `import { budgetCommand } from './src/cli/commands/budget.ts';
      const code = await budgetCommand.run({ values: {}, positionals: [process.argv[1]], json: true, log: (l) => process.stderr.write(l + '\\n') });
      process.exitCode = code;`;
    const p = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, report], {
      cwd: packageRoot(),
      reject: false,
    });
    assert.equal(p.exitCode, EXIT.BUDGET_VIOLATION, p.stderr);
    const out = JSON.parse(p.stdout) as { ok: boolean; target: string; budgets: { name: string; verdict: string }[] };
    assert.equal(out.ok, false);
    assert.equal(out.target, 'cortex-m4');
    assert.deepEqual(
      out.budgets.filter((b) => b.verdict === 'fail').map((b) => b.name),
      ['modelFlashBytes'],
    );
    assert.match(p.stderr, /FAIL modelFlashBytes: 70,000 B exceeds limit 65,536 B/);
  }));
