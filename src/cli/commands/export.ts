// pqk export: the run's most compressed model as a fully integer .tflite file.
import { resolve } from 'node:path';
import { readRunConfig } from '../../pipeline/config.js';
import { exportModel, latestCompressed, prepareData } from '../../pipeline/stages.js';
import { inspectTflite } from '../../tflite/inspect.js';
import { atomicWrite } from '../../util/fs.js';
import { EXIT, printJson, str, type Command } from '../command.js';
import { BACKEND_OPTION, startBackend, target, userStep } from './common.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the compressed model of a run as a .tflite file',
  usage: 'export --run RUN_DIR --out model.tflite [--target T] [--float-io] [--json]',
  options: { run: { type: 'string' }, out: { type: 'string' }, target: { type: 'string' }, 'float-io': { type: 'boolean' }, ...BACKEND_OPTION },
  async run(ctx) {
    const runDir = resolve(str(ctx, 'run'));
    const out = resolve(str(ctx, 'out'));
    const cfg = await userStep(() => readRunConfig(runDir));
    const t = target(str(ctx, 'target', cfg.target ?? 'cortex-m4'));
    await startBackend(ctx);
    const data = await userStep(() => prepareData(cfg.data, ctx.log));
    const rc = { runDir, cfg, log: ctx.log };
    const { stage, model } = await userStep(() => latestCompressed(rc));
    const { bytes } = await exportModel(rc, data, t, model, { floatIO: ctx.values['float-io'] === true });
    atomicWrite(out, bytes);
    const info = inspectTflite(bytes);
    ctx.log(`export: ${stage} -> ${out}: ${info.fileBytes} bytes (${info.payloadBytes} payload), ${info.macs} MACs`);
    if (ctx.json) printJson({ out, stage, fileBytes: info.fileBytes, payloadBytes: info.payloadBytes, macs: info.macs });
    return EXIT.OK;
  },
};
