import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EXIT, type CommandContext } from '../../src/cli/command.js';
import { importCommand } from '../../src/cli/commands/import.js';
import { UserError } from '../../src/errors.js';
import { graphB } from './graph-fixtures.js';
import { removeTempDirs, tempDir } from './layers-fixtures.js';

after(removeTempDirs);

function context(positionals: string[], values: CommandContext['values'], json: boolean, lines: string[]): CommandContext {
  return { positionals, values, json, log: (l) => lines.push(l) };
}

// Runs the command with stdout captured (--json prints there).
async function runCaptured(ctx: CommandContext): Promise<{ code: number; stdout: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let stdout = '';
  // The command prints strings; the test runner's own events (binary, from a child process) pass through.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await importCommand.run(ctx), stdout };
  } finally {
    process.stdout.write = write;
  }
}

test('pqk import --json prints format, layers, params, maxAbsDiff and out, and merges run.json', async () => {
  const out = tempDir('pqk-import-cmd-');
  writeFileSync(join(out, 'run.json'), JSON.stringify({ data: 'mnist', seed: 3 }));
  const lines: string[] = [];
  const { code, stdout } = await runCaptured(context([graphB(2)], { out, data: 'fashion-mnist' }, true, lines));
  assert.equal(code, EXIT.OK);
  assert.equal(tf.getBackend(), 'cpu');
  const r = JSON.parse(stdout);
  assert.deepEqual([r.format, r.layers, r.out, r.logits], ['graph', 8, out, false]);
  // depthwise 3x3x4 + 4, pointwise 4x8 + 8, fc1 8x6 + 6, fc2 6x3 + 3
  assert.equal(r.params, 36 + 4 + 32 + 8 + 48 + 6 + 18 + 3);
  assert.ok(r.maxAbsDiff < 1e-4);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.deepEqual([run.data, run.seed, run.model, run.format, run.numClasses], ['fashion-mnist', 3, 'imported', 'graph', 3]);
  assert.deepEqual(run.inputShape, [9, 9, 4]);
  assert.ok(existsSync(join(out, 'checkpoints', 'float.json')));
});

test('pqk import names a missing model file and a missing --out', async () => {
  await assert.rejects(
    importCommand.run(context(['/nonexistent/model.json'], { out: '/tmp/x' }, false, [])),
    /model file not found: \/nonexistent\/model.json/,
  );
  await assert.rejects(importCommand.run(context([graphB(2)], {}, false, [])), /missing required flag --out/);
  await assert.rejects(
    importCommand.run(context([], { out: '/tmp/x' }, false, [])),
    /expected exactly one model: a float MODEL\.tflite, MODEL\.onnx or MODEL_DIR\/model\.json/,
  );
  // A file that is none of the three says what it was taken for; a model.json that is not JSON just that
  const dir = tempDir('pqk-import-bad-');
  const notes = join(dir, 'notes.md');
  writeFileSync(notes, '# notes\n');
  await assert.rejects(
    importCommand.run(context([notes], { out: join(dir, 'run') }, false, [])),
    /notes\.md: not a \.tflite \(no TFL3 identifier\), not an \.onnx file, and as a tfjs model\.json not valid JSON \(/,
  );
  const broken = join(dir, 'model.json');
  writeFileSync(broken, '{"modelTopology": ');
  await assert.rejects(importCommand.run(context([broken], { out: join(dir, 'run2') }, false, [])), /model\.json: not valid JSON \(/);
  // JSON of the wrong shape is refused naming the field, before a parser walks it.
  const malformed: [object, RegExp][] = [
    [{ modelTopology: 1 }, /model\.json: \/modelTopology must be object/],
    [{ format: 'graph-model', modelTopology: { node: 5 } }, /model\.json: \/modelTopology\/node must be array/],
    [{ format: 'graph-model', modelTopology: { node: [{ name: 'a' }] } }, /\/modelTopology\/node\/0 is missing required field 'op'/],
    [
      { modelTopology: { class_name: 'Sequential' }, weightsManifest: [{ paths: 'w.bin', weights: [] }] },
      /\/weightsManifest\/0\/paths must be array/,
    ],
  ];
  for (const [json, message] of malformed) {
    writeFileSync(broken, JSON.stringify(json));
    await assert.rejects(importCommand.run(context([broken], { out: join(dir, 'run3') }, false, [])), (e: Error) => {
      assert.ok(e instanceof UserError, `${e.name}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
  }
});
