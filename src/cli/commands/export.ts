// pqk export: the run's most compressed model as a fully integer .tflite file.
import { resolve } from 'node:path';
import { readRunConfig } from '../../pipeline/config.js';
import { exportModel, latestCompressed, prepareData } from '../../pipeline/stages.js';
import { inspectTflite } from '../../tflite/inspect.js';
import { atomicWrite } from '../../util/fs.js';
import { EXIT, printJson, str, type Command } from '../command.js';
import { loadTarget } from '../../targets/load.js';
import { BACKEND_FLAG, startBackend } from './common.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the compressed model of a run as a .tflite file',
  usage: 'export --run RUN_DIR --out model.tflite [--target T] [--float-io] [--json]',
  flags: {
    run: { type: 'string', value: 'RUN_DIR', help: 'a run folder where phase 1 or phase 2 has finished (required)' },
    out: { type: 'string', value: 'FILE', help: 'the .tflite file to write (required; written atomically)' },
    target: { type: 'string', value: 'NAME|FILE', help: 'the target whose quantization the model takes', default: "the run's target, else cortex-m4" },
    'float-io': { type: 'boolean', help: 'float32 input and output (QUANTIZE / DEQUANTIZE at the edges) instead of int8' },
    ...BACKEND_FLAG,
  },
  examples: ['pqk export --run runs/cortex-m4 --out model.tflite', 'pqk export --run runs/cortex-m4 --out model-float-io.tflite --float-io --json'],
  async run(ctx) {
    const runDir = resolve(str(ctx, 'run'));
    const out = resolve(str(ctx, 'out'));
    const cfg = readRunConfig(runDir);
    const t = loadTarget(str(ctx, 'target', cfg.target ?? 'cortex-m4'));
    await startBackend(ctx);
    const data = await prepareData(cfg.data, ctx.log);
    const rc = { runDir, cfg, log: ctx.log };
    const { stage, model } = await latestCompressed(rc);
    const { bytes } = await exportModel(rc, data, t, model, { floatIO: ctx.values['float-io'] === true });
    atomicWrite(out, bytes);
    const info = inspectTflite(bytes);
    ctx.log(`export: ${stage} -> ${out}: ${info.fileBytes} bytes (${info.payloadBytes} payload), ${info.macs} MACs`);
    if (ctx.json) printJson({ out, stage, fileBytes: info.fileBytes, payloadBytes: info.payloadBytes, macs: info.macs });
    return EXIT.OK;
  },
};
