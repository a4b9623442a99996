// `pqk inspect model.tflite [--json]`: what a .tflite file holds (ops, versions, tensors, quantization, MACs,
// sparsity, metadata) and how its bytes split into payload and flatbuffer overhead.
import { EXIT, printJson, UsageError, UserError, type Command, type CommandContext } from '../command.js';
import { readModelFile } from './files.js';
import { ModelError } from '../../errors.js';
import { inspectTflite, type InspectReport } from '../../tflite/inspect.js';
import { renderInspect } from '../../tflite/inspect-text.js';

async function run(ctx: CommandContext): Promise<number> {
  const [file, ...extra] = ctx.positionals;
  if (file === undefined || extra.length > 0) throw new UsageError('expected exactly one MODEL.tflite');
  const bytes = readModelFile(file);
  let report: InspectReport;
  try {
    report = inspectTflite(bytes);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new ModelError(`${file}: not a valid pqk TFLite model: ${e.message.replace(/^tflite: /, '')}`);
  }
  if (ctx.json) printJson({ file, ...report });
  else ctx.log(renderInspect(report, file));
  return EXIT.OK;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show the operators, tensors, MACs, sparsity and size breakdown of a .tflite file',
  usage: 'inspect MODEL.tflite [--json]',
  flags: {},
  examples: ['pqk inspect runs/cortex-m4/model.tflite', 'pqk inspect model.tflite --json | jq .macs'],
  run,
};
