// pqk export: the run's most compressed model as a fully integer .tflite file, or as a C bundle for a firmware
// project (--format c: the model as a C array, its header, the pqk micro runtime, an example and build files).
import { basename, resolve } from 'node:path';
import { bundleForTarget } from '../../deploy/bundle.js';
import { readRunConfig } from '../../pipeline/config.js';
import { exportModel, firstTestClip, latestCompressed, prepareData } from '../../pipeline/stages.js';
import { inspectTflite } from '../../tflite/inspect.js';
import { atomicWrite } from '../../util/fs.js';
import { choice, EXIT, printJson, str, UsageError, type Command } from '../command.js';
import { loadTarget } from '../../targets/load.js';
import { BACKEND_FLAG, startBackend } from './common.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the compressed model of a run as a .tflite file or a C bundle',
  usage: 'export --run RUN_DIR --out model.tflite|DIR [--format tflite|c] [--target T] [--float-io] [--json]',
  flags: {
    run: { type: 'string', value: 'RUN_DIR', help: 'a run folder where phase 1 or phase 2 has finished (required)' },
    out: {
      type: 'string',
      value: 'FILE|DIR',
      help: 'the .tflite file to write, or the folder of the C bundle (required; files written atomically)',
    },
    format: {
      type: 'string',
      value: 'tflite|c',
      help: "a .tflite file, or a C bundle for the target's CPU (model_data.c/.h, model.h, pqk_micro/, example/, Makefile, CMakeLists.txt)",
      default: 'tflite',
    },
    target: {
      type: 'string',
      value: 'NAME|FILE',
      help: 'the target whose quantization the model takes',
      default: "the run's target, else cortex-m4",
    },
    'float-io': { type: 'boolean', help: 'float32 input and output (QUANTIZE / DEQUANTIZE at the edges) instead of int8' },
    ...BACKEND_FLAG,
  },
  examples: [
    'pqk export --run runs/cortex-m4 --out model.tflite',
    'pqk export --run runs/cortex-m4 --out model-float-io.tflite --float-io --json',
    'pqk export --run runs/cortex-m4 --format c --out deploy',
  ],
  async run(ctx) {
    const runDir = resolve(str(ctx, 'run'));
    const out = resolve(str(ctx, 'out'));
    const format = choice(ctx, 'format', ['tflite', 'c'] as const, 'tflite');
    if (format === 'c' && ctx.values['float-io'] === true)
      throw new UsageError('--float-io: a C bundle runs the int8 model; leave out --float-io with --format c');
    const cfg = readRunConfig(runDir);
    const t = loadTarget(str(ctx, 'target', cfg.target ?? 'cortex-m4'));
    await startBackend(ctx);
    const data = await prepareData(cfg.data, ctx.log, undefined, cfg.augment);
    const rc = { runDir, cfg, log: ctx.log };
    const { stage, model } = await latestCompressed(rc);
    const { bytes } = await exportModel(rc, data, t, model, { floatIO: ctx.values['float-io'] === true });
    if (format === 'c') {
      const b = await bundleForTarget(out, bytes, t, `run ${basename(runDir)}`, data.test, await firstTestClip(cfg.data, data));
      ctx.log(`export: ${stage} -> ${out}: C bundle for ${t.cpu}, ${b.files.length} files, sha256 ${b.sha256.slice(0, 16)}`);
      if (ctx.json) printJson({ out, stage, format, cpu: t.cpu, files: b.files, sha256: b.sha256, modelBytes: bytes.length });
      return EXIT.OK;
    }
    atomicWrite(out, bytes);
    const info = inspectTflite(bytes);
    ctx.log(`export: ${stage} -> ${out}: ${info.fileBytes} bytes (${info.payloadBytes} payload), ${info.macs} MACs`);
    if (ctx.json) printJson({ out, stage, fileBytes: info.fileBytes, payloadBytes: info.payloadBytes, macs: info.macs });
    return EXIT.OK;
  },
};
