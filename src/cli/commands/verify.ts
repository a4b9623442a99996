// pqk verify: run a .tflite file in a runtime over a dataset's test split, compared value by value with the
// integer reference.
import { loadDataset } from '../../data/index.js';
import { verifyModel } from '../../pipeline/verify.js';
import { agreesWithReference, TOLERANT_RUNTIMES } from '../../report/budgets.js';
import { isRuntimeName, runtimeNamesText } from '../../runtimes/names.js';
import { EXIT, UsageError, optInt, printJson, str, type Command } from '../command.js';
import { readModelFile } from './files.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'run a .tflite model in tflite | litert | arm64 | qemu:cortex-m4|m7|m33|m55 and compare with the integer reference',
  usage: 'verify model.tflite --data DIR --runtime tflite|litert|arm64|qemu:cortex-m4 [--limit N] [--optimized] [--json]',
  flags: {
    data: { type: 'string', value: 'DIR', help: 'the dataset whose test split is run (its input shape must match the model) (required)' },
    runtime: { type: 'string', value: 'NAME', help: runtimeNamesText(), default: 'tflite' },
    limit: { type: 'string', value: 'N', help: 'run the first N test samples only (N >= 1)', default: 'the whole test split' },
    optimized: { type: 'boolean', help: 'on qemu:*, the DSP / Helium kernels instead of the plain ones' },
  },
  examples: ['pqk verify runs/cortex-m4/model.tflite --data data/synth-kws --runtime qemu:cortex-m4 --optimized', 'pqk verify model.tflite --data data/synth-kws --runtime tflite --limit 100 --json'],
  exitCodes: `1 also when a runtime's values differ from the integer reference (beyond ${Object.entries(TOLERANT_RUNTIMES).map(([r, l]) => `${l} LSB on ${r}`).join(', ')}; exact elsewhere)`,
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file || extra.length > 0) throw new UsageError('expected exactly one model file: pqk verify model.tflite --data DIR --runtime R');
    const runtime = str(ctx, 'runtime', 'tflite');
    if (!isRuntimeName(runtime)) throw new UsageError(`--runtime: unknown runtime '${runtime}' (known: ${runtimeNamesText()})`);
    const limit = optInt(ctx, 'limit', { min: 1 });
    const bytes = readModelFile(file);
    const data = await loadDataset(str(ctx, 'data'), {});
    const r = await verifyModel(bytes, data, runtime, { limit, optimized: ctx.values.optimized === true, file });
    const ipi = r.instructionsPerInference;
    const tolerance = TOLERANT_RUNTIMES[runtime] ?? 0;
    const ok = agreesWithReference(runtime, r);
    ctx.log(`${runtime}: accuracy ${(r.accuracy * 100).toFixed(2)}% on ${r.samples} samples, ${r.mismatches} mismatching values (max diff ${r.maxDiff}${tolerance > 0 ? `, ${tolerance} LSB allowed` : ''})` + (ipi ? `, ${Math.round(ipi.mean)} instructions/inference (max ${ipi.max})` : '') + (r.arenaBytes != null ? `, arena ${r.arenaBytes} B` : '') + (r.flashBytes != null ? `, flash ${r.flashBytes} B` : ''));
    if (!ok) ctx.log(`verify: ${runtime} differs from the integer reference`);
    if (ctx.json) printJson({ ...r, ok, instructionsPerInference: ipi ? ipi.mean : null, instructionsPerInferenceStats: ipi });
    return ok ? EXIT.OK : EXIT.ERROR;
  },
};
