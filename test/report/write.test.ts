import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBudgets } from '../../src/report/budgets.js';
import { readReport } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { writeReport } from '../../src/report/write.js';
import { accuracyBudgetLines, accuracySpec, textBar } from '../../src/report/plots.js';
import { loadTarget } from '../../src/targets/load.js';
import { sampleReport } from './fixture.js';
import { findAll, parseXmlFile } from './xml.js';

const PLOTS = ['plot-accuracy.svg', 'plot-budgets.svg', 'plot-instructions.svg', 'plot-sparsity.svg'];

test('writeReport writes report.json, report.md with valid SVG plots beside it, and junit.xml', async () => {
  const target = loadTarget('cortex-m4');
  const r = sampleReport(target);
  const failing = { ...r, budgets: checkBudgets(r, { ...target, budgets: { ...target.budgets, modelFlashBytes: 20_000 } }), ok: false };
  const dir = mkdtempSync(join(tmpdir(), 'pqk-report-'));
  try {
    const files = await writeReport(dir, failing, target);
    assert.deepEqual(readdirSync(dir).sort(), ['junit.xml', ...PLOTS, 'report.json', 'report.md'].sort(), 'no temporary files left behind');
    assert.deepEqual(readReport(files.json), failing);

    const md = readFileSync(files.markdown, 'utf8');
    assert.match(md, /^# pqk report: cortex-m4 — FAIL\n/);
    assert.match(md, /\| target \| cortex-m4 \(cortex-m4 @ 168 MHz, QEMU mps2-an386\) \|/);
    assert.match(md, /\*\*FAIL\*\*: 11 passed, 1 failed, 0 skipped/);
    assert.match(md, /float 91\.00% → phase1 89\.00% → phase2 90\.00% → on-device 90\.00% \(qemu:cortex-m4\)/);
    assert.match(md, /24,000 B file \(884 B payload\), 851 params, 0\.01 M MACs, 25% sparse/);
    // 9.5 M x 1.3 / 168 MHz
    assert.match(
      md,
      /9\.50 M instr per inference \(worst sample, qemu:cortex-m4\), ≈ 73\.5 ms at 168 MHz \(an estimate: instructions × 1\.3 cycles per instruction, the target's CPI; the emulator counts instructions, not time\)/,
    );
    assert.match(md, /\| arena \| 28,000 B \(qemu:cortex-m4\) \|/);
    assert.match(
      md,
      /\| from audio \| 90\.00% on 10 clips through the C MFCC frontend on qemu:cortex-m4 \(from host features 90\.00%; 0 predictions, 0 of 4900 features differ\); per clip \(worst\) 3\.10 M instr in the frontend, 12\.60 M instr with the model; frontend scratch 4,296 B \+ one clip 32,000 B \|/,
    );
    assert.match(md, /- modelFlashBytes: 24,000 B exceeds limit 20,000 B/);
    assert.match(md, /\| modelFlashBytes \| 24,000 B \| 20,000 B \| 120% \| \*\*FAIL\*\* \|/);
    assert.match(
      md,
      /\| qemu:cortex-m4 \| 90\.00% \| 10 \| 0 \| 0 \| 9\.23 M instr \/ 9\.50 M instr \| 28,000 B \| 120,000 B \| QEMU 7\.2 \|/,
    );
    // The layer table: one row per op with the board's instructions in it and per MAC (40,000 / 2,304 = 17.36), and
    // the arena bytes live while it runs, the peak in bold.
    assert.match(
      md,
      /## Layers\n\n\| # \| op \| output \| MACs \| params \| bytes \| channels kept \| instructions \(qemu:cortex-m4\) \| per MAC \| arena live \|/,
    );
    assert.match(md, /\| 0 \| CONV_2D \| 1x8x8x4 \| 2,304 \| 40 \| 52 \| 4 \| 40,000 \| 17\.36 \| 1,024 B \|/);
    assert.match(md, /\| 1 \| DEPTHWISE_CONV_2D \| .* \| 30,000 \| [0-9.]+ \| \*\*1,536 B\*\* \|/);
    assert.match(md, /\| 2 \| FULLY_CONNECTED \| 1x3 \| 768 \| 771 \| 780 \| 3 \| 20,000 \| 26\.04 \| 512 B \|/);
    // Flash and RAM of the device image by part: the model, the rest of flash; the arena, the stack, the rest of RAM.
    assert.match(md, /## Memory \(qemu:cortex-m4 image\)\n\n\| memory \| part \| bytes \| % of cortex-m4's flash \/ RAM \|/);
    assert.match(md, /\| flash \| model \(`model.tflite` as a C array\) \| 24,000 B \| 2\.3% \|/);
    assert.match(md, /\| flash \| runtime code, tables, start-up and test runner \| 96,000 B \| 9\.2% \|/);
    assert.match(md, /\| RAM \| tensor arena \| 28,000 B \| 14% \|\n\| RAM \| stack \(reserved\) \| 8,192 B \| 4\.2% \|/);
    assert.match(
      md,
      /\| RAM \| other static data \(I\/O buffers, runtime state\) \| 3,808 B \| 1\.9% \|\n\| RAM \| \*\*total\*\* \| \*\*40,000 B\*\* \| 20% \|/,
    );
    // The device runtime's confusion matrix, class names from the dataset, recall per row.
    assert.match(
      md,
      /## Confusion matrix \(qemu:cortex-m4, 10 test samples\)\n\n\| true ↓ predicted → \| `yes` \| `no` \| `up` \| recall \|\n\| --- \| ---: \| ---: \| ---: \| ---: \|\n\| `yes` \| \*\*3\*\* \| · \| · \| 100\.00% \|\n\| `no` \| · \| \*\*3\*\* \| · \| 100\.00% \|\n\| `up` \| 1 \| · \| \*\*3\*\* \| 75\.00% \|/,
    );
    for (const p of PLOTS) assert.ok(md.includes(`](${p})`), `report.md links ${p}`);
    // Each plot also as text, for CI job summaries where the SVG cannot load: 91% of 100% is 21.84 of 24 characters, 175 eighths.
    assert.match(
      md,
      /<details><summary>Accuracy through the stages as text \(where the image cannot load, as in a CI job summary\)<\/summary>/,
    );
    assert.match(md, /\| float \| 91\.00% \| █{21}▉ \|/);
    assert.match(md, /\| budget: minAccuracy 85\.00% \| 85\.00% \| █{20}▍ \|/);
    // the failing flash budget at 120% sets the scale, so 100% is five sixths of it
    assert.match(md, /\| budget \| % of limit \| 0 – 120 % \|/);
    assert.match(md, /\| modelFlashBytes \(fail\) \| 120\.0% \| █{24} \|/);
    // the largest operator fills the bar; 20,000 of 40,000 instructions fills half
    assert.match(md, /\| #0 CONV_2D \| 40,000 \| █{24} \|/);
    assert.match(md, /\| #2 FULLY_CONNECTED \| 20,000 \| █{12} \|/);

    for (const p of PLOTS) {
      const svg = await parseXmlFile(join(dir, p));
      assert.equal(svg.tag, 'svg', `${p} is an SVG document`);
      assert.ok(Number(svg.attrib.width) > 0 && Number(svg.attrib.height) > 0);
      assert.ok(findAll(svg, 'path').length > 0, `${p} draws marks`);
    }
    // the per-operator plot labels each operator of the device run
    const ops = readFileSync(join(dir, 'plot-instructions.svg'), 'utf8');
    for (const label of ['#0 CONV_2D', '#1 DEPTHWISE_CONV_2D', '#2 FULLY_CONNECTED']) assert.ok(ops.includes(label), label);
    const junit = await parseXmlFile(files.junit);
    assert.equal(findAll(junit, 'testcase').length, failing.budgets.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('text bars: eighths of a character, capped at the scale, never empty for a value above zero', () => {
  assert.equal(textBar(50, 100), '█'.repeat(12));
  assert.equal(textBar(1, 100), '▎'); // 1.92 eighths of a character round to 2
  assert.equal(textBar(0.01, 100), '▏');
  assert.equal(textBar(250, 100), '█'.repeat(24));
  assert.equal(textBar(0, 100), '');
  assert.equal(textBar(3, 0), '');
});

test('the accuracy plot starts at 0 and draws the accuracy budgets as lines', () => {
  const r = sampleReport(loadTarget('cortex-m4'));
  const lines = accuracyBudgetLines(r);
  // cortex-m4: minAccuracy 85%; maxAccuracyDrop 2 points below the float model's 91%.
  assert.deepEqual(
    lines.map((l) => [l.label, Math.round(l.accuracy * 100) / 100]),
    [
      ['minAccuracy 85.00%', 85],
      ['float − maxAccuracyDrop', 89],
    ],
  );
  const spec = JSON.stringify(accuracySpec(r));
  assert.match(spec, /"scale":\{"domain":\[0,100\]\}/);
  assert.doesNotMatch(spec, /"zero":false/);
});

test('a report without device figures says so instead of plotting nothing', async () => {
  const r = sampleReport();
  const bare = { ...r, verification: {}, model: { ...r.model, sparsityPerLayer: [] } };
  const dir = mkdtempSync(join(tmpdir(), 'pqk-report-'));
  try {
    const files = await writeReport(dir, bare);
    assert.deepEqual(files.plots.map((p) => p.slice(dir.length + 1)).sort(), ['plot-accuracy.svg', 'plot-budgets.svg']);
    const md = readFileSync(files.markdown, 'utf8');
    assert.match(md, /No runtime verified this model\./);
    assert.match(md, /\| instructions \| — \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readReport names the file and the bad field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-report-'));
  try {
    assert.throws(() => readReport(join(dir, 'none.json')), /none\.json: no such file/);
    const bad = join(dir, 'bad.json');
    const r = sampleReport();
    writeFileSync(bad, JSON.stringify({ ...r, model: { ...r.model, fileBytes: 'big' } }));
    assert.throws(() => readReport(bad), /bad\.json is not a pqk report:\n.*bad\.json: \/model\/fileBytes must be integer/);
    writeFileSync(bad, '{"target": ');
    assert.throws(() => readReport(bad), /bad\.json: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report.md: an on-device accuracy over part of the test split names its sample count', () => {
  const r = sampleReport();
  const md = renderMarkdown({ ...r, dataset: { ...r.dataset!, test: 40 } }, [], loadTarget('cortex-m4'));
  assert.match(md, /→ on-device 90\.00% \(qemu:cortex-m4, 10 of 40 test samples\)/);
});

test('report.md: the accuracy drop with its paired standard error where the report has it; report.json keeps the counts', () => {
  const r = sampleReport();
  assert.doesNotMatch(renderMarkdown(r, [], loadTarget('cortex-m4')), /accuracy drop/);
  const accuracyDrop = { samples: 1200, floatOnly: 38, integerOnly: 17, standardError: 0.006159483428917648 };
  const md = renderMarkdown({ ...r, accuracyDrop }, [], loadTarget('cortex-m4'));
  assert.match(
    md,
    /\| accuracy drop \| 1\.75 points ± 0\.62 \(standard error; the float model and the shipped integer model paired over 1,200 test samples: 38 right only in float, 17 only in the integer model\) \|/,
  );
  const big = renderMarkdown({ ...r, accuracyDrop: { samples: 20000, floatOnly: 1234, integerOnly: 1000, standardError: 0.003 } }, []);
  assert.match(big, /1\.17 points ± 0\.30 \(.* over 20,000 test samples: 1,234 right only in float, 1,000 only in the integer model\)/);
  const dir = mkdtempSync(join(tmpdir(), 'pqk-drop-'));
  try {
    const file = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify({ ...r, accuracyDrop }));
    assert.deepEqual(readReport(file).accuracyDrop, accuracyDrop);
    writeFileSync(file, JSON.stringify({ ...r, accuracyDrop: { ...accuracyDrop, floatOnly: -1 } }));
    assert.throws(() => readReport(file), /\/accuracyDrop\/floatOnly must be >= 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
