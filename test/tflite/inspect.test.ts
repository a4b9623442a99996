// inspectTflite on the DS-CNN: size breakdown (the overhead figure is printed), MACs, sparsity, versions, and the
// text rendering; the `pqk inspect` command on good, missing and malformed files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCommand } from '../../src/cli/commands/inspect.js';
import { UserError, type CommandContext } from '../../src/cli/command.js';
import { elementCount } from '../../src/int/graph.js';
import { inspectTflite } from '../../src/tflite/inspect.js';
import { renderInspect } from '../../src/tflite/inspect-text.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { dsCnn } from './fixtures.js';

test('DS-CNN: flatbuffer overhead under 5% of the file + 2 KB', () => {
  const model = dsCnn();
  const bytes = writeTflite(model);
  const r = inspectTflite(bytes);
  const weights = model.tensors.filter((t) => t.dtype === 'int8' && t.data).reduce((s, t) => s + t.data!.length, 0);
  const biases = model.tensors.filter((t) => t.dtype === 'int32' && t.data).reduce((s, t) => s + 4 * t.data!.length, 0);
  const quant = model.tensors.reduce((s, t) => s + 12 * t.scale.length, 0);
  assert.equal(weights, 22016);
  assert.equal(r.fileBytes, bytes.length);
  assert.equal(r.payloadBytes, weights + biases + quant);
  assert.equal(r.fileBytes, r.payloadBytes + r.metadataBytes + r.overheadBytes);
  const limit = 0.05 * r.fileBytes + 2048;
  console.log(
    `DS-CNN int8: file ${r.fileBytes} B, payload ${r.payloadBytes} B, metadata ${r.metadataBytes} B, ` +
      `overhead ${r.overheadBytes} B (${((100 * r.overheadBytes) / r.fileBytes).toFixed(1)}%, limit ${limit.toFixed(0)} B)`,
  );
  assert.ok(r.overheadBytes < limit, `overhead ${r.overheadBytes} >= ${limit}`);
  const r4 = inspectTflite(writeTflite(dsCnn('int4')));
  console.log(`DS-CNN int4: file ${r4.fileBytes} B, payload ${r4.payloadBytes} B, overhead ${r4.overheadBytes} B`);
  assert.equal(r4.payloadBytes, r.payloadBytes - weights / 2);
});

test('MACs per op and in total', () => {
  const r = inspectTflite(writeTflite(dsCnn()));
  const [h, w, c] = [25, 5, 64];
  const conv0 = h * w * c * 10 * 4 * 1;
  const dw = h * w * c * 3 * 3;
  const pw = h * w * c * 1 * 1 * 64;
  const fc = 64 * 12;
  assert.deepStrictEqual(
    r.operators.map((o) => o.macs),
    [conv0, dw, pw, dw, pw, dw, pw, dw, pw, 0, 0, fc, 0],
  );
  assert.equal(r.macs, conv0 + 4 * dw + 4 * pw + fc);
  assert.equal(r.macs, 2_656_768);
});

test('sparsity, versions, quantization and metadata in the report', () => {
  const model = dsCnn();
  const r = inspectTflite(writeTflite(model));
  for (const [i, t] of model.tensors.entries()) {
    const isWeight = /\/w$/.test(t.name);
    assert.equal(r.tensors[i]!.sparsity !== undefined, isWeight, t.name);
    if (isWeight) {
      const zeros = Array.from(t.data!).filter((v) => v === 0).length;
      assert.equal(r.tensors[i]!.sparsity, zeros / elementCount(t.shape));
      assert.ok(r.tensors[i]!.sparsity! > 0.2 && r.tensors[i]!.sparsity! < 0.4);
    }
  }
  assert.deepStrictEqual(
    r.operators.map((o) => o.version),
    [3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 1, 4, 2],
  );
  assert.equal(r.tensors[2]!.quantizedDim, 0);
  assert.equal(r.tensors[5]!.quantizedDim, 3);
  assert.equal(r.tensors[2]!.bytes, 2560);
  assert.equal(r.minRuntimeVersion, '1.14.0');
  assert.deepStrictEqual(r.metadata, model.metadata);
  const text = renderInspect(r, 'ds.tflite');
  assert.match(text, /^ds\.tflite: [\d,]+ bytes \(payload [\d,]+, metadata \d+, overhead [\d,]+ = \d+\.\d%\)/);
  assert.match(text, /MACs: 2,656,768/);
  assert.match(text, /#0 CONV_2D v3 .*strideH=2 .*macs=320,000/);
  assert.match(text, /#2 conv0\/w {2}int8\[64,10,4,1\] {2}const 2,560 B {2}per-channel\(dim 0\) x64 .*sparsity=\d+\.\d%/);
});

function context(positionals: string[], json: boolean): { ctx: CommandContext; logs: string[] } {
  const logs: string[] = [];
  return { ctx: { values: { json }, positionals, json, log: (l) => logs.push(l) }, logs };
}

async function captureStdout(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  try {
    return { code: await fn(), out };
  } finally {
    process.stdout.write = write;
  }
}

test('pqk inspect: text, --json, missing file, malformed file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-inspect-'));
  try {
    const file = join(dir, 'ds.tflite');
    writeFileSync(file, writeTflite(dsCnn()));
    const text = context([file], false);
    assert.equal(await inspectCommand.run(text.ctx), 0);
    assert.match(text.logs.join('\n'), /MACs: 2,656,768/);

    const json = context([file], true);
    const { code, out } = await captureStdout(() => inspectCommand.run(json.ctx));
    assert.equal(code, 0);
    const obj = JSON.parse(out) as { file: string; fileBytes: number; payloadBytes: number; macs: number; operators: unknown[] };
    assert.equal(obj.file, file);
    assert.equal(obj.macs, 2_656_768);
    assert.equal(obj.fileBytes, inspectTflite(writeTflite(dsCnn())).fileBytes);
    assert.ok(obj.payloadBytes > 30000 && obj.payloadBytes < obj.fileBytes);
    assert.equal(obj.operators.length, 13);

    const missing = join(dir, 'nope.tflite');
    await assert.rejects(
      inspectCommand.run(context([missing], false).ctx),
      (e) => e instanceof UserError && e.message === `${missing}: no such file`,
    );
    const bad = join(dir, 'bad.tflite');
    writeFileSync(bad, 'not a flatbuffer at all');
    await assert.rejects(
      inspectCommand.run(context([bad], false).ctx),
      (e) => e instanceof UserError && e.message.startsWith(`${bad}: not a valid pqk TFLite model: file: file identifier is`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
