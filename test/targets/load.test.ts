import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { deviceRuntime, estimateMs } from '../../src/targets/device.js';
import { listTargets, loadTarget, parseTarget } from '../../src/targets/load.js';
import { packageRoot, targetsDir } from '../../src/targets/root.js';

const BUILT_IN = ['android-arm64', 'cortex-m33', 'cortex-m4', 'cortex-m4-int4', 'cortex-m55', 'cortex-m7'];

function rawProfile(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(targetsDir(), `${name}.json`), 'utf8')) as Record<string, unknown>;
}

function withFile(content: unknown, body: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-target-'));
  const file = join(dir, 'board.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  try {
    body(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every built-in profile validates and is consistent', () => {
  assert.deepEqual(listTargets(), BUILT_IN);
  for (const name of listTargets()) {
    const t = loadTarget(name);
    assert.equal(t.name, name, `${name}.json names itself`);
    assert.ok(!('$schema' in t));
    const dev = deviceRuntime(t);
    assert.ok(dev !== undefined, `${name} verifies on its own emulator`);
    assert.equal(dev, t.kind === 'mcu' ? `qemu:${t.cpu}` : 'arm64');
    assert.equal(t.runtimes.includes('tflite'), t.quantization.weightBits === 8, `${name}: tflite runs exactly the int8 profiles`);
    assert.ok(t.budgets.modelFlashBytes! <= t.memory.flashBytes && (t.budgets.arenaBytes ?? 0) <= t.memory.ramBytes);
    // An arena budget only where the target's emulator measures one (the Cortex-M firmware does; arm64 TFLite does not).
    assert.equal(t.budgets.arenaBytes !== undefined, t.kind === 'mcu', `${name}: arena budget`);
    const { instructionsPerInference: ins, msPerInference: ms } = t.budgets;
    assert.ok(ins !== undefined || ms !== undefined, `${name} budgets speed`);
    // A run within the instruction budget must not fail the time budget on its own.
    if (ins !== undefined && ms !== undefined)
      assert.ok(estimateMs(ins, t) <= ms, `${name}: ${ins} instructions take ${estimateMs(ins, t)} ms > ${ms}`);
  }
});

test('profiles carry the patterns and parts that pay off there', () => {
  const m4 = loadTarget('cortex-m4');
  assert.deepEqual(m4.emulator, { type: 'qemu-system', machine: 'mps2-an386', cpu: 'cortex-m4' });
  assert.equal(m4.sparsity.pattern, 'channel');
  assert.deepEqual([m4.memory.flashBytes, m4.memory.ramBytes, m4.clockMHz], [1 << 20, 192 * 1024, 168]);
  assert.equal(loadTarget('cortex-m55').sparsity.pattern, 'channel');
  assert.equal(loadTarget('android-arm64').sparsity.pattern, '2:4');
  assert.deepEqual(loadTarget('cortex-m55').emulator, { type: 'qemu-system', machine: 'mps3-an547', cpu: 'cortex-m55' });
  const int4 = loadTarget('cortex-m4-int4');
  assert.equal(int4.quantization.weightBits, 4);
  assert.deepEqual(int4.runtimes, ['litert', 'qemu:cortex-m4']);
  assert.deepEqual(loadTarget('android-arm64').emulator, { type: 'qemu-user', binary: 'qemu-aarch64' });
});

test('estimateMs converts instructions with the profile clock and CPI', () => {
  const m4 = loadTarget('cortex-m4');
  // 16.8 M instructions x 1.3 cycles / 168 MHz = 130 ms
  assert.ok(Math.abs(estimateMs(16_800_000, m4) - 130) < 1e-9);
});

test('loadTarget reads a user file by path, the same as a built-in', () => {
  const board = { ...rawProfile('cortex-m7'), name: 'my-board', clockMHz: 216 };
  withFile(board, (file) => {
    const t = loadTarget(file);
    assert.equal(t.name, 'my-board');
    assert.equal(t.clockMHz, 216);
  });
});

test('a malformed profile names the file and the field', () => {
  const base = rawProfile('cortex-m4');
  const cases: [unknown, RegExp][] = [
    [{ ...base, budgets: { arenaBytes: 'big' } }, /board\.json: \/budgets\/arenaBytes must be integer/],
    [(({ clockMHz: _c, ...rest }) => rest)(base), /board\.json: \/ is missing required field 'clockMHz'/],
    [
      { ...base, sparsity: { pattern: '3:4', level: 0.5 } },
      /board\.json: \/sparsity\/pattern must be one of \["unstructured","2:4","1:4","channel"\]/,
    ],
    [{ ...base, budget: {} }, /board\.json: \/ has unknown field 'budget'/],
    [{ ...base, emulator: { type: 'qemu-system', machine: 5, cpu: 'cortex-m4' } }, /board\.json: \/emulator\/machine must be string/],
    [
      { ...base, emulator: { type: 'qemu-system', machine: 'mps2-an999', cpu: 'cortex-m4' } },
      /board\.json: \/emulator\/machine 'mps2-an999' is no board in firmware-harness\/boards\/ \(mps2-an386 \(cortex-m4\), mps2-an500 \(cortex-m7\), mps2-an505 \(cortex-m33\), mps3-an547 \(cortex-m55\)\)/,
    ],
    [
      { ...base, emulator: { type: 'qemu-system', machine: 'mps2-an386', cpu: 'cortex-m7' } },
      /board\.json: \/emulator\/cpu 'cortex-m7' is not the CPU of board mps2-an386 \(cortex-m4\)/,
    ],
    [{ ...base, operators: ['CONV_2D', 'GELU'] }, /board\.json: \/operators\/1 must be one of/],
    [{ ...base, quantization: { ...(base.quantization as object), weightBits: 4 } }, /board\.json: \/runtimes must not include 'tflite'/],
    [{ ...base, kind: 'mobile' }, /board\.json: \/emulator\/type must be 'qemu-user' for kind 'mobile'/],
    ['{ "name": ', /board\.json: .*JSON/],
  ];
  for (const [content, want] of cases) withFile(content, (file) => assert.throws(() => loadTarget(file), want));
});

test('an unknown name lists the known targets; a missing file is named', () => {
  assert.throws(() => loadTarget('cortex-m99'), /unknown target 'cortex-m99'; known targets: android-arm64, cortex-m33, cortex-m4, /);
  assert.throws(() => loadTarget('boards/none.json'), /target file boards\/none\.json does not exist/);
  assert.throws(() => parseTarget({ name: 'x' }, 'inline.json'), /inline\.json: \/ is missing required field 'kind'/);
});

// Compiled output lives at another depth (dist/src/targets/); the profiles must still be found from there.
test('the loader finds targets/ from a compiled copy at a different depth', async () => {
  const dist = join(packageRoot(), 'node_modules', '.cache', `pqk-targets-test-${process.pid}`, 'dist', 'src');
  const out = join(dist, 'targets');
  try {
    // The loader and everything it imports, found by following its relative imports.
    const todo = ['targets/load'];
    const done = new Set<string>();
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (done.has(f)) continue;
      done.add(f);
      const src = readFileSync(join(packageRoot(), 'src', `${f}.ts`), 'utf8');
      for (const m of src.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) todo.push(join(dirname(f), m[1]!));
      const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      mkdirSync(dirname(join(dist, f)), { recursive: true });
      writeFileSync(join(dist, `${f}.js`), js);
    }
    const mod = (await import(pathToFileURL(join(out, 'load.js')).href)) as typeof import('../../src/targets/load.js');
    assert.deepEqual(mod.listTargets(), BUILT_IN);
    assert.equal(mod.loadTarget('cortex-m33').clockMHz, 100);
  } finally {
    rmSync(join(out, '..', '..', '..'), { recursive: true, force: true });
  }
});
