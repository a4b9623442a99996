// pqk run: the main job, from data to a verified, budget-checked model (resumable).
import { resolve } from 'node:path';
import { PHASE1_DEFAULTS } from '../../compress/pqk/phase1.js';
import { PHASE2_DEFAULTS } from '../../compress/pqk/phase2.js';
import { readRunConfig, type RunConfig } from '../../pipeline/config.js';
import { loadConfigFile, runPipeline } from '../../pipeline/run.js';
import { DEFAULT_DATA } from '../../pipeline/stages.js';
import { FLOAT_DEFAULTS } from '../../train/float.js';
import { EXIT, num, optStr, printJson, str, type Command } from '../command.js';
import { progressPrinter } from '../progress.js';
import { BACKEND_OPTION, startBackend, target, userStep } from './common.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'the whole pipeline: data, float training, phase 1, phase 2, export, verification, report, budgets',
  usage: 'run [--target cortex-m4] [--data DIR] [--model ds-cnn] [--out runs/NAME] [--config pqk.json] [--from RUN_DIR] [--seed S] [--verify-limit N] [--backend B] [--json]',
  options: {
    target: { type: 'string' },
    data: { type: 'string' },
    model: { type: 'string' },
    out: { type: 'string' },
    config: { type: 'string' },
    from: { type: 'string' },
    seed: { type: 'string' },
    'verify-limit': { type: 'string' },
    ...BACKEND_OPTION,
  },
  async run(ctx) {
    const t = target(str(ctx, 'target', 'cortex-m4'));
    const file = await userStep(() => loadConfigFile(optStr(ctx, 'config')));
    const from = optStr(ctx, 'from');
    const imported = from ? await userStep(() => readRunConfig(resolve(from))) : undefined;
    const seed = num(ctx, 'seed', file.seed ?? 1);
    const model = optStr(ctx, 'model') ?? file.model ?? imported?.model ?? 'ds-cnn';
    const cfg: RunConfig = {
      format: 'pqk-run-1',
      model,
      data: optStr(ctx, 'data') ?? file.data ?? imported?.data ?? DEFAULT_DATA,
      seed,
      target: t.name,
      float: { ...FLOAT_DEFAULTS, model, seed, ...file.float },
      phase1: { ...PHASE1_DEFAULTS, pattern: t.sparsity.pattern, sparsity: t.sparsity.level, seed, ...file.phase1 },
      phase2: { ...PHASE2_DEFAULTS, seed, ...file.phase2 },
    };
    const runDir = resolve(str(ctx, 'out', `runs/${t.name}`));
    const backend = await startBackend(ctx);
    const t0 = Date.now();
    const limit = optStr(ctx, 'verify-limit');
    const report = await userStep(() => runPipeline({ ctx: { runDir, cfg, log: ctx.log, onProgress: progressPrinter(ctx.json) }, target: t, backend, from: from && resolve(from), verifyLimit: limit ? Number(limit) : undefined }));
    const failed = report.budgets.filter((b) => b.verdict === 'fail');
    ctx.log(`run: ${((Date.now() - t0) / 60000).toFixed(1)} min; report: ${runDir}/report.md`);
    for (const b of report.budgets) ctx.log(`  ${b.verdict.toUpperCase().padEnd(4)} ${b.message}`);
    ctx.log(failed.length === 0 ? 'run: all budgets pass' : `run: ${failed.length} budget(s) failed: ${failed.map((b) => b.name).join(', ')}`);
    if (ctx.json) printJson({ ok: report.ok, run: runDir, report: `${runDir}/report.json`, target: t.name, stages: report.stages, verification: report.verification, model: report.model, budgets: report.budgets });
    return failed.length === 0 ? EXIT.OK : EXIT.BUDGET_VIOLATION;
  },
};
