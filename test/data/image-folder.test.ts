// A folder of class folders of PNG/JPEG images is a dataset: classes from the folder names, pqk's seeded split or
// the user's train/val/test folders, pixels as written, a declared shape resizing bilinearly as TensorFlow does, and
// errors that name the file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage, loadDataset, reshapeImage } from '../../src/data/index.js';
import { DataError } from '../../src/data/errors.js';
import { lcg } from '../backend/fixed-point-data.js';
import { assertUserError, cli } from '../cli/harness.js';
import { useBackend } from '../backend/use-backend.js';

const root = mkdtempSync(join(tmpdir(), 'pqk-imgdir-'));
after(() => rmSync(root, { recursive: true, force: true }));

// A w x h PNG from RGB values in 0..255 (grey when r = g = b).
function png(path: string, w: number, h: number, rgb: (x: number, y: number) => [number, number, number]): void {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = 4 * (y * w + x);
      p.data.set([...rgb(x, y), 255], o);
    }
  writeFileSync(path, PNG.sync.write(p));
}

// Image k of class c: grey, its pixel (x, y) = (40 c + 3 k + x + 2 y) mod 256.
const value = (c: number, k: number, x: number, y: number): number => (40 * c + 3 * k + x + 2 * y) % 256;

function makeFolder(dir: string, classes: string[], per: number): void {
  classes.forEach((name, c) => {
    mkdirSync(join(dir, name), { recursive: true });
    for (let k = 0; k < per; k++)
      png(join(dir, name, `img${String(k).padStart(2, '0')}.png`), 6, 5, (x, y) => {
        const v = value(c, k, x, y);
        return [v, v, v];
      });
  });
}

test('class folders of PNG images: sorted class names, a stratified 80/10/10 split, the pixels as written', async () => {
  const dir = join(root, 'flat');
  makeFolder(dir, ['zebra', 'cat', 'dog'], 10);
  const d = await loadDataset(dir);
  assert.deepEqual(d.labels, ['cat', 'dog', 'zebra']);
  assert.deepEqual(d.inputShape, [5, 6, 1]);
  assert.deepEqual([d.train.n, d.val.n, d.test.n], [24, 3, 3]);
  for (const s of [d.train, d.val, d.test]) for (let c = 0; c < 3; c++) assert.equal(s.y.filter((y) => y === c).length, s.n / 3);
  // Every sample is one of its class's images, pixel for pixel (/255), and no image is in two splits.
  const seen = new Set<string>();
  for (const s of [d.train, d.val, d.test])
    for (let i = 0; i < s.n; i++) {
      const c = s.y[i]!;
      const folder = ['zebra', 'cat', 'dog'].indexOf(d.labels[c]!);
      const x = s.x.subarray(i * 30, (i + 1) * 30);
      const k = [...Array(10).keys()].find((kk) => x.every((v, p) => v === Math.fround(value(folder, kk, p % 6, Math.floor(p / 6)) / 255)));
      assert.ok(k !== undefined, `sample ${i} of class ${d.labels[c]} is none of its images`);
      assert.ok(!seen.has(`${c}/${k}`), 'an image in two splits');
      seen.add(`${c}/${k}`);
    }
  assert.equal(seen.size, 30);
  const again = await loadDataset(dir);
  assert.deepEqual(again.test.y, d.test.y, 'the split is fixed');
});

test("the user's own train/val/test folders; a class folder only in val is an error naming it", async () => {
  const dir = join(root, 'presplit');
  makeFolder(join(dir, 'train'), ['a', 'b'], 4);
  makeFolder(join(dir, 'val'), ['a', 'b'], 2);
  makeFolder(join(dir, 'test'), ['a', 'b'], 3);
  const d = await loadDataset(dir);
  assert.deepEqual([d.train.n, d.val.n, d.test.n], [8, 4, 6]);
  // In a seeded order, not class by class: the labels are those of the folders, each split's own count per class,
  // and the same order on a second load.
  const labels = (split: { n: number; y: Int32Array }): number[] => Array.from(split.y).slice(0, split.n);
  assert.deepEqual([...labels(d.test)].sort(), [0, 0, 0, 1, 1, 1]);
  assert.deepEqual([...labels(d.train)].sort(), [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.notDeepEqual(labels(d.train), [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(labels((await loadDataset(dir)).train), labels(d.train));
  makeFolder(join(dir, 'val'), ['c'], 1);
  await assert.rejects(loadDataset(dir), (e: unknown) => e instanceof DataError && /val: class folder 'c' is not in .*train/.test(e.message));
});

test('JPEG and colour: RGB images decode to three channels close to what was encoded', () => {
  const path = join(root, 'colour.jpg');
  const w = 16;
  const h = 8;
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([200, 100, 30, 255], 4 * i);
  writeFileSync(path, jpeg.encode({ data, width: w, height: h }, 95).data);
  const img = decodeImage(path);
  assert.deepEqual([img.height, img.width, img.channels], [8, 16, 3]);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(img.pixels[c]! - [200, 100, 30][c]! / 255) < 3 / 255, `channel ${c}: ${img.pixels[c]}`);
});

test('images of another size: an error naming the file and both shapes; with dataset.json, resized and converted', async () => {
  const dir = join(root, 'mixed');
  makeFolder(dir, ['a', 'b'], 10);
  png(join(dir, 'b', 'big.png'), 12, 10, (x, y) => [x * 20, y * 20, 7]);
  await assert.rejects(loadDataset(dir), (e: unknown) => e instanceof DataError && /big\.png: is 10x12x3, the first image 5x6x1: give/.test(e.message));
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ size: [4, 4], channels: 3 }));
  const d = await loadDataset(dir);
  assert.deepEqual(d.inputShape, [4, 4, 3]);
  assert.equal(d.train.n + d.val.n + d.test.n, 21);
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ size: [4], channels: 3 }));
  await assert.rejects(loadDataset(dir), (e: unknown) => e instanceof DataError && /dataset\.json: \/size must be \[height, width\]/.test(e.message));
});

test('bilinear resizing equals tf.image.resizeBilinear with half-pixel centres; grey is 0.299 R + 0.587 G + 0.114 B', () => {
  const rnd = lcg(3);
  const img = { height: 7, width: 9, channels: 3 as const, pixels: Float32Array.from({ length: 7 * 9 * 3 }, () => rnd()) };
  useBackend('cpu');
  for (const [h, w] of [
    [3, 4],
    [14, 5],
    [7, 9],
  ] as const) {
    const want = tf.tidy(() =>
      tf.image.resizeBilinear(tf.tensor3d(img.pixels, [7, 9, 3]), [h, w], false, true).dataSync(),
    ) as Float32Array;
    const got = reshapeImage(img, h, w, 3);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `${h}x${w} [${i}]: ${v} vs ${want[i]}`));
  }
  const grey = reshapeImage(img, 7, 9, 1);
  assert.ok(Math.abs(grey[5]! - (0.299 * img.pixels[15]! + 0.587 * img.pixels[16]! + 0.114 * img.pixels[17]!)) < 1e-6);
});

test('a file that is no image is an error naming it; pqk data info reads the folder', async () => {
  const dir = join(root, 'broken');
  makeFolder(dir, ['a', 'b'], 10);
  writeFileSync(join(dir, 'a', 'img05.png'), 'not a png');
  await assert.rejects(loadDataset(dir), (e: unknown) => e instanceof DataError && /a\/img05\.png: cannot read the image/.test(e.message));
  assertUserError(await cli(['data', 'info', dir]), 1, /img05\.png: cannot read the image/, 'data info', assert);
  const ok = await cli(['data', 'info', join(root, 'flat'), '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const info = JSON.parse(ok.stdout) as { inputShape: number[]; labels: string[]; splits: { split: string; n: number }[] };
  assert.deepEqual(info.inputShape, [5, 6, 1]);
  assert.deepEqual(info.labels, ['cat', 'dog', 'zebra']);
  assert.deepEqual(
    info.splits.map((s) => [s.split, s.n]),
    [
      ['train', 24],
      ['val', 3],
      ['test', 3],
    ],
  );
});

test("a model's input shape given by the pipeline resizes the images, unless the folder's dataset.json says otherwise", async () => {
  const dir = join(root, 'to-model');
  makeFolder(dir, ['a', 'b'], 10);
  const d = await loadDataset(dir, { imageShape: [10, 12, 3] });
  assert.deepEqual(d.inputShape, [10, 12, 3]);
  // 2x upscale of a grey image: the top-left pixel is the source's (half-pixel centres clamp at the border), grey in RGB.
  assert.equal(d.train.x.length, d.train.n * 360);
  for (let i = 0; i < d.train.n; i++) {
    const [r, g, b] = d.train.x.subarray(i * 360, i * 360 + 3);
    assert.ok(r === g && g === b, 'grey becomes equal R, G and B');
    const c = d.train.y[i]!;
    const k = [...Array(10).keys()].find((kk) => Math.abs(r! - value(c, kk, 0, 0) / 255) < 1e-6);
    assert.ok(k !== undefined, `sample ${i}: its top-left pixel ${r} is no source image's`);
  }
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ size: [5, 6], channels: 1 }));
  assert.deepEqual((await loadDataset(dir, { imageShape: [10, 12, 3] })).inputShape, [5, 6, 1]);
});
