// `pqk inspect model.tflite [--json]`: what a .tflite file holds (ops, versions, tensors, quantization, MACs,
// sparsity, metadata) and how its bytes split into payload and flatbuffer overhead.
import { readFileSync } from 'node:fs';
import { EXIT, printJson, UserError, type Command, type CommandContext } from '../command.js';
import { inspectTflite, type InspectReport } from '../../tflite/inspect.js';
import { renderInspect } from '../../tflite/inspect-text.js';

function readModelFile(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read: ${(e as Error).message}`);
  }
}

async function run(ctx: CommandContext): Promise<number> {
  const [file, ...extra] = ctx.positionals;
  if (file === undefined || extra.length > 0) throw new UserError('expected exactly one MODEL.tflite', EXIT.USAGE);
  const bytes = readModelFile(file);
  let report: InspectReport;
  try {
    report = inspectTflite(bytes);
  } catch (e) {
    throw new UserError(`${file}: not a valid pqk TFLite model: ${(e as Error).message.replace(/^tflite: /, '')}`);
  }
  if (ctx.json) printJson({ file, ...report });
  else ctx.log(renderInspect(report, file));
  return EXIT.OK;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show the operators, tensors, MACs, sparsity and size breakdown of a .tflite file',
  usage: 'inspect MODEL.tflite [--json]',
  options: {},
  run,
};
