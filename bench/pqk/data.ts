// The two benchmark tasks' data: the synthetic KWS set and Fashion-MNIST, each cut to fixed seeded subsets so that
// every seed and method trains and tests on exactly the same samples.
import { loadDataset } from '../../src/data/index.js';
import type { Dataset, Split } from '../../src/data/types.js';
import { synthKws } from '../../src/data/index.js';
import { mulberry32, permutation } from '../../src/util/rng.js';
import type { BenchTask, SplitSizes } from './settings.js';

// Ignored by git; generated on first use (espeak-ng + sox), reused afterwards.
export const BENCH_KWS_DIR = '.cache/bench-pqk/synth-kws';

export function kwsDir(clipsPerWord: number): string {
  return clipsPerWord === 1000 ? BENCH_KWS_DIR : `${BENCH_KWS_DIR}-${clipsPerWord}`;
}

export const TASK_MODEL: Record<BenchTask, string> = { kws: 'ds-cnn', image: 'resnet' };

// The first n samples of a seeded permutation of a split (all of it when n >= its size).
export function subset(s: Split, inputShape: number[], n: number, seed: number): Split {
  if (n >= s.n) return s;
  const per = inputShape.reduce((a, b) => a * b, 1);
  const order = permutation(s.n, mulberry32(seed));
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x.set(s.x.subarray(order[i] * per, (order[i] + 1) * per), i * per);
    y[i] = s.y[order[i]];
  }
  return { x, y, n };
}

export interface TaskData {
  data: Dataset;
  full: SplitSizes; // sizes before cutting
}

export async function loadTask(
  task: BenchTask,
  sizes: SplitSizes,
  dataSeed: number,
  log: (l: string) => void,
  kwsClipsPerWord = 1000,
): Promise<TaskData> {
  // The set is made when missing (a complete one is reused); the benchmark loads it with its own data seed.
  const dir = kwsDir(kwsClipsPerWord);
  if (task === 'kws') {
    const r = await synthKws({ out: dir, clipsPerWord: kwsClipsPerWord });
    log(`data: ${dir}: ${r.clips} clips${r.reused ? ' (reused)' : ` in ${r.seconds.toFixed(0)} s`}`);
  }
  const d = await loadDataset(task === 'kws' ? dir : 'fashion-mnist', { seed: dataSeed });
  const full = { train: d.train.n, val: d.val.n, test: d.test.n };
  const data: Dataset = {
    ...d,
    train: subset(d.train, d.inputShape, sizes.train, dataSeed * 31 + 1),
    val: subset(d.val, d.inputShape, sizes.val, dataSeed * 31 + 2),
    test: subset(d.test, d.inputShape, sizes.test, dataSeed * 31 + 3),
  };
  log(
    `data: ${task}: ${d.name}: using ${data.train.n}/${full.train} train, ${data.val.n}/${full.val} val, ${data.test.n}/${full.test} test`,
  );
  return { data, full };
}
