// pqk check's inputs: the .npy reader and writer, .npy and random inputs shaped and quantized for a model.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { quantizeValue } from '../../src/int/quantize.js';
import { npyInputs, randomInputs } from '../../src/pipeline/check.js';
import { readVerifiable } from '../../src/pipeline/verify.js';
import { parseNpy, writeNpy } from '../../src/util/npy.js';

const MLPERF = 'test/fixtures/mlperf-tiny-kws/kws_ref_model.tflite';
const model = readVerifiable(new Uint8Array(readFileSync(MLPERF)), MLPERF);

test('a converter-made model is read for checking: its input shape and quantization, its outputs', () => {
  assert.deepEqual(model.inputShape, [49, 10, 1]);
  assert.equal(model.outputs, 12);
  assert.ok(model.inputScale > 0 && Number.isInteger(model.inputZeroPoint));
});

test('npy: int8 and float32 arrays survive writing and reading, values and shapes', () => {
  const i8 = Int8Array.from({ length: 2 * 3 * 5 }, (_, i) => ((i * 37) % 256) - 128);
  const a = parseNpy(writeNpy(i8, [2, 3, 5]), 'a.npy');
  assert.equal(a.dtype, 'int8');
  assert.deepEqual(a.shape, [2, 3, 5]);
  assert.deepEqual([...a.data], [...i8]);
  const f32 = Float32Array.from({ length: 7 }, (_, i) => i / 3 - 1);
  const b = parseNpy(writeNpy(f32, [7]), 'b.npy');
  assert.equal(b.dtype, 'float32');
  assert.deepEqual(b.shape, [7]);
  assert.deepEqual([...b.data], [...f32]);
  // NumPy's own layout: the header (magic, version, length, dict) is padded so the data starts on 64 bytes.
  const bytes = writeNpy(f32, [7]);
  assert.equal((bytes.length - 7 * 4) % 64, 0);
});

test('npy: what is not a readable array is named with the reason', () => {
  const good = writeNpy(new Int8Array(6), [2, 3]);
  assert.throws(
    () => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy'),
    /x\.npy: not a \.npy array pqk reads: no \\x93NUMPY magic/,
  );
  const text = new TextDecoder('latin1').decode(good);
  const patched = (from: string, to: string): Uint8Array =>
    Uint8Array.from(text.replace(from, to.padEnd(from.length)), (c) => c.charCodeAt(0));
  assert.throws(() => parseNpy(patched("'fortran_order': False", "'fortran_order': True"), 'f.npy'), /f\.npy: .*Fortran order/);
  assert.throws(() => parseNpy(patched("'|i1'", "'<i8'"), 'd.npy'), /d\.npy: .*dtype '<i8'/);
  assert.throws(
    () => parseNpy(good.subarray(0, good.length - 1), 't.npy'),
    /t\.npy: .*shape \(2, 3\) of int8 needs 6 bytes of data, the file has 5/,
  );
});

test('npy inputs: one sample or N, int8 as given, floats quantized with the model input parameters', () => {
  const per = 49 * 10;
  const one = Int8Array.from({ length: per }, (_, i) => (i % 255) - 127);
  const [only, ...rest] = npyInputs(model, writeNpy(one, [49, 10, 1]), 'one.npy');
  assert.equal(rest.length, 0);
  assert.deepEqual([...only!], [...one]);
  const floats = Float32Array.from({ length: 3 * per }, (_, i) => Math.sin(i) * 200);
  const three = npyInputs(model, writeNpy(floats, [3, 49, 10, 1]), 'three.npy');
  assert.equal(three.length, 3);
  for (const k of [0, 1, 2])
    for (const i of [0, 17, per - 1])
      assert.equal(three[k]![i], quantizeValue(floats[k * per + i]!, model.inputScale, model.inputZeroPoint));
  // Values beyond the input's range saturate, as TFLite's QUANTIZE does.
  assert.ok(three.some((s) => s.includes(127)) && three.some((s) => s.includes(-128)));
});

test('npy inputs of another shape or of uint8 are refused, naming both shapes', () => {
  assert.throws(
    () => npyInputs(model, writeNpy(new Int8Array(2 * 490), [2, 490]), 'flat.npy'),
    /flat\.npy: the model's input is 49x10x1 per sample \(a \.npy of shape \(49, 10, 1\) or \(N, 49, 10, 1\)\), the file has \(2, 490\)/,
  );
  assert.throws(() => npyInputs(model, writeNpy(new Int8Array(0), [0, 49, 10, 1]), 'empty.npy'), /empty\.npy: the array holds 0 samples/);
  const u8 = writeNpy(new Int8Array(490), [49, 10, 1]);
  const text = new TextDecoder('latin1').decode(u8).replace("'|i1'", "'|u1'");
  assert.throws(
    () =>
      npyInputs(
        model,
        Uint8Array.from(text, (c) => c.charCodeAt(0)),
        'u8.npy',
      ),
    /u8\.npy: uint8 values/,
  );
});

test('random inputs: seeded, of the input size, spread over the whole int8 range', () => {
  const a = randomInputs(model, 4, 7);
  const b = randomInputs(model, 4, 7);
  const c = randomInputs(model, 4, 8);
  assert.equal(a.length, 4);
  assert.ok(a.every((s) => s.length === 490));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const all = a.flatMap((s) => [...s]);
  assert.equal(Math.min(...all), -128);
  assert.equal(Math.max(...all), 127);
});
