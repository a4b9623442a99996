// pqk compress: phase 1 (iterative prune + QAT) and/or phase 2 (PQK distillation) on a trained run; resumable.
import { resolve } from 'node:path';
import { evaluateQuantized } from '../../compress/pqk/evaluate.js';
import type { QatState } from '../../compress/quant/qat.js';
import type { Model } from '../../models/params.js';
import { readRunConfig, writeRunConfig } from '../../pipeline/config.js';
import { prepareData, stagePhase1, stagePhase2, type RunContext } from '../../pipeline/stages.js';
import type { SparsityPattern } from '../../targets/types.js';
import { EXIT, UserError, optStr, printJson, str, type Command } from '../command.js';
import { progressPrinter } from '../progress.js';
import { BACKEND_OPTION, startBackend, target, userStep } from './common.js';

const PATTERNS: SparsityPattern[] = ['unstructured', '2:4', '1:4', 'channel'];

export const compressCommand: Command = {
  name: 'compress',
  summary: 'phase 1 (prune + QAT) and phase 2 (PQK distillation) of a trained run',
  usage: 'compress --run RUN_DIR --target TARGET --phase 1|2|all [--sparsity 0.8] [--pattern unstructured|2:4|1:4|channel] [--backend B] [--json]',
  options: { run: { type: 'string' }, target: { type: 'string' }, phase: { type: 'string' }, sparsity: { type: 'string' }, pattern: { type: 'string' }, ...BACKEND_OPTION },
  async run(ctx) {
    const runDir = resolve(str(ctx, 'run'));
    const phase = str(ctx, 'phase', 'all');
    if (!['1', '2', 'all'].includes(phase)) throw new UserError(`--phase must be 1, 2 or all, got '${phase}'`, EXIT.USAGE);
    const cfg = await userStep(() => readRunConfig(runDir));
    const t = target(str(ctx, 'target', cfg.target ?? 'cortex-m4'));
    const pattern = (optStr(ctx, 'pattern') ?? cfg.phase1.pattern ?? t.sparsity.pattern) as SparsityPattern;
    if (!PATTERNS.includes(pattern)) throw new UserError(`--pattern must be one of ${PATTERNS.join(', ')}, got '${pattern}'`, EXIT.USAGE);
    const sparsityFlag = optStr(ctx, 'sparsity');
    const sparsity = sparsityFlag !== undefined ? Number(sparsityFlag) : cfg.phase1.sparsity;
    if (!(sparsity >= 0 && sparsity < 1)) throw new UserError(`--sparsity must be in [0, 1), got '${sparsityFlag}'`, EXIT.USAGE);
    cfg.target = t.name;
    cfg.phase1 = { ...cfg.phase1, pattern, sparsity };
    writeRunConfig(runDir, cfg);
    const backend = await startBackend(ctx);
    const data = await userStep(() => prepareData(cfg.data, ctx.log));
    const rc: RunContext = { runDir, cfg, log: ctx.log, onProgress: progressPrinter(ctx.json) };
    let last: { model: Model; qat: QatState } | undefined;
    if (phase !== '2') last = await userStep(() => stagePhase1(rc, data, t));
    if (phase !== '1') last = await userStep(() => stagePhase2(rc, data, t));
    const ev = await evaluateQuantized(last!.model, last!.qat, data, 'test');
    ctx.log(`phase ${phase}: fake-quant ${(ev.fakeQuantAccuracy * 100).toFixed(2)}%, integer ${(ev.integerAccuracy * 100).toFixed(2)}%, argmax agreement ${(ev.argmaxAgreement * 100).toFixed(2)}%, max logit diff ${ev.maxLogitDiffLsb} LSB, sparsity ${(ev.sparsity * 100).toFixed(1)}%, ${ev.paramBytes} parameter bytes`);
    if (ctx.json) printJson({ backend, run: runDir, target: t.name, phase, pattern, weightBits: t.quantization.weightBits, ...ev });
    return EXIT.OK;
  },
};
