// pqk verify: run a .tflite file in a runtime over a dataset's test split, compared value by value with the
// integer reference.
import { existsSync, readFileSync } from 'node:fs';
import { loadDataset } from '../../data/index.js';
import { verifyModel } from '../../pipeline/verify.js';
import { EXIT, UserError, optStr, printJson, str, type Command } from '../command.js';
import { userStep } from './common.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'run a .tflite model in tflite | litert | arm64 | qemu:cortex-m4|m7|m33|m55 and compare with the integer reference',
  usage: 'verify model.tflite --data DIR --runtime tflite|litert|arm64|qemu:cortex-m4 [--limit N] [--optimized] [--json]',
  options: { data: { type: 'string' }, runtime: { type: 'string' }, limit: { type: 'string' }, optimized: { type: 'boolean' } },
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file) throw new UserError('missing the model file: pqk verify model.tflite --data DIR --runtime R', EXIT.USAGE);
    if (!existsSync(file)) throw new UserError(`${file}: no such file`);
    const runtime = str(ctx, 'runtime', 'tflite');
    const limit = optStr(ctx, 'limit');
    const data = await userStep(() => loadDataset(str(ctx, 'data'), {}));
    const r = await userStep(() => verifyModel(new Uint8Array(readFileSync(file)), data, runtime, { limit: limit ? Number(limit) : undefined, optimized: ctx.values.optimized === true }));
    const ipi = r.instructionsPerInference;
    ctx.log(`${runtime}: accuracy ${(r.accuracy * 100).toFixed(2)}% on ${r.samples} samples, ${r.mismatches} mismatching values (max diff ${r.maxDiff})` + (ipi ? `, ${Math.round(ipi.mean)} instructions/inference (max ${ipi.max})` : '') + (r.arenaBytes != null ? `, arena ${r.arenaBytes} B` : '') + (r.flashBytes != null ? `, flash ${r.flashBytes} B` : ''));
    if (ctx.json) printJson({ ...r, instructionsPerInference: ipi ? ipi.mean : null, instructionsPerInferenceStats: ipi });
    return r.mismatches === 0 || runtime === 'litert' ? EXIT.OK : EXIT.ERROR;
  },
};
