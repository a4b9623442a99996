import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx } from '../../src/data/idx.js';
import { loadDataset } from '../../src/data/index.js';

test('IDX header and big-endian data parse, plain and gzipped', () => {
  // Hand-written bytes: magic 00 00 08 03, dims 2x2x3 big-endian, then 12 ubyte pixels.
  const bytes = Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, ...Array.from({ length: 12 }, (_, i) => i * 20)]);
  for (const b of [bytes, gzipSync(bytes)]) {
    const idx = parseIdx(b, 'x.idx');
    assert.deepEqual(idx.dims, [2, 2, 3]);
    assert.deepEqual([...idx.data], [0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220]);
  }
  const ints = parseIdx(Buffer.from([0, 0, 0x0c, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0]), 'i.idx');
  assert.deepEqual([...ints.data], [-2, 256]);
  assert.deepEqual([...parseIdx(encodeIdx(0x0d, [2], [1.5, -0.25]), 'f.idx').data], [1.5, -0.25]);
});

test('bad IDX files are named with the problem', () => {
  const good = encodeIdx(0x08, [2, 3], [1, 2, 3, 4, 5, 6]);
  assert.throws(() => parseIdx(good.subarray(0, 12), 'short.idx'), /short\.idx: truncated: dims 2x3 need 18 bytes, file has 12/);
  assert.throws(() => parseIdx(Buffer.concat([good, Buffer.from([0])]), 'long.idx'), /long\.idx: 1 bytes after the data/);
  assert.throws(() => parseIdx(Buffer.from('PK\x03\x04'), 'zip.idx'), /zip\.idx: not an IDX file/);
  assert.throws(() => parseIdx(Buffer.from([0, 0, 7, 1]), 't.idx'), /t\.idx: unknown IDX data type 0x7/);
});

test('a folder of the four MNIST IDX files loads as an image dataset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqk-idx-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, n: number, gz: boolean): void => {
    const labels = Array.from({ length: n }, (_, i) => i % 10);
    const pixels = Array.from({ length: n * 784 }, (_, p) => (Math.floor(p / 784) % 10) * 25);
    const img = encodeIdx(0x08, [n, 28, 28], pixels);
    const lab = encodeIdx(0x08, [n], labels);
    writeFileSync(join(dir, `${name}-images-idx3-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(img) : img);
    writeFileSync(join(dir, `${name}-labels-idx1-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(lab) : lab);
  };
  write('train', 100, true);
  write('t10k', 20, false);
  const ds = await loadDataset(dir);
  assert.deepEqual(ds.inputShape, [28, 28, 1]);
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [90, 10, 20]);
  // Every image is filled with its label * 25 / 255: labels and pixels must stay paired through the split.
  for (const s of [ds.train, ds.val, ds.test]) {
    for (let i = 0; i < s.n; i++) assert.ok(Math.abs(s.x[i * 784 + 400] - (s.y[i] * 25) / 255) < 1e-6);
  }
});
