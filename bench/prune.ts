// npm run bench:prune -- --run RUN_DIR [--pattern channel|unstructured] [--levels 0.206,0.5] [--random 3]
// How well a pruning criterion picks what to keep, before any retraining: the float model of RUN_DIR pruned to each
// level by the measured Taylor loss change (channels) or LAMP-normalized magnitudes (weights), BN-folded magnitudes, raw magnitudes and random scores (N seeds), batch norm re-estimated, then float
// accuracy on the validation and test splits, side by side. Also the per-layer sparsity each criterion leaves.
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/select.js';
import { pruneModel, prunableWeights, setMasks } from '../src/compress/pqk/masks.js';
import { recalibrateBatchNorm } from '../src/compress/pqk/phase1.js';
import { channelMasks, unstructuredMasks } from '../src/compress/sparsity/index.js';
import { disposeModel, type Model } from '../src/models/params.js';
import { readRunConfig } from '../src/pipeline/config.js';
import { prepareData } from '../src/pipeline/stages.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { floatLogits } from '../src/train/float.js';
import { evaluate } from '../src/train/stage.js';
import { mulberry32 } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    pattern: { type: 'string', default: 'channel' },
    levels: { type: 'string', default: '0.206,0.5' },
    random: { type: 'string', default: '3' },
    json: { type: 'boolean' },
  },
});
if (!values.run) throw new Error('--run RUN_DIR (a run folder with a float checkpoint) is required');
const pattern = values.pattern as 'channel' | 'unstructured';
const levels = values.levels!.split(',').map(Number);
const randomSeeds = Number(values.random);

await initBackend(undefined);
const cfg = readRunConfig(values.run);
const data = await prepareData(cfg.data, () => {});
const fresh = async (): Promise<Model> => (await loadCheckpoint(`${values.run}/checkpoints`, 'float')).model;

// Random scores: the same selection machinery, with each weight's magnitude replaced by a seeded random number.
async function pruneRandom(model: Model, level: number, seed: number): Promise<void> {
  const rng = mulberry32(seed);
  const weights = (await prunableWeights(model)).map((w) => ({ ...w, values: Float32Array.from(w.values, () => rng() + 1e-6) }));
  const res =
    pattern === 'channel'
      ? channelMasks(weights, model.spec.channelGroups, level, { norm: 'l2' })
      : unstructuredMasks(weights, level, { scope: 'global' });
  setMasks(model, res.masks);
}

interface Row {
  level: number;
  criterion: string;
  val: number;
  test: number;
  layers: string;
}
const rows: Row[] = [];
const base = await fresh();
rows.push({
  level: 0,
  criterion: 'none',
  val: await evaluate(data, floatLogits(base), 'val'),
  test: await evaluate(data, floatLogits(base), 'test'),
  layers: '',
});
disposeModel(base);
for (const level of levels) {
  const taylor = { data, batches: 8, batchSize: 100, seed: 7 };
  const runs: [string, (m: Model) => Promise<void>][] = [
    pattern === 'channel'
      ? [
          'taylor',
          async (m) =>
            void (await pruneModel(
              m,
              level,
              { pattern, scope: 'global', skipFirst: false, skipLast: false, norm: 'l2', importance: 'taylor' },
              taylor,
            )),
        ]
      : [
          'lamp',
          async (m) =>
            void (await pruneModel(m, level, {
              pattern,
              scope: 'global',
              skipFirst: false,
              skipLast: false,
              norm: 'l2',
              importance: 'lamp',
            })),
        ],
    [
      'folded',
      async (m) =>
        void (await pruneModel(m, level, {
          pattern,
          scope: 'global',
          skipFirst: false,
          skipLast: false,
          norm: 'l2',
          importance: 'folded',
        })),
    ],
    [
      'raw',
      async (m) =>
        void (await pruneModel(m, level, { pattern, scope: 'global', skipFirst: false, skipLast: false, norm: 'l2', importance: 'raw' })),
    ],
    ...Array.from({ length: randomSeeds }, (_, i): [string, (m: Model) => Promise<void>] => [
      `random seed ${i + 1}`,
      (m) => pruneRandom(m, level, 1000 + i),
    ]),
  ];
  for (const [criterion, prune] of runs) {
    const m = await fresh();
    await prune(m);
    recalibrateBatchNorm(m, data, 100, 1);
    const sp = await prunableWeights(m);
    const layers = sp.map((w) => `${w.name} ${((100 * w.mask.filter((v) => v === 0).length) / w.mask.length).toFixed(0)}%`).join(', ');
    rows.push({
      level,
      criterion,
      val: await evaluate(data, floatLogits(m), 'val'),
      test: await evaluate(data, floatLogits(m), 'test'),
      layers,
    });
    disposeModel(m);
    const r = rows[rows.length - 1]!;
    process.stderr.write(`${pattern} ${level}: ${criterion}: val ${(r.val * 100).toFixed(2)}%, test ${(r.test * 100).toFixed(2)}%\n`);
  }
}
if (values.json)
  process.stdout.write(JSON.stringify({ run: values.run, pattern, val: data.val.n, test: data.test.n, rows }, null, 2) + '\n');
else {
  console.log(
    `${values.run}: ${pattern} pruning, no retraining, batch norm re-estimated; float accuracy on ${data.val.n} val / ${data.test.n} test samples`,
  );
  console.log('| level | criterion | val | test | per-layer sparsity |');
  console.log('| ---: | --- | ---: | ---: | --- |');
  for (const r of rows)
    console.log(`| ${r.level} | ${r.criterion} | ${(r.val * 100).toFixed(2)}% | ${(r.test * 100).toFixed(2)}% | ${r.layers} |`);
}
