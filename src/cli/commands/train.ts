// pqk train: float training of a zoo model on a dataset, resumable, with evaluation.
import { resolve } from 'node:path';
import { accuracy, confusionMatrix, predict } from '../../train/loop.js';
import { paramCount } from '../../models/params.js';
import { countMacs } from '../../models/spec.js';
import { MODEL_NAMES } from '../../models/zoo.js';
import { readRunConfig, writeRunConfig, type RunConfig } from '../../pipeline/config.js';
import { prepareData, stageFloat } from '../../pipeline/stages.js';
import { FLOAT_DEFAULTS, floatLogits } from '../../train/float.js';
import { EXIT, UserError, num, printJson, str, type Command } from '../command.js';
import { progressPrinter } from '../progress.js';
import { BACKEND_OPTION, startBackend, userStep } from './common.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model in float (resumes after a kill)',
  usage: 'train --model ds-cnn|resnet|mlp --data DIR --epochs N --out RUN_DIR [--backend B] [--seed S] [--batch N] [--lr X] [--json]',
  options: { model: { type: 'string' }, data: { type: 'string' }, epochs: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, ...BACKEND_OPTION },
  async run(ctx) {
    const model = str(ctx, 'model', FLOAT_DEFAULTS.model);
    if (!(MODEL_NAMES as readonly string[]).includes(model)) throw new UserError(`--model: unknown model '${model}' (known: ${MODEL_NAMES.join(', ')})`, EXIT.USAGE);
    const out = resolve(str(ctx, 'out'));
    const seed = num(ctx, 'seed', 1);
    const dataSpec = str(ctx, 'data');
    const backend = await startBackend(ctx);
    const cfg: Partial<RunConfig> & Pick<RunConfig, 'float'> = {
      format: 'pqk-run-1',
      model,
      data: dataSpec,
      seed,
      float: { ...FLOAT_DEFAULTS, model, seed, epochs: num(ctx, 'epochs', FLOAT_DEFAULTS.epochs), batchSize: num(ctx, 'batch', FLOAT_DEFAULTS.batchSize), lr: num(ctx, 'lr', FLOAT_DEFAULTS.lr) },
    };
    writeRunConfig(out, cfg);
    const data = await userStep(() => prepareData(dataSpec, ctx.log));
    const t0 = Date.now();
    const { model: m, state } = await stageFloat({ runDir: out, cfg: readRunConfig(out), log: ctx.log, onProgress: progressPrinter(ctx.json) }, data);
    const pred = await predict(data.test, data.inputShape, floatLogits(m));
    const testAccuracy = accuracy(pred, data.test.y);
    const confusion = confusionMatrix(pred, data.test.y, data.labels.length);
    ctx.log(`test accuracy: ${(testAccuracy * 100).toFixed(2)}% on ${data.test.n} samples`);
    ctx.log(`confusion matrix (rows: true, columns: predicted): ${data.labels.join(' ')}`);
    confusion.forEach((row, i) => ctx.log(`  ${data.labels[i].padEnd(10)} ${row.map((v) => String(v).padStart(4)).join(' ')}`));
    if (ctx.json)
      printJson({ backend, model, run: out, testAccuracy, valAccuracy: state.valAccuracy ?? null, epochs: state.epoch, seconds: (Date.now() - t0) / 1000, params: paramCount(m), macs: countMacs(m.spec), labels: data.labels, confusion });
    return EXIT.OK;
  },
};
