// `pqk check MODEL.tflite --target T`: does this model (pqk's or the TFLite converter's) run on the target, exactly,
// within its budgets, and how fast. The report files and exit codes are `pqk run`'s.
import { basename, resolve } from 'node:path';
import { runCheck, type CheckInputs } from '../../pipeline/check.js';
import { loadTarget } from '../../targets/load.js';
import { lockRunDir } from '../../util/lock.js';
import { EXIT, int, optInt, optStr, printJson, str, UsageError, type Command } from '../command.js';
import { STRICT_FLAGS, strictBudgets } from '../strict.js';
import { BASELINE_FLAGS, baselineOption } from '../baseline-flags.js';
import { readModelFile } from './files.js';

const DEFAULT_RANDOM = 10;

export const checkCommand: Command = {
  name: 'check',
  summary: "run any int8 .tflite model on every runtime of a target, compare it with the integer reference and judge the target's budgets",
  usage:
    'check MODEL.tflite [--target cortex-m4] [--out DIR] [--data DIR [--limit N] | --inputs FILE.npy | --random N [--seed S]] [--baseline OLD_REPORT.json] [--strict] [--json]',
  flags: {
    target: { type: 'string', value: 'NAME|FILE', help: 'a built-in target (targets/*.json) or a profile file', default: 'cortex-m4' },
    out: {
      type: 'string',
      value: 'DIR',
      help: 'where report.json, report.md, junit.xml and a copy of the model go',
      default: 'runs/check-<model>-<target>',
    },
    data: {
      type: 'string',
      value: 'DIR',
      help: 'a dataset whose inputs match the model: its test split, with labels (accuracy budgets are judged only then)',
    },
    limit: { type: 'string', value: 'N', help: 'with --data: the first N test samples only', default: 'the whole test split' },
    inputs: {
      type: 'string',
      value: 'FILE.npy',
      help: "inputs of the model's shape, one sample or N: int8 as they are, float32/float64 quantized with the model's input parameters",
    },
    random: {
      type: 'string',
      value: 'N',
      help: 'N seeded random int8 inputs',
      default: `${DEFAULT_RANDOM} when neither --data nor --inputs is given`,
    },
    seed: { type: 'string', value: 'S', help: 'seed of --random', default: '1' },
    ...STRICT_FLAGS,
    ...BASELINE_FLAGS,
  },
  examples: [
    'pqk check kws_ref_model.tflite --target cortex-m4',
    'pqk check kws_ref_model.tflite --target cortex-m4 --data data/synth-kws --limit 200 --json',
    'pqk check model.tflite --target cortex-m55 --inputs samples.npy --out runs/check-m55',
    'pqk budget runs/check-m55/report.json --baseline baseline/report.json',
  ],
  exitCodes: "3 a budget failed or a runtime's values differ from the integer reference (report.md and junit.xml say which)",
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file || extra.length > 0) throw new UsageError('expected exactly one model file: pqk check MODEL.tflite --target T');
    const target = loadTarget(str(ctx, 'target', 'cortex-m4'));
    const given = (['data', 'inputs', 'random'] as const).filter((f) => ctx.values[f] !== undefined);
    if (given.length > 1) throw new UsageError(`--${given.join(' and --')}: give one source of inputs`);
    const limit = optInt(ctx, 'limit', { min: 1 });
    if (limit !== undefined && given[0] !== 'data') throw new UsageError('--limit applies to --data only');
    if (ctx.values.seed !== undefined && given[0] !== undefined && given[0] !== 'random')
      throw new UsageError('--seed applies to --random only');
    const data = optStr(ctx, 'data');
    const npy = optStr(ctx, 'inputs');
    const inputs: CheckInputs =
      data !== undefined
        ? { kind: 'data', dir: data, limit }
        : npy !== undefined
          ? { kind: 'npy', file: npy }
          : {
              kind: 'random',
              count: int(ctx, 'random', DEFAULT_RANDOM, { min: 1, max: 100000 }),
              seed: int(ctx, 'seed', 1, { min: 0, max: 2 ** 31 - 1 }),
            };
    const bytes = readModelFile(file);
    const outDir = resolve(str(ctx, 'out', `runs/check-${basename(file).replace(/\.tflite$/, '')}-${target.name}`));
    const unlock = lockRunDir(outDir, 'check');
    const report = await runCheck({
      file,
      bytes,
      target,
      outDir,
      inputs,
      strict: strictBudgets(ctx),
      baseline: baselineOption(ctx),
      log: ctx.log,
    });
    unlock();
    const failed = report.budgets.filter((b) => b.verdict === 'fail');
    ctx.log(`check: report: ${outDir}/report.md`);
    for (const b of report.budgets) ctx.log(`  ${b.verdict.toUpperCase().padEnd(4)} ${b.message}`);
    ctx.log(
      failed.length === 0
        ? `check: ${file} passes every budget of ${target.name}`
        : `check: ${failed.length} budget(s) failed: ${failed.map((b) => b.name).join(', ')}`,
    );
    if (ctx.json)
      printJson({
        ok: report.ok,
        model: file,
        out: outDir,
        report: `${outDir}/report.json`,
        target: target.name,
        inputs: report.check,
        dataset: report.dataset,
        verification: report.verification,
        figures: report.model,
        budgets: report.budgets,
      });
    return failed.length === 0 ? EXIT.OK : EXIT.BUDGET_VIOLATION;
  },
};
