// pqk run: the main job, from data to a verified, budget-checked model (resumable).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolvePhase1 } from '../../compress/pqk/phase1.js';
import { PHASE2_DEFAULTS } from '../../compress/pqk/phase2.js';
import { RunStateError, UsageError } from '../../errors.js';
import { MODEL_NAMES } from '../../models/zoo.js';
import { readRunConfig, readStoredRunConfig, runConfigPath, type RunConfig } from '../../pipeline/config.js';
import { dataLocation } from '../../data/index.js';
import { loadConfigFile, runPipeline } from '../../pipeline/run.js';
import { DEFAULT_DATA } from '../../pipeline/stages.js';
import { FLOAT_DEFAULTS } from '../../train/float.js';
import { lockRunDir } from '../../util/lock.js';
import { EXIT, int, optInt, optStr, printJson, str, type Command } from '../command.js';
import { progressPrinter } from '../progress.js';
import { STRICT_FLAGS, strictBudgets } from '../strict.js';
import { BASELINE_FLAGS, baselineOption } from '../baseline-flags.js';
import { listTargets, loadTarget } from '../../targets/load.js';
import type { TargetProfile } from '../../targets/types.js';
import { BACKEND_FLAG, startBackend } from './common.js';

// The run's settings: flags over --config over the run folder's own (when resumed) over the defaults, the target's
// sparsity pattern and level where nothing sets them.
export function runSettings(a: {
  target: TargetProfile;
  file: Partial<RunConfig>;
  stored?: RunConfig;
  seed: number;
  model: string;
  data: string;
  ceControl: boolean;
}): RunConfig {
  const { file, stored, seed, model } = a;
  return {
    format: 'pqk-run-1',
    model,
    data: a.data,
    seed,
    target: a.target.name,
    float: { ...(stored?.float ?? { ...FLOAT_DEFAULTS, seed }), model, ...file.float },
    phase1: resolvePhase1(
      { ...stored?.phase1, ...file.phase1 },
      { pattern: a.target.sparsity.pattern, sparsity: a.target.sparsity.level, seed },
    ),
    phase2: {
      ...(stored?.phase2 ?? { ...PHASE2_DEFAULTS, seed }),
      ...file.phase2,
      ...(a.ceControl ? { control: 'ce' as const } : {}),
    },
    ...((file.augment ?? stored?.augment) ? { augment: file.augment ?? stored?.augment } : {}),
  };
}

export const runCommand: Command = {
  name: 'run',
  summary: 'the whole pipeline: data, float training, phase 1, phase 2, export, verification, report, budgets',
  usage:
    'run [--target cortex-m4] [--data DIR] [--model ds-cnn] [--out runs/NAME] [--config pqk.json] [--from RUN_DIR] [--seed S] [--verify-limit N] [--ce-control] [--baseline OLD_REPORT.json] [--strict] [--backend B] [--json]',
  flags: {
    target: {
      type: 'string',
      value: 'NAME|FILE',
      help: 'a built-in target (targets/*.json) or a profile file; a resumed run folder: the one it was made for',
      default: 'cortex-m4',
    },
    data: {
      type: 'string',
      value: 'DIR',
      help: 'a Speech Commands folder, a folder of class folders of images or of IDX files, mnist or fashion-mnist; the default set is synthesized on first use',
      default: DEFAULT_DATA,
    },
    model: { type: 'string', value: 'NAME', help: `${MODEL_NAMES.join(', ')}`, default: 'ds-cnn' },
    out: {
      type: 'string',
      value: 'DIR',
      help: 'the run folder; one that exists is resumed with the settings of its run.json where no flag or --config sets one',
      default: 'runs/<target>',
    },
    config: {
      type: 'string',
      value: 'FILE',
      help: 'JSON with model, data, seed, float, phase1, phase2 and augment settings (unknown keys are refused)',
    },
    from: { type: 'string', value: 'RUN_DIR', help: "start from this run's float checkpoint (trained or imported)" },
    seed: { type: 'string', value: 'S', help: 'seed of every stage (integer)', default: '1' },
    'verify-limit': {
      type: 'string',
      value: 'N',
      help: 'verify on the first N test samples only (N >= 1)',
      default: 'the whole test split',
    },
    'ce-control': {
      type: 'boolean',
      help: "also train the CE control (stage phase2-ce) and ship the student that validates best (config: phase2.control 'ce')",
    },
    ...STRICT_FLAGS,
    ...BASELINE_FLAGS,
    ...BACKEND_FLAG,
  },
  examples: [
    'pqk run',
    'pqk run --ce-control --out runs/with-control',
    'pqk run --target cortex-m55 --out runs/m55 --json > m55.json',
    'pqk run --config pqk.json --seed 2 --out runs/seed2',
    'pqk run --from runs/imported --target android-arm64',
  ],
  exitCodes: '3 a budget failed (report.md and junit.xml say which)',
  async run(ctx) {
    const targetFlag = optStr(ctx, 'target');
    let t = loadTarget(targetFlag ?? 'cortex-m4');
    const file = loadConfigFile(optStr(ctx, 'config'));
    const from = optStr(ctx, 'from');
    const imported = from ? readStoredRunConfig(resolve(from)) : undefined;
    const runDir = resolve(str(ctx, 'out', `runs/${t.name}`));
    // A folder that exists (made by pqk run, pqk train or pqk compress) is resumed with its settings, every one filled
    // in (readRunConfig), unless a flag or --config sets another (guardRunSettings then refuses it).
    const onDisk = existsSync(runConfigPath(runDir)) ? readStoredRunConfig(runDir) : undefined;
    const madeFor = onDisk?.target;
    if (targetFlag === undefined && madeFor !== undefined && madeFor !== t.name) {
      if (!listTargets().includes(madeFor))
        throw new UsageError(`${runDir} was made for target '${madeFor}': give --target with its profile file to resume it`);
      t = loadTarget(madeFor);
    }
    const stored = onDisk?.data === undefined ? undefined : readRunConfig(runDir, t);
    if (stored) ctx.log(`run: ${runDir} exists: resuming it with the settings of its run.json where no flag or --config sets one`);
    const seed = int(ctx, 'seed', file.seed ?? stored?.seed ?? 1, { min: 0, max: 2 ** 31 - 1 });
    const model = optStr(ctx, 'model') ?? file.model ?? stored?.model ?? imported?.model ?? 'ds-cnn';
    if (!imported && !(MODEL_NAMES as readonly string[]).includes(model))
      throw new UsageError(`--model: unknown model '${model}' (known: ${MODEL_NAMES.join(', ')})`);
    if (imported && model !== (imported.model ?? 'ds-cnn'))
      throw new RunStateError(
        `--from ${from} holds a '${imported.model ?? 'ds-cnn'}' model, not '${model}'; drop --model or start from a run of that model`,
      );
    const cfg = runSettings({
      target: t,
      file,
      stored,
      seed,
      model,
      data: dataLocation(optStr(ctx, 'data') ?? file.data ?? stored?.data ?? imported?.data ?? DEFAULT_DATA),
      ceControl: ctx.values['ce-control'] === true,
    });
    const verifyLimit = optInt(ctx, 'verify-limit', { min: 1 });
    const strict = strictBudgets(ctx);
    const baseline = baselineOption(ctx);
    const unlock = lockRunDir(runDir, 'run');
    const backend = await startBackend(ctx);
    const t0 = Date.now();
    const report = await runPipeline({
      ctx: { runDir, cfg, log: ctx.log, onProgress: progressPrinter(ctx.json) },
      target: t,
      backend,
      from: from && resolve(from),
      verifyLimit,
      strict,
      baseline,
    });
    unlock();
    const failed = report.budgets.filter((b) => b.verdict === 'fail');
    ctx.log(`run: ${((Date.now() - t0) / 60000).toFixed(1)} min; report: ${runDir}/report.md`);
    for (const b of report.budgets) ctx.log(`  ${b.verdict.toUpperCase().padEnd(4)} ${b.message}`);
    ctx.log(
      failed.length === 0 ? 'run: all budgets pass' : `run: ${failed.length} budget(s) failed: ${failed.map((b) => b.name).join(', ')}`,
    );
    if (ctx.json)
      printJson({
        ok: report.ok,
        run: runDir,
        report: `${runDir}/report.json`,
        target: t.name,
        stages: report.stages,
        shipped: report.shipped ?? null,
        verification: report.verification,
        model: report.model,
        budgets: report.budgets,
      });
    return failed.length === 0 ? EXIT.OK : EXIT.BUDGET_VIOLATION;
  },
};
