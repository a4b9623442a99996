// File-format properties: buffer alignment and buffer 0, operator versions and codes as upstream assigns them,
// schema values identical to upstream, generated code in sync with the schema, verifier ids in sync with the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import type { QModel, QOp } from '../../src/int/graph.js';
import { BuiltinOperator, BuiltinOptions, Model, TensorType } from '../../src/tflite/generated/index.js';
import { parseTflite } from '../../src/tflite/reader.js';
import { MODEL_SPEC, type TableSpec } from '../../src/tflite/verify-spec.js';
import { opVersion, signatureOf } from '../../src/tflite/versions.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { dsCnn, ModelBuilder, singleOpModels } from './fixtures.js';

function root(bytes: Uint8Array): Model {
  return Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
}

test('every non-empty buffer starts 16-byte aligned; buffer 0 is empty', () => {
  const files = [writeTflite(dsCnn()), writeTflite(dsCnn('int4'), { floatIO: true }), ...singleOpModels().map((c) => writeTflite(c.model))];
  for (const bytes of files) {
    const m = root(bytes);
    assert.equal(m.buffers(0)!.dataLength(), 0);
    let checked = 0;
    for (let i = 1; i < m.buffersLength(); i++) {
      const buf = m.buffers(i)!;
      if (buf.dataLength() === 0) continue;
      const start = buf.bb!.__vector(buf.bb_pos + buf.bb!.__offset(buf.bb_pos, 4));
      assert.equal(start % 16, 0, `buffer ${i} data starts at byte ${start}`);
      checked++;
    }
    assert.ok(checked > 0);
  }
});

const EXPECTED_VERSIONS: Record<string, number> = {
  // tensorflow/lite/tools/versioning/op_version.cc
  'CONV_2D int8': 3,
  'CONV_2D int4': 7,
  'DEPTHWISE_CONV_2D int8': 3,
  'DEPTHWISE_CONV_2D int4': 7,
  'FULLY_CONNECTED int8': 4,
  'FULLY_CONNECTED int4': 10,
  AVERAGE_POOL_2D: 2,
  MAX_POOL_2D: 2,
  MEAN: 2,
  ADD: 2,
  RESHAPE: 1,
  SOFTMAX: 2,
  PAD: 2,
  CONCATENATION: 2,
  MUL: 2,
  LOGISTIC: 2,
  HARD_SWISH: 1,
  SQUEEZE: 1,
  EXPAND_DIMS: 1,
};

test('operator versions match op_version.cc for each op and weight type', () => {
  for (const { name, model } of singleOpModels()) {
    const { opVersions } = parseTflite(writeTflite(model));
    if (name === 'QUANTIZE+DEQUANTIZE') assert.deepStrictEqual(opVersions, [1, 2], name);
    else assert.deepStrictEqual(opVersions, [EXPECTED_VERSIONS[name]], name);
  }
});

test('version rules beyond the plain int8 cases', () => {
  const fc = singleOpModels().find((c) => c.name === 'FULLY_CONNECTED int8')!.model;
  const noBias: QModel = { ...fc, ops: [{ ...fc.ops[0]!, inputs: fc.ops[0]!.inputs.slice(0, 2) }] };
  assert.equal(parseTflite(writeTflite(noBias)).opVersions[0], 6);
  const keep = { ...fc.ops[0]!, op: 'FULLY_CONNECTED', options: { activation: 'NONE', keepNumDims: true } } as const;
  assert.equal(opVersion(signatureOf(fc, keep)), 5);
  // Float depthwise with dilation is version 2; hybrid (float activations, int8 per-channel weights) is 6.
  const b = new ModelBuilder(5);
  const [x, y] = [b.act('x', [1, 5, 5, 2], 'float32'), b.act('y', [1, 1, 1, 2], 'float32')];
  const wf =
    b.tensors.push({ name: 'wf', shape: [1, 3, 3, 2], dtype: 'float32', scale: [], zeroPoint: [], data: new Float32Array(18) }) - 1;
  const options = { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 2, dilationW: 2, activation: 'NONE', depthMultiplier: 1 } as const;
  const dw: QOp = { op: 'DEPTHWISE_CONV_2D', inputs: [x, wf], outputs: [y], options };
  assert.equal(opVersion(signatureOf(b.model([x], [y]), dw)), 2);
  const w8 = b.weights('w8', [1, 3, 3, 2], 3);
  assert.equal(opVersion(signatureOf(b.model([x], [y]), { ...dw, inputs: [x, w8] })), 6);
});

test('one operator code per (op, version), with both builtin code fields set', () => {
  const m = dsCnn();
  // One pointwise conv with int4 weights: CONV_2D then needs a version-3 and a version-7 code.
  const pw = m.tensors.findIndex((t) => t.name === 'pw2/w');
  const w = m.tensors[pw]!;
  m.tensors[pw] = { ...w, dtype: 'int4', data: (w.data as Int8Array).map((v) => Math.max(-8, Math.min(7, v))) };
  const r = root(writeTflite(m));
  const codes = Array.from({ length: r.operatorCodesLength() }, (_, i) => r.operatorCodes(i)!);
  const conv = codes.filter((c) => c.builtinCode() === BuiltinOperator.CONV_2D).map((c) => c.version());
  assert.deepStrictEqual(conv.sort(), [3, 7]);
  for (const c of codes) assert.equal(c.deprecatedBuiltinCode(), c.builtinCode());
  assert.equal(new Set(codes.map((c) => `${c.builtinCode()}:${c.version()}`)).size, codes.length);
});

test('schema enum and union values are upstream TFLite values', () => {
  // tensorflow/lite/schema/schema.fbs
  const ops = [
    BuiltinOperator.ADD,
    BuiltinOperator.AVERAGE_POOL_2D,
    BuiltinOperator.CONCATENATION,
    BuiltinOperator.CONV_2D,
    BuiltinOperator.DEPTHWISE_CONV_2D,
    BuiltinOperator.DEQUANTIZE,
    BuiltinOperator.FULLY_CONNECTED,
    BuiltinOperator.LOGISTIC,
    BuiltinOperator.MAX_POOL_2D,
    BuiltinOperator.MUL,
    BuiltinOperator.RESHAPE,
    BuiltinOperator.SOFTMAX,
    BuiltinOperator.PAD,
    BuiltinOperator.MEAN,
    BuiltinOperator.SQUEEZE,
    BuiltinOperator.EXPAND_DIMS,
    BuiltinOperator.QUANTIZE,
    BuiltinOperator.HARD_SWISH,
  ];
  assert.deepStrictEqual(ops, [0, 1, 2, 3, 4, 6, 9, 14, 17, 18, 22, 25, 34, 40, 43, 70, 114, 117]);
  const options = [
    BuiltinOptions.Conv2DOptions,
    BuiltinOptions.DepthwiseConv2DOptions,
    BuiltinOptions.Pool2DOptions,
    BuiltinOptions.FullyConnectedOptions,
    BuiltinOptions.SoftmaxOptions,
    BuiltinOptions.ConcatenationOptions,
    BuiltinOptions.AddOptions,
    BuiltinOptions.ReshapeOptions,
    BuiltinOptions.MulOptions,
    BuiltinOptions.PadOptions,
    BuiltinOptions.ReducerOptions,
    BuiltinOptions.SqueezeOptions,
    BuiltinOptions.DequantizeOptions,
    BuiltinOptions.ExpandDimsOptions,
    BuiltinOptions.QuantizeOptions,
    BuiltinOptions.HardSwishOptions,
  ];
  assert.deepStrictEqual(options, [1, 2, 5, 8, 9, 10, 11, 17, 21, 22, 27, 30, 38, 52, 89, 91]);
  assert.deepStrictEqual([TensorType.FLOAT32, TensorType.INT32, TensorType.INT8, TensorType.INT4], [0, 2, 9, 17]);
});

test('generated code is in sync with the schema (gen-tflite.sh --check), and the check catches drift', () => {
  const ok = spawnSync('bash', ['scripts/gen-tflite.sh', '--check'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'pqk-gen-'));
  try {
    cpSync('src/tflite/generated', dir, { recursive: true });
    appendFileSync(join(dir, 'tflite', 'tensor.ts'), '// hand edit\n');
    const bad = spawnSync('bash', ['scripts/gen-tflite.sh', '--check'], {
      encoding: 'utf8',
      env: { ...process.env, GEN_TFLITE_DEST: dir },
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /differs from what flatc/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// table name -> field name -> id, from the explicit (id: N) annotations in the schema.
function schemaIds(): Map<string, Map<string, number>> {
  const fbs = readFileSync('src/tflite/schema/tflite.fbs', 'utf8');
  const out = new Map<string, Map<string, number>>();
  for (const [, name, body] of fbs.matchAll(/table\s+(\w+)\s*\{([^}]*)\}/g)) {
    const fields = new Map<string, number>();
    for (const [, field, id] of body!.matchAll(/(\w+)\s*:[^;]*\(\s*id:\s*(\d+)/g)) fields.set(field!, Number(id));
    out.set(name!, fields);
  }
  return out;
}

test('the verifier reads the same field ids as the schema declares', () => {
  const ids = schemaIds();
  const seen = new Set<string>();
  const walk = (spec: TableSpec): void => {
    if (seen.has(spec.name)) return;
    seen.add(spec.name);
    const table = ids.get(spec.name);
    assert.ok(table, `schema has no table ${spec.name}`);
    let unions = 0;
    for (const [id, [name, field]] of Object.entries(spec.fields)) {
      // A union's hidden type field sits one id below the union field.
      const want: number | undefined = name.endsWith('_type') && !table.has(name) ? table.get(name.slice(0, -5))! - 1 : table.get(name);
      assert.equal(Number(id), want, `${spec.name}.${name}`);
      if (field.kind === 'table' || field.kind === 'tables') walk(field.spec);
      if (field.kind === 'union') {
        unions++;
        assert.equal(field.typeId, Number(id) - 1);
        Object.values(field.members).forEach(walk);
      }
    }
    assert.equal(Object.keys(spec.fields).length, table.size + unions, `${spec.name} covers every schema field`);
  };
  walk(MODEL_SPEC);
  assert.equal(seen.size, ids.size, 'every schema table is verified');
});
