// `pqk data synth-kws` (a synthetic Speech Commands set) and `pqk data info` (load a dataset, print its counts).
import { choice, EXIT, int, optStr, printJson, str, UsageError, type Command, type CommandContext } from '../command.js';
import { loadDataset, SYNTH_SIZES, synthKws, type Dataset, type SynthSize } from '../../data/index.js';
import { RECORDED_EXTRA, VOICE_FAMILIES, type VoiceFamily } from '../../data/synth-plan.js';

// A progress line every tenth of the work, so long runs show life without flooding the log.
function progressLogger(ctx: CommandContext, what: string): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    const tenth = Math.floor((10 * done) / total);
    if (tenth === shown) return;
    shown = tenth;
    ctx.log(`${what}: ${done}/${total}`);
  };
}

async function runSynth(ctx: CommandContext): Promise<number> {
  const out = str(ctx, 'out');
  const size = choice(ctx, 'size', Object.keys(SYNTH_SIZES) as SynthSize[], 'default');
  if (ctx.values.size !== undefined && ctx.values['clips-per-word'] !== undefined)
    throw new UsageError('give --size or --clips-per-word, not both');
  const clipsPerWord = int(ctx, 'clips-per-word', SYNTH_SIZES[size], { min: 3, max: 100000 });
  const seed = int(ctx, 'seed', 0, { min: 0, max: 2 ** 31 - 1 });
  const holdout = ctx.values.holdout === undefined ? undefined : choice(ctx, 'holdout', Object.keys(VOICE_FAMILIES) as VoiceFamily[]);
  const recordedVoices = ctx.values['recorded-voices'] === true;
  const r = await synthKws({ out, clipsPerWord, seed, holdout, recordedVoices, onProgress: progressLogger(ctx, 'clips') });
  ctx.log(
    `${r.reused ? 'already complete' : 'wrote'}: ${r.clips} clips of ${r.words.length} words in ${out} (${r.trainVoices.length} train, ${r.valVoices.length} val, ${r.testVoices.length} test voices) in ${r.seconds.toFixed(1)} s`,
  );
  if (ctx.json)
    printJson({
      out: r.out,
      clips: r.clips,
      words: r.words,
      trainVoices: r.trainVoices,
      valVoices: r.valVoices,
      testVoices: r.testVoices,
      seconds: r.seconds,
    });
  return EXIT.OK;
}

export const dataSynthKwsCommand: Command = {
  name: 'data synth-kws',
  summary:
    'generate a synthetic Speech Commands set (espeak-ng voices, optionally Flite and Festival ones, room reverb, noise), split by voice',
  usage:
    'data synth-kws --out DIR [--size tiny|default|large] [--clips-per-word N] [--seed S] [--holdout klatt|whisper|flite|festival] [--recorded-voices] [--json]',
  flags: {
    out: { type: 'string', value: 'DIR', help: 'the folder to write (Speech Commands layout) (required; resumed when it exists)' },
    size: {
      type: 'string',
      value: 'NAME',
      help: `preset: ${Object.entries(SYNTH_SIZES)
        .map(([k, v]) => `${k} (${v} clips per keyword)`)
        .join(', ')}`,
      default: 'default',
    },
    'clips-per-word': { type: 'string', value: 'N', help: 'clips per keyword (>= 3; unknown words get a fifth), instead of --size' },
    seed: { type: 'string', value: 'S', help: 'synthesis seed: the same seed gives the same bytes', default: '0' },
    holdout: {
      type: 'string',
      value: 'FAMILY',
      help: `make the test split of one voice family or engine, whose speakers training never hears: ${Object.keys(VOICE_FAMILIES).join(', ')}`,
    },
    'recorded-voices': {
      type: 'boolean',
      help: `Flite's and Festival's voices (recordings of five people) train too, in ${RECORDED_EXTRA * 100}% more clips after espeak-ng's, which stay the same`,
    },
  },
  examples: [
    'pqk data synth-kws --out data/synth-kws',
    'pqk data synth-kws --out data/kws-large --size large',
    'pqk data synth-kws --out data/kws-small --clips-per-word 10 --seed 3 --json',
    'pqk data synth-kws --out data/kws-flite-out --size large --recorded-voices --holdout flite',
  ],
  run: runSynth,
};

function labelCounts(ds: Dataset, split: 'train' | 'val' | 'test'): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(ds.labels.map((l) => [l, 0]));
  for (const y of ds[split].y) counts[ds.labels[y]]++;
  return counts;
}

async function runInfo(ctx: CommandContext): Promise<number> {
  const [spec, ...extra] = ctx.positionals;
  if (spec === undefined || extra.length > 0) throw new UsageError('expected exactly one dataset: a folder, mnist or fashion-mnist');
  const t0 = performance.now();
  const ds = await loadDataset(spec, {
    seed: int(ctx, 'seed', 0, { min: 0, max: 2 ** 31 - 1 }),
    cache: ctx.values['no-cache'] !== true,
    cacheDir: optStr(ctx, 'cache-dir'),
    onWarning: (m) => ctx.log(`warning: ${m}`),
    onProgress: progressLogger(ctx, 'clips'),
  });
  const seconds = (performance.now() - t0) / 1000;
  const splits = (['train', 'val', 'test'] as const).map((s) => ({ split: s, n: ds[s].n, labels: labelCounts(ds, s) }));
  ctx.log(`${ds.name}: ${ds.task}, input [${ds.inputShape.join(', ')}], ${ds.labels.length} labels, loaded in ${seconds.toFixed(2)} s`);
  for (const s of splits)
    ctx.log(
      `  ${s.split.padEnd(5)} ${String(s.n).padStart(6)}  ${Object.entries(s.labels)
        .map(([l, n]) => `${l}:${n}`)
        .join(' ')}`,
    );
  // The binomial standard error of an accuracy measured on the test split, at 90% and at its worst (50%).
  const se = (p: number): number => Math.sqrt((p * (1 - p)) / Math.max(1, ds.test.n));
  const testSe = { at90: se(0.9), worst: se(0.5) };
  ctx.log(
    `  an accuracy on the ${ds.test.n} test samples has a standard error of ${(testSe.at90 * 100).toFixed(2)} points at 90% (${(testSe.worst * 100).toFixed(2)} at worst)`,
  );
  if (ctx.json)
    printJson({
      name: ds.name,
      task: ds.task,
      inputShape: ds.inputShape,
      labels: ds.labels,
      frontend: ds.frontend ?? null,
      splits,
      testStandardError: testSe,
      seconds,
    });
  return EXIT.OK;
}

export const dataInfoCommand: Command = {
  name: 'data info',
  summary: 'load a dataset (computing and caching features) and print its splits and label counts',
  usage: 'data info DIR|mnist|fashion-mnist [--seed S] [--no-cache] [--cache-dir DIR] [--json]',
  flags: {
    seed: { type: 'string', value: 'S', help: 'split seed for datasets without split lists', default: '0' },
    'no-cache': { type: 'boolean', help: 'compute features again instead of reading the cache' },
    'cache-dir': { type: 'string', value: 'DIR', help: 'where computed features are cached', default: '<dataset>/.pqk-cache' },
  },
  examples: ['pqk data info data/synth-kws', 'pqk data info fashion-mnist --json'],
  run: runInfo,
};
