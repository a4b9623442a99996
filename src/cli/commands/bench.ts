// pqk bench train: ms/step of the training steps pqk runs (float, phase-1 QAT, phase-2 mutual) on the zoo model or
// on a run's float checkpoint (an imported model).
import { STEP_KINDS, timeTrainingSteps, type StepKind, type StepTiming } from '../../pipeline/step-timing.js';
import { MODEL_NAMES } from '../../models/zoo.js';
import { EXIT, choice, int, optStr, printJson, UsageError, type Command } from '../command.js';
import { BACKEND_FLAG, startBackend } from './common.js';

export const benchTrainCommand: Command = {
  name: 'bench train',
  summary: 'time the training steps pqk runs (float, QAT, phase-2 mutual) on the chosen tfjs backend',
  usage:
    'bench train [--model ds-cnn | --from RUN_DIR] [--step float|qat|phase2|all] [--batch 100] [--steps 20] [--warmup 3] [--backend B] [--json]',
  flags: {
    model: { type: 'string', value: 'NAME', help: `the zoo model to time (${MODEL_NAMES.join(', ')})`, default: 'ds-cnn' },
    step: {
      type: 'string',
      value: 'KIND',
      help: 'float (stage float), qat (phase 1), phase2 (mutual distillation) or all',
      default: 'all',
    },
    batch: { type: 'string', value: 'N', help: 'batch size (1..65536)', default: '100' },
    from: { type: 'string', value: 'RUN_DIR', help: "time this run's float checkpoint (a model from pqk import or pqk train) instead" },
    steps: { type: 'string', value: 'N', help: 'timed steps (>= 1)', default: '20' },
    warmup: { type: 'string', value: 'N', help: 'untimed steps first (>= 0)', default: '3' },
    ...BACKEND_FLAG,
  },
  examples: [
    'pqk bench train --model ds-cnn --batch 100 --json',
    'pqk bench train --step qat --backend cpu --steps 2 --warmup 1',
    'pqk bench train --from runs/imported --step qat --steps 5',
  ],
  async run(ctx) {
    const from = optStr(ctx, 'from');
    if (from !== undefined && ctx.values.model !== undefined) throw new UsageError('--model and --from name two models: give one');
    const model = from === undefined ? choice(ctx, 'model', MODEL_NAMES, 'ds-cnn') : `${from} (float checkpoint)`;
    const which = choice(ctx, 'step', [...STEP_KINDS, 'all'] as const, 'all');
    const batch = int(ctx, 'batch', 100, { min: 1, max: 65536 });
    const steps = int(ctx, 'steps', 20, { min: 1, max: 100000 });
    const warmup = int(ctx, 'warmup', 3, { min: 0, max: 100000 });
    const backend = await startBackend(ctx);
    const kinds: StepKind[] = which === 'all' ? [...STEP_KINDS] : [which];
    const rows: StepTiming[] = [];
    for (const step of kinds) {
      const t = await timeTrainingSteps({ model, from, step, batch, steps, warmup });
      ctx.log(
        `${model} ${step} step on ${backend}: ${t.msPerStep.toFixed(1)} ms/step (median of ${steps}, min ${t.minMs.toFixed(1)}), batch ${batch}`,
      );
      rows.push(t);
    }
    const float = rows.find((r) => r.step === 'float');
    if (float) for (const r of rows) if (r !== float) ctx.log(`  ${r.step} / float: ${(r.msPerStep / float.msPerStep).toFixed(2)}x`);
    const first = float ?? rows[0]!; // the top-level figures: the float step's (as before --step existed), else the one asked for
    if (ctx.json)
      printJson({
        backend,
        model,
        batch,
        steps,
        msPerStep: first.msPerStep,
        minMs: first.minMs,
        loss: first.loss,
        rows: rows.map((r) => ({
          step: r.step,
          msPerStep: r.msPerStep,
          minMs: r.minMs,
          cpuMsPerStep: r.cpuMsPerStep,
          loss: r.loss,
          vsFloat: float ? r.msPerStep / float.msPerStep : null,
        })),
      });
    return EXIT.OK;
  },
};
