// `pqk import MODEL --out RUN_DIR [--json]`: bring a float .tflite, an ONNX file or a tfjs Layers or Graph model (model.json) into
// pqk as a finished float stage, so `pqk compress` / `pqk run --from RUN_DIR` continue from it.
import { useCpuBackend } from '../../backend/select.js';
import { EXIT, optStr, printJson, str, UsageError, type Command, type CommandContext } from '../command.js';
import { lockRunDir } from '../../util/lock.js';
import { importModel } from '../../import/index.js';

async function run(ctx: CommandContext): Promise<number> {
  const [file, ...extra] = ctx.positionals;
  if (file === undefined || extra.length > 0)
    throw new UsageError('expected exactly one model: a float MODEL.tflite, MODEL.onnx or MODEL_DIR/model.json');
  const out = str(ctx, 'out');
  // The float reference backend: the comparison with the original is about the conversion, not kernel differences.
  await useCpuBackend();
  const unlock = lockRunDir(out, 'import');
  const r = await importModel(file, out, ctx.log, optStr(ctx, 'data'));
  unlock();
  if (ctx.json)
    printJson({
      format: r.format,
      layers: r.layers,
      params: r.params,
      maxAbsDiff: r.maxAbsDiff,
      maxAbsDiffData: r.maxAbsDiffData,
      dataSamples: r.dataSamples,
      softmax: r.softmax,
      logits: r.logits,
      out: r.out,
    });
  else {
    const diff = r.maxAbsDiff === null ? 'not compared' : r.maxAbsDiff.toExponential(2);
    ctx.log(`imported ${file} (${r.format} model): ${r.layers} pqk layers, ${r.params} parameters`);
    const what = r.logits ? ' (logits)' : r.softmax ? ' (after softmax)' : '';
    ctx.log(`max |original - imported| on random inputs${what}: ${diff}`);
    if (r.dataSamples > 0)
      ctx.log(`max |original - imported| on ${r.dataSamples} test samples of --data${what}: ${r.maxAbsDiffData!.toExponential(2)}`);
    ctx.log(
      `float stage written to ${r.out}/checkpoints/float.json; continue with 'pqk compress --run ${r.out} --target T --phase all' or 'pqk run --from ${r.out} --target T'`,
    );
  }
  return EXIT.OK;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'bring a float .tflite, an ONNX model or a tfjs Layers or Graph model (model.json) into pqk as a trained float model',
  usage: 'import MODEL.tflite|MODEL.onnx|MODEL_DIR/model.json --out RUN_DIR [--data DIR] [--json]',
  flags: {
    out: { type: 'string', value: 'RUN_DIR', help: 'the run folder to write: checkpoints/float.* and run.json (required)' },
    data: { type: 'string', value: 'DIR', help: "the dataset 'pqk compress --run RUN_DIR' trains on (recorded in run.json)" },
  },
  examples: [
    'pqk import models/kws/model.json --out runs/imported --data data/synth-kws',
    'pqk import kws_ref_model_float32.tflite --out runs/mlperf --data data/synth-kws',
    'pqk import resnet8.onnx --out runs/resnet8 --data data/images',
    'pqk run --from runs/imported --target cortex-m4',
  ],
  run,
};
