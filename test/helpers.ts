// Small deterministic datasets for tests: class-dependent Gaussian blobs in any input shape.
import type { Dataset, Split } from '../src/data/types.js';
import { mulberry32, normal } from '../src/util/rng.js';

export function blobSplit(n: number, inputShape: number[], classes: number, seed: number, centers: Float32Array[]): Split {
  const rng = mulberry32(seed);
  const per = inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    y[i] = c;
    for (let j = 0; j < per; j++) x[i * per + j] = centers[c][j] + 0.8 * normal(rng);
  }
  return { x, y, n };
}

export function blobDataset(opts: { inputShape: number[]; classes: number; train: number; test: number; seed?: number }): Dataset {
  const seed = opts.seed ?? 1;
  const per = opts.inputShape.reduce((a, b) => a * b, 1);
  const rng = mulberry32(seed * 31);
  const centers = Array.from({ length: opts.classes }, () => Float32Array.from({ length: per }, () => normal(rng)));
  return {
    name: 'blobs',
    task: 'image',
    labels: Array.from({ length: opts.classes }, (_, i) => `c${i}`),
    inputShape: opts.inputShape,
    train: blobSplit(opts.train, opts.inputShape, opts.classes, seed + 1, centers),
    val: blobSplit(Math.max(opts.classes, Math.floor(opts.test / 2)), opts.inputShape, opts.classes, seed + 2, centers),
    test: blobSplit(opts.test, opts.inputShape, opts.classes, seed + 3, centers),
  };
}
