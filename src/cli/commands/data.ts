// `pqk data synth-kws` (a synthetic Speech Commands set) and `pqk data info` (load a dataset, print its counts).
import { EXIT, num, optStr, printJson, str, UserError, type Command, type CommandContext } from '../command.js';
import { DEFAULT_CLIPS_PER_WORD, loadDataset, synthKws, type Dataset } from '../../data/index.js';

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
  const clipsPerWord = num(ctx, 'clips-per-word', DEFAULT_CLIPS_PER_WORD);
  const seed = num(ctx, 'seed', 0);
  if (!Number.isInteger(clipsPerWord) || clipsPerWord < 3) throw new UserError(`--clips-per-word must be an integer >= 3, got ${clipsPerWord}`, EXIT.USAGE);
  if (!Number.isInteger(seed)) throw new UserError(`--seed must be an integer, got ${seed}`, EXIT.USAGE);
  const r = await synthKws({ out, clipsPerWord, seed, onProgress: progressLogger(ctx, 'clips') });
  ctx.log(`${r.reused ? 'already complete' : 'wrote'}: ${r.clips} clips of ${r.words.length} words in ${out} (${r.trainVoices.length} train, ${r.valVoices.length} val, ${r.testVoices.length} test voices) in ${r.seconds.toFixed(1)} s`);
  if (ctx.json) printJson({ out: r.out, clips: r.clips, words: r.words, trainVoices: r.trainVoices, valVoices: r.valVoices, testVoices: r.testVoices, seconds: r.seconds });
  return EXIT.OK;
}

export const dataSynthKwsCommand: Command = {
  name: 'data synth-kws',
  summary: 'generate a synthetic Speech Commands set (espeak-ng voices, sox noise), split by voice',
  usage: 'data synth-kws --out DIR [--clips-per-word N] [--seed S] [--json]',
  options: { out: { type: 'string' }, 'clips-per-word': { type: 'string' }, seed: { type: 'string' } },
  run: runSynth,
};

function labelCounts(ds: Dataset, split: 'train' | 'val' | 'test'): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(ds.labels.map((l) => [l, 0]));
  for (const y of ds[split].y) counts[ds.labels[y]]++;
  return counts;
}

async function runInfo(ctx: CommandContext): Promise<number> {
  const [spec, ...extra] = ctx.positionals;
  if (spec === undefined || extra.length > 0) throw new UserError('expected exactly one dataset: a folder, mnist or fashion-mnist', EXIT.USAGE);
  const t0 = performance.now();
  const ds = await loadDataset(spec, { seed: num(ctx, 'seed', 0), cache: ctx.values['no-cache'] !== true, cacheDir: optStr(ctx, 'cache-dir'), onWarning: (m) => ctx.log(`warning: ${m}`), onProgress: progressLogger(ctx, 'clips') });
  const seconds = (performance.now() - t0) / 1000;
  const splits = (['train', 'val', 'test'] as const).map((s) => ({ split: s, n: ds[s].n, labels: labelCounts(ds, s) }));
  ctx.log(`${ds.name}: ${ds.task}, input [${ds.inputShape.join(', ')}], ${ds.labels.length} labels, loaded in ${seconds.toFixed(2)} s`);
  for (const s of splits) ctx.log(`  ${s.split.padEnd(5)} ${String(s.n).padStart(6)}  ${Object.entries(s.labels).map(([l, n]) => `${l}:${n}`).join(' ')}`);
  if (ctx.json) printJson({ name: ds.name, task: ds.task, inputShape: ds.inputShape, labels: ds.labels, frontend: ds.frontend ?? null, splits, seconds });
  return EXIT.OK;
}

export const dataInfoCommand: Command = {
  name: 'data info',
  summary: 'load a dataset (computing and caching features) and print its splits and label counts',
  usage: 'data info DIR|mnist|fashion-mnist [--seed S] [--no-cache] [--cache-dir DIR] [--json]',
  options: { seed: { type: 'string' }, 'no-cache': { type: 'boolean' }, 'cache-dir': { type: 'string' } },
  run: runInfo,
};
