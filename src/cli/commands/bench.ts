// pqk bench train: DS-CNN training ms/step on the chosen backend (median after warm-up).
import { timeDsCnnTraining } from '../../backend/bench.js';
import { EXIT, UserError, num, printJson, str, type Command } from '../command.js';
import { BACKEND_OPTION, startBackend } from './common.js';

export const benchTrainCommand: Command = {
  name: 'bench train',
  summary: 'time training steps of a model on the chosen tfjs backend',
  usage: 'bench train --model ds-cnn [--batch 100] [--steps 20] [--warmup 3] [--bn moments|fused] [--backend B] [--json]',
  options: {
    model: { type: 'string' },
    batch: { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    bn: { type: 'string' },
    ...BACKEND_OPTION,
  },
  async run(ctx) {
    const model = str(ctx, 'model', 'ds-cnn');
    if (model !== 'ds-cnn') throw new UserError(`--model ${model}: only ds-cnn can be timed`, EXIT.USAGE);
    const bn = str(ctx, 'bn', 'moments');
    if (bn !== 'moments' && bn !== 'fused') throw new UserError(`--bn ${bn}: choose moments or fused`, EXIT.USAGE);
    const [batch, steps, warmup] = [num(ctx, 'batch', 100), num(ctx, 'steps', 20), num(ctx, 'warmup', 3)];
    if (!(batch >= 1 && steps >= 1 && warmup >= 0)) throw new UserError('--batch and --steps must be >= 1, --warmup >= 0', EXIT.USAGE);
    const backend = await startBackend(ctx);
    const t = timeDsCnnTraining({ batch, steps, warmup, bn });
    ctx.log(`${model} on ${backend}: ${t.msPerStep.toFixed(1)} ms/step (median of ${steps}, min ${t.minMs.toFixed(1)}), batch ${batch}, batch norm ${bn}`);
    if (ctx.json) printJson({ backend, model, batch, msPerStep: t.msPerStep, steps, minMs: t.minMs, bn, loss: t.loss });
    return EXIT.OK;
  },
};
