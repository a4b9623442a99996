// pqk train: float training of a zoo model on a dataset, resumable, with evaluation.
import { resolve } from 'node:path';
import { accuracy, confusionMatrix, predict } from '../../train/loop.js';
import { paramCount } from '../../models/params.js';
import { countMacs } from '../../models/spec.js';
import { MODEL_NAMES } from '../../models/zoo.js';
import { guardRunSettings, readRunConfig, writeRunConfig, type RunConfig } from '../../pipeline/config.js';
import { dataLocation } from '../../data/index.js';
import { loadConfigFile } from '../../pipeline/run.js';
import { prepareData, stageFloat } from '../../pipeline/stages.js';
import { FLOAT_DEFAULTS, floatLogits } from '../../train/float.js';
import { lockRunDir } from '../../util/lock.js';
import { EXIT, choice, int, num, optStr, printJson, str, type Command } from '../command.js';
import { progressPrinter } from '../progress.js';
import { BACKEND_FLAG, startBackend } from './common.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model in float (resumes after a kill)',
  usage:
    'train --model ds-cnn|resnet|mlp --data DIR --epochs N --out RUN_DIR [--config pqk.json] [--backend B] [--seed S] [--batch N] [--lr X] [--weight-decay X] [--json]',
  flags: {
    model: { type: 'string', value: 'NAME', help: MODEL_NAMES.join(', '), default: FLOAT_DEFAULTS.model },
    data: {
      type: 'string',
      value: 'DIR',
      help: 'a Speech Commands folder, a folder of class folders of images or of IDX files, mnist or fashion-mnist (required)',
    },
    epochs: { type: 'string', value: 'N', help: 'training epochs (1..10000)', default: String(FLOAT_DEFAULTS.epochs) },
    out: { type: 'string', value: 'RUN_DIR', help: 'the run folder: run.json and checkpoints (required; resumed when it exists)' },
    seed: { type: 'string', value: 'S', help: 'initialization and shuffling seed (integer)', default: '1' },
    batch: { type: 'string', value: 'N', help: 'batch size (1..65536)', default: String(FLOAT_DEFAULTS.batchSize) },
    lr: { type: 'string', value: 'X', help: 'Adam learning rate (> 0)', default: String(FLOAT_DEFAULTS.lr) },
    'weight-decay': {
      type: 'string',
      value: 'X',
      help: 'decoupled weight decay: each step multiplies the kernels followed by batch norm by 1 - lr * X (0..1000; 0 turns it off)',
      default: String(FLOAT_DEFAULTS.weightDecay),
    },
    config: {
      type: 'string',
      value: 'FILE',
      help: 'a pqk run --config file: its model, data, seed, float and augment settings where no flag gives them; its phase1 and phase2 settings go into run.json for pqk compress',
    },
    ...BACKEND_FLAG,
  },
  examples: [
    'pqk train --model ds-cnn --data data/synth-kws --epochs 12 --out runs/float-kws',
    'pqk train --model resnet --data fashion-mnist --epochs 5 --out runs/fm --json',
  ],
  async run(ctx) {
    // Flags win over the config file, which wins over the defaults.
    const file = loadConfigFile(optStr(ctx, 'config'));
    const base = { ...FLOAT_DEFAULTS, ...file.float };
    const model = choice(ctx, 'model', MODEL_NAMES, file.model ?? base.model);
    const out = resolve(str(ctx, 'out'));
    const seed = int(ctx, 'seed', file.seed ?? 1, { min: 0, max: 2 ** 31 - 1 });
    const dataSpec = dataLocation(str(ctx, 'data', file.data));
    const float = {
      ...base,
      model,
      seed: file.float?.seed ?? seed,
      epochs: int(ctx, 'epochs', base.epochs, { min: 1, max: 10000 }),
      batchSize: int(ctx, 'batch', base.batchSize, { min: 1, max: 65536 }),
      lr: num(ctx, 'lr', base.lr, { above: 0, max: 10 }),
      weightDecay: num(ctx, 'weight-decay', base.weightDecay, { min: 0, max: 1000 }),
    };
    const { augment, phase1, phase2 } = file;
    const cfg: Partial<RunConfig> & Pick<RunConfig, 'float'> = {
      format: 'pqk-run-1',
      model,
      data: dataSpec,
      seed,
      float,
      ...(augment ? { augment } : {}),
      ...(phase1 ? { phase1: phase1 as RunConfig['phase1'] } : {}),
      ...(phase2 ? { phase2: phase2 as RunConfig['phase2'] } : {}),
    };
    // A folder of other settings is refused before the data loads; the settings bind it once the data has loaded.
    const settings = { model, data: dataSpec, seed, float, augment: augment ?? null };
    guardRunSettings(out, settings, false);
    const data = await prepareData(dataSpec, ctx.log, undefined, augment);
    const unlock = lockRunDir(out, 'train');
    guardRunSettings(out, settings);
    const backend = await startBackend(ctx);
    writeRunConfig(out, cfg);
    const t0 = Date.now();
    const { model: m, state } = await stageFloat(
      { runDir: out, cfg: readRunConfig(out), log: ctx.log, onProgress: progressPrinter(ctx.json) },
      data,
    );
    unlock();
    const pred = await predict(data.test, data.inputShape, floatLogits(m));
    const testAccuracy = accuracy(pred, data.test.y);
    const confusion = confusionMatrix(pred, data.test.y, data.labels.length);
    ctx.log(`test accuracy: ${(testAccuracy * 100).toFixed(2)}% on ${data.test.n} samples`);
    ctx.log(`confusion matrix (rows: true, columns: predicted): ${data.labels.join(' ')}`);
    confusion.forEach((row, i) => ctx.log(`  ${data.labels[i].padEnd(10)} ${row.map((v) => String(v).padStart(4)).join(' ')}`));
    if (ctx.json)
      printJson({
        backend,
        model,
        run: out,
        testAccuracy,
        valAccuracy: state.valAccuracy ?? null,
        epochs: state.epoch,
        seconds: (Date.now() - t0) / 1000,
        params: paramCount(m),
        macs: countMacs(m.spec),
        labels: data.labels,
        confusion,
      });
    return EXIT.OK;
  },
};
