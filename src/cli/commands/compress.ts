// pqk compress: phase 1 (iterative prune + QAT) and/or phase 2 (PQK distillation) on a trained run; resumable.
import { checkDataFitsModel, checkModelFits, storedModelSpec } from '../../pipeline/size-check.js';
import { resolve } from 'node:path';
import { evaluateQuantized } from '../../compress/pqk/evaluate.js';
import { resolvePhase1 } from '../../compress/pqk/phase1.js';
import type { QatState } from '../../compress/quant/qat.js';
import type { Model } from '../../models/params.js';
import { guardTrainingSettings, readRunConfig, readStoredRunConfig, writeRunConfig } from '../../pipeline/config.js';
import { prepareData, stagePhase1, stagePhase2, type RunContext } from '../../pipeline/stages.js';
import type { SparsityPattern } from '../../targets/types.js';
import { lockRunDir } from '../../util/lock.js';
import { EXIT, choice, num, optStr, printJson, str, type Command } from '../command.js';
import { progressPrinter } from '../progress.js';
import { loadTarget } from '../../targets/load.js';
import { BACKEND_FLAG, startBackend } from './common.js';

const PATTERNS: readonly SparsityPattern[] = ['unstructured', '2:4', '1:4', 'channel'];

export const compressCommand: Command = {
  name: 'compress',
  summary: 'phase 1 (prune + QAT) and phase 2 (PQK distillation) of a trained run',
  usage:
    'compress --run RUN_DIR --target TARGET --phase 1|2|all [--sparsity 0.8] [--pattern unstructured|2:4|1:4|channel] [--backend B] [--json]',
  flags: {
    run: {
      type: 'string',
      value: 'RUN_DIR',
      help: "a run folder with a float checkpoint (from 'pqk train', 'pqk import' or 'pqk run') (required)",
    },
    target: {
      type: 'string',
      value: 'NAME|FILE',
      help: 'decides bits, granularity, sparsity pattern and level',
      default: "the run's target, else cortex-m4",
    },
    phase: { type: 'string', value: '1|2|all', help: 'which phases to run', default: 'all' },
    sparsity: {
      type: 'string',
      value: 'X',
      help: 'final fraction of weights removed, 0 <= X < 1 (N:M patterns fix their own)',
      default: "the run's, else the target's",
    },
    pattern: { type: 'string', value: 'P', help: PATTERNS.join(', '), default: "the run's, else the target's" },
    ...BACKEND_FLAG,
  },
  examples: [
    'pqk compress --run runs/float-kws --target cortex-m4 --phase all',
    'pqk compress --run runs/float-kws --target cortex-m4 --phase 1 --pattern 2:4 --json',
  ],
  async run(ctx) {
    const runDir = resolve(str(ctx, 'run'));
    const phase = choice(ctx, 'phase', ['1', '2', 'all'] as const, 'all');
    const stored = readStoredRunConfig(runDir);
    const t = loadTarget(str(ctx, 'target', stored.target ?? 'cortex-m4'));
    // What the user or the run folder set wins; the target fills what neither set.
    const cfg = readRunConfig(runDir, t);
    const pattern = optStr(ctx, 'pattern') === undefined ? cfg.phase1.pattern : choice(ctx, 'pattern', PATTERNS);
    const sparsity = num(ctx, 'sparsity', cfg.phase1.sparsity, { min: 0, max: 0.99 });
    cfg.target = t.name;
    // A pattern given here takes its own schedule unless the run folder set one.
    cfg.phase1 = resolvePhase1({ ...stored.phase1, pattern, sparsity }, { seed: cfg.seed });
    const storedSpec = storedModelSpec(runDir);
    if (storedSpec && phase !== '2') checkModelFits(storedSpec, t, pattern, sparsity, ctx.log);
    const data = await prepareData(cfg.data, ctx.log, storedSpec?.inputShape, cfg.augment);
    if (storedSpec) checkDataFitsModel(storedSpec, runDir, cfg.data, data);
    const unlock = lockRunDir(runDir, 'compress');
    guardTrainingSettings(runDir, cfg, t);
    writeRunConfig(runDir, cfg);
    const backend = await startBackend(ctx);
    const rc: RunContext = { runDir, cfg, log: ctx.log, onProgress: progressPrinter(ctx.json) };
    let last: { model: Model; qat: QatState } | undefined;
    if (phase !== '2') last = await stagePhase1(rc, data, t);
    if (phase !== '1') last = await stagePhase2(rc, data, t);
    unlock();
    const ev = await evaluateQuantized(last!.model, last!.qat, data, 'test');
    ctx.log(
      `phase ${phase}: fake-quant ${(ev.fakeQuantAccuracy * 100).toFixed(2)}%, integer ${(ev.integerAccuracy * 100).toFixed(2)}%, argmax agreement ${(ev.argmaxAgreement * 100).toFixed(2)}%, max logit diff ${ev.maxLogitDiffLsb} LSB, sparsity ${(ev.sparsity * 100).toFixed(1)}%, ${ev.paramBytes} parameter bytes`,
    );
    if (ctx.json) printJson({ backend, run: runDir, target: t.name, phase, pattern, weightBits: t.quantization.weightBits, ...ev });
    return EXIT.OK;
  },
};
