// pqk bench train: DS-CNN training ms/step on the chosen backend (median after warm-up).
import { timeDsCnnTraining } from '../../backend/bench.js';
import { EXIT, choice, int, printJson, type Command } from '../command.js';
import { BACKEND_FLAG, startBackend } from './common.js';

export const benchTrainCommand: Command = {
  name: 'bench train',
  summary: 'time training steps of a model on the chosen tfjs backend',
  usage: 'bench train --model ds-cnn [--batch 100] [--steps 20] [--warmup 3] [--bn moments|fused] [--backend B] [--json]',
  flags: {
    model: { type: 'string', value: 'NAME', help: 'the model to time (ds-cnn)', default: 'ds-cnn' },
    batch: { type: 'string', value: 'N', help: 'batch size (1..65536)', default: '100' },
    steps: { type: 'string', value: 'N', help: 'timed steps (>= 1)', default: '20' },
    warmup: { type: 'string', value: 'N', help: 'untimed steps first (>= 0)', default: '3' },
    bn: { type: 'string', value: 'moments|fused', help: 'batch norm through tf.moments or the fused kernel', default: 'moments' },
    ...BACKEND_FLAG,
  },
  examples: ['pqk bench train --model ds-cnn --batch 100 --json', 'pqk bench train --bn fused --backend cpu --steps 5'],
  async run(ctx) {
    const model = choice(ctx, 'model', ['ds-cnn'] as const, 'ds-cnn');
    const bn = choice(ctx, 'bn', ['moments', 'fused'] as const, 'moments');
    const batch = int(ctx, 'batch', 100, { min: 1, max: 65536 });
    const steps = int(ctx, 'steps', 20, { min: 1, max: 100000 });
    const warmup = int(ctx, 'warmup', 3, { min: 0, max: 100000 });
    const backend = await startBackend(ctx);
    const t = timeDsCnnTraining({ batch, steps, warmup, bn });
    ctx.log(`${model} on ${backend}: ${t.msPerStep.toFixed(1)} ms/step (median of ${steps}, min ${t.minMs.toFixed(1)}), batch ${batch}, batch norm ${bn}`);
    if (ctx.json) printJson({ backend, model, batch, msPerStep: t.msPerStep, steps, minMs: t.minMs, bn, loss: t.loss });
    return EXIT.OK;
  },
};
