import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBudgets } from '../../src/report/budgets.js';
import { renderJunit } from '../../src/report/junit.js';
import { loadTarget } from '../../src/targets/load.js';
import { sampleReport } from './fixture.js';
import { findAll, parseXmlFile } from './xml.js';

test('junit.xml has one testcase per budget, with failure and skipped elements CI understands', async () => {
  const r = sampleReport();
  const dev = r.verification['qemu:cortex-m4']!;
  const noArena = { ...r, verification: { ...r.verification, 'qemu:cortex-m4': { ...dev, arenaBytes: null } } };
  const target = { ...loadTarget('cortex-m4'), budgets: { modelFlashBytes: 1000, arenaBytes: 1000, minAccuracy: 0.5 } };
  const budgets = checkBudgets(noArena, target);
  const dir = mkdtempSync(join(tmpdir(), 'pqk-junit-'));
  try {
    const file = join(dir, 'junit.xml');
    writeFileSync(file, renderJunit(budgets, { target: 'cortex-m4 <"test">', timestamp: r.createdAt }));
    const root = await parseXmlFile(file);
    assert.equal(root.tag, 'testsuites');
    const suite = findAll(root, 'testsuite');
    assert.equal(suite.length, 1);
    assert.equal(suite[0]!.attrib.name, 'pqk budgets: cortex-m4 <"test">');
    const cases = findAll(root, 'testcase');
    assert.equal(cases.length, budgets.length);
    assert.deepEqual([root.attrib.tests, root.attrib.failures, root.attrib.skipped], [String(budgets.length), '1', '1']);
    assert.deepEqual([suite[0]!.attrib.tests, suite[0]!.attrib.failures, suite[0]!.attrib.skipped], [String(budgets.length), '1', '1']);
    const failed = cases.filter((c) => c.children.some((k) => k.tag === 'failure'));
    assert.deepEqual(
      failed.map((c) => c.attrib.name),
      ['modelFlashBytes'],
    );
    const failure = failed[0]!.children[0]!;
    assert.equal(failure.attrib.message, 'modelFlashBytes: 24,000 B exceeds limit 1,000 B (model.tflite, 2400% of limit)');
    assert.equal(failure.text, failure.attrib.message);
    const skipped = cases.filter((c) => c.children.some((k) => k.tag === 'skipped'));
    assert.deepEqual(
      skipped.map((c) => c.attrib.name),
      ['arenaBytes'],
    );
    assert.match(skipped[0]!.children[0]!.attrib.message!, /reported no arena size/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
