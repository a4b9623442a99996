// The packed form of 2:4 CONV_2D weights (metadata "pqk_2of4"): its layout byte for byte, the inverse, which weights
// get one, and that the file stays what TFLite reads (the reader gives back the same model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/util/rng.js';
import { deviceBytes, deviceForm } from '../../src/deploy/device-form.js';
import { loadTarget } from '../../src/targets/load.js';
import {
  pack2of4,
  pack2of4Int4,
  packed2of4,
  packed2of4Tensors,
  packed2of4Types,
  unpack2of4,
  unpack2of4Int4,
} from '../../src/tflite/packed-2of4.js';
import { inspectTflite } from '../../src/tflite/inspect.js';
import { renderInspect } from '../../src/tflite/inspect-text.js';
import { parseTflite, readTflite } from '../../src/tflite/reader.js';
import { writeTflite } from '../../src/tflite/writer.js';
import { dsCnn } from './fixtures.js';

// Every group of four keeps its two largest (or fewer) weights.
function sparsify(d: Int8Array, seed: number): Int8Array {
  const r = mulberry32(seed);
  const out = Int8Array.from(d);
  for (let i = 0; i < out.length; i += 4) {
    const order = [0, 1, 2, 3].sort((a, b) => Math.abs(out[i + a]!) - Math.abs(out[i + b]!));
    const drop = 2 + Math.floor(r() * 3); // 2, 3 or 4 of the four
    for (let k = 0; k < drop; k++) out[i + order[k]!] = 0;
  }
  return out;
}

test('2:4 packing: offsets and weight pairs where the kernels read them', () => {
  // Row 0: groups [0, 5, 0, -3] (pair (1,3), number 4), [7, 0, 0, 0] (pair (0,1)), [0, 0, -128, 127] (pair (2,3), 5),
  // [0, 0, 0, 0] (pair (0,1)).
  const w = Int8Array.from([0, 5, 0, -3, 7, 0, 0, 0, 0, 0, -128, 127, 0, 0, 0, 0]);
  const p = pack2of4(w, 1, 16)!;
  assert.deepEqual([...p], [64, 96, 80, 96, 5, 7, 0xfd, 0, 0x80, 0, 127, 0]);
  assert.deepEqual(unpack2of4(p, 1, 16), w);
});

test('2:4 packing: inverse on random weights; three weights in a group or a depth not a multiple of 16: none', () => {
  const r = mulberry32(5);
  const dense = Int8Array.from({ length: 24 * 48 }, () => Math.floor(r() * 256) - 128);
  const w = sparsify(dense, 6);
  const p = pack2of4(w, 24, 48)!;
  assert.equal(p.length, (24 * 48 * 3) / 4);
  assert.deepEqual(unpack2of4(p, 24, 48), w);
  const three = w.slice();
  three.set([1, 2, 3, 0], 40);
  assert.equal(pack2of4(three, 24, 48), undefined);
  assert.equal(pack2of4(w.subarray(0, 24 * 40), 24, 40), undefined);
});

test('2:4 int4 packing: entry numbers in nibbles, the weights where a dense int4 word widens them', () => {
  // Groups 0-7: [0, 5, 0, -3] (pair (1,3), number 4), [7, 0, 0, 0] (pair (0,1), 0 + 6), [0, 0, -8, 7] (pair (2,3),
  // 5), zeros (pair (0,1), 0 + 6), [1, -1, 0, 0] (0), [0, 0, 0, 2] (a pair that holds position 3: (0,3), 2 + 6),
  // [0, -4, 6, 0] ((1,2), 3), [-2, 0, 3, 0] ((0,2), 1 + 6).
  const w = Int8Array.from([0, 5, 0, -3, 7, 0, 0, 0, 0, 0, -8, 7, 0, 0, 0, 0, 1, -1, 0, 0, 0, 0, 0, 2, 0, -4, 6, 0, -2, 0, 3, 0]);
  const p = pack2of4Int4(w, 1, 32)!;
  // Numbers nibble by nibble (group 0 lowest): 4, 6, 5, 6, 0, 8, 3, 7. Word 1 (groups 0-3): byte 0 = g0's first
  // (5) low, g2's first (-8) high; byte 1 = g1's first (7), g3's (0); byte 2 = g0's second (-3 = 0xd), g2's (7);
  // byte 3 = g1's second (0), g3's (0). Word 2 likewise: 1 | -4, 0 | -2, -1 | 6, 2 | 3.
  assert.deepEqual([...p], [0x64, 0x65, 0x80, 0x73, 0x85, 0x07, 0x7d, 0x00, 0xc1, 0xe0, 0x6f, 0x32]);
  assert.deepEqual(unpack2of4Int4(p, 1, 32), w);
});

test('2:4 int4 packing: inverse on random weights, 3/8 of a byte a weight; a depth not a multiple of 32: none', () => {
  const r = mulberry32(7);
  const w = sparsify(
    Int8Array.from({ length: 24 * 96 }, () => Math.floor(r() * 16) - 8),
    8,
  );
  const p = pack2of4Int4(w, 24, 96)!;
  assert.equal(p.length, (24 * 96 * 3) / 8);
  assert.deepEqual(unpack2of4Int4(p, 24, 96), w);
  assert.equal(pack2of4Int4(w.subarray(0, 24 * 48), 24, 48), undefined);
  const three = w.slice();
  three.set([1, 2, 3, 0], 40);
  assert.equal(pack2of4Int4(three, 24, 96), undefined);
});

test('2:4 packing: int4 convs get the int4 layout, and the entry says which types it packs', () => {
  const m = dsCnn('int4');
  const convs = m.ops.filter((o) => o.op === 'CONV_2D').map((o) => o.inputs[1]!);
  for (const t of convs) m.tensors[t]!.data = sparsify(m.tensors[t]!.data as Int8Array, t);
  const bytes = writeTflite(m, { packTwoOfFour: true });
  const packed = packed2of4Tensors(bytes);
  const packable = convs.filter((t) => ((m.tensors[t]!.data as Int8Array).length / m.tensors[t]!.shape[0]!) % 32 === 0);
  assert.ok(packable.length > 0);
  assert.deepEqual([...packed.keys()], packable);
  for (const t of packable) assert.equal(packed.get(t), ((m.tensors[t]!.data as Int8Array).length * 3) / 8);
  assert.equal(packed2of4Types(bytes), 2);
  assert.deepStrictEqual(readTflite(bytes), readTflite(writeTflite(m)));
  const m8 = dsCnn('int8');
  for (const o of m8.ops.filter((o) => o.op === 'CONV_2D'))
    m8.tensors[o.inputs[1]!]!.data = sparsify(m8.tensors[o.inputs[1]!]!.data as Int8Array, 3);
  assert.equal(packed2of4Types(writeTflite(m8, { packTwoOfFour: true })), 1);
  assert.equal(packed2of4Types(writeTflite(m8)), 0);
});

test('2:4 packing: the writer adds it for 2:4 convs only, and the reader gives back the same model', () => {
  const m = dsCnn('int8');
  const plain = writeTflite(m);
  assert.deepEqual(writeTflite(m, { packTwoOfFour: true }), plain, 'dense weights: nothing to pack');
  const convs = m.ops.filter((o) => o.op === 'CONV_2D').map((o) => o.inputs[1]!);
  const packable = convs.filter((t) => ((m.tensors[t]!.data as Int8Array).length / m.tensors[t]!.shape[0]!) % 16 === 0);
  assert.ok(packable.length > 0 && packable.length < convs.length, `${packable.length} of ${convs.length} convs`);
  for (const t of convs) m.tensors[t]!.data = sparsify(m.tensors[t]!.data as Int8Array, t);
  const meta = packed2of4(m)!.bytes;
  const v = new DataView(meta.buffer);
  assert.equal(v.getUint32(4, true), packable.length);
  packable.forEach((t, i) => {
    assert.equal(v.getUint32(8 + 12 * i, true), t);
    const [off, bytes] = [v.getUint32(12 + 12 * i, true), v.getUint32(16 + 12 * i, true)];
    const rows = m.tensors[t]!.shape[0]!;
    const data = m.tensors[t]!.data as Int8Array;
    assert.deepEqual(unpack2of4(meta.subarray(off, off + bytes), rows, data.length / rows), data);
  });
  const bytes = writeTflite(m, { packTwoOfFour: true });
  const without = writeTflite(m);
  assert.ok(bytes.length >= without.length + meta.length, `${bytes.length} vs ${without.length} + ${meta.length}`);
  assert.deepStrictEqual(readTflite(bytes), readTflite(without));
  assert.equal(parseTflite(bytes).metadataBytes - parseTflite(without).metadataBytes, meta.length);
  // pqk inspect names the tensors that have a packed form and its bytes.
  const report = inspectTflite(bytes);
  for (const t of report.tensors)
    assert.equal(
      t.packed2of4Bytes,
      packable.includes(t.index) ? (t.shape.reduce((a, b) => a * b, 1) * 3) / 4 : undefined,
      `tensor ${t.index}`,
    );
  assert.equal(
    renderInspect(report)
      .split('\n')
      .filter((l) => l.includes('packed 2:4 3,072 B')).length,
    packable.length,
  );
  assert.ok(inspectTflite(without).tensors.every((t) => t.packed2of4Bytes === undefined));
});

test('2:4 packing: the device form leaves the dense copies out, once', () => {
  const m = dsCnn('int8');
  const dense = writeTflite(m);
  assert.equal(deviceForm(dense), dense, 'no packed weights: the same bytes');
  const convs = m.ops.filter((o) => o.op === 'CONV_2D').map((o) => o.inputs[1]!);
  for (const t of convs) m.tensors[t]!.data = sparsify(m.tensors[t]!.data as Int8Array, t);
  const both = writeTflite(m, { packTwoOfFour: true });
  const device = deviceForm(both);
  const packed = packed2of4Tensors(both);
  const denseBytes = [...packed.keys()].reduce((n, t) => n + (m.tensors[t]!.data as Int8Array).length, 0);
  assert.ok(both.length - device.length >= denseBytes, `${both.length} -> ${device.length}, ${denseBytes} dense bytes`);
  assert.ok(device.length < writeTflite(m).length, 'smaller than the dense file');
  assert.deepEqual(packed2of4Tensors(device), packed, 'the same packed tensors');
  assert.equal(deviceForm(device), device, 'the device form of the device form is itself');
  // What a target flashes: the device form on a microcontroller, the file on a phone and for dense weights.
  assert.deepEqual(deviceBytes(both, loadTarget('cortex-m4')), { deviceBytes: device.length });
  assert.deepEqual(deviceBytes(both, loadTarget('android-arm64')), {});
  assert.deepEqual(deviceBytes(dense, loadTarget('cortex-m4')), {});
});
