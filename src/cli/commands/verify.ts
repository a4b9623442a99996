// pqk verify: run a .tflite file in a runtime over a dataset's test split, compared value by value with the
// integer reference.
import { isMicrocontroller } from '../../runtimes/names.js';
import { loadDataset } from '../../data/index.js';
import { verifyFromAudio, verifyModel } from '../../pipeline/verify.js';
import { agreesWithReference, TOLERANT_RUNTIMES } from '../../report/budgets.js';
import { isRuntimeName, runtimeNamesText } from '../../runtimes/names.js';
import { EXIT, UsageError, optInt, printJson, str, type Command } from '../command.js';
import { readModelFile } from './files.js';
import { formatAccuracy } from '../../train/stage.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'run a .tflite model in tflite | litert | arm64 | qemu:cortex-m4|m7|m33|m55 and compare with the integer reference',
  usage: 'verify model.tflite --data DIR --runtime tflite|litert|arm64|qemu:cortex-m4 [--limit N] [--optimized] [--from-audio] [--json]',
  flags: {
    data: { type: 'string', value: 'DIR', help: 'the dataset whose test split is run (its input shape must match the model) (required)' },
    runtime: { type: 'string', value: 'NAME', help: runtimeNamesText(), default: 'tflite' },
    limit: { type: 'string', value: 'N', help: 'run the first N test samples only (N >= 1)', default: 'the whole test split' },
    optimized: { type: 'boolean', help: 'on qemu:*, the DSP / Helium kernels instead of the plain ones' },
    'from-audio': {
      type: 'boolean',
      help: 'on qemu:*, a KWS model: also send each test clip as 16 kHz PCM and run the C MFCC frontend on the board before the model',
    },
  },
  examples: [
    'pqk verify runs/cortex-m4/model.tflite --data data/synth-kws --runtime qemu:cortex-m4 --optimized',
    'pqk verify runs/cortex-m4/model.tflite --data data/synth-kws --runtime qemu:cortex-m4 --optimized --from-audio',
    'pqk verify model.tflite --data data/synth-kws --runtime tflite --limit 100 --json',
  ],
  exitCodes: `1 also when a runtime's values differ from the integer reference (beyond ${Object.entries(TOLERANT_RUNTIMES)
    .map(([r, l]) => `${l} LSB on ${r}`)
    .join(', ')}; exact elsewhere), or, with --from-audio, when a feature the board's frontend computed differs from the host's`,
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file || extra.length > 0) throw new UsageError('expected exactly one model file: pqk verify model.tflite --data DIR --runtime R');
    const runtime = str(ctx, 'runtime', 'tflite');
    if (!isRuntimeName(runtime)) throw new UsageError(`--runtime: unknown runtime '${runtime}' (known: ${runtimeNamesText()})`);
    const limit = optInt(ctx, 'limit', { min: 1 });
    const fromAudio = ctx.values['from-audio'] === true;
    if (fromAudio && !isMicrocontroller(runtime))
      throw new UsageError(`--from-audio runs the frontend on an emulated board: give --runtime qemu:<cpu>, not ${runtime}`);
    const bytes = readModelFile(file);
    const dataDir = str(ctx, 'data');
    const data = await loadDataset(dataDir, {});
    const vopts = { limit, optimized: ctx.values.optimized === true, file };
    const r = fromAudio ? await verifyFromAudio(bytes, dataDir, data, runtime, vopts) : await verifyModel(bytes, data, runtime, vopts);
    const ipi = r.instructionsPerInference;
    const tolerance = TOLERANT_RUNTIMES[runtime] ?? 0;
    const a = r.audio;
    const ok = agreesWithReference(runtime, r) && (!a || (a.mismatches === 0 && a.featureValuesDiffering === 0));
    ctx.log(
      `${runtime}: accuracy ${formatAccuracy(r.accuracy ?? undefined)} on ${r.samples} samples, ${r.mismatches} mismatching values (max diff ${r.maxDiff}${tolerance > 0 ? `, ${tolerance} LSB allowed` : ''})` +
        (ipi ? `, ${Math.round(ipi.mean)} instructions/inference (max ${ipi.max})` : '') +
        (r.arenaBytes != null ? `, arena ${r.arenaBytes} B` : '') +
        (r.flashBytes != null ? `, flash ${r.flashBytes} B` : ''),
    );
    if (a) {
      const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
      const mean = (s: { mean: number } | null): string => (s ? `${Math.round(s.mean)}` : 'not counted');
      ctx.log(
        `${runtime} from audio: accuracy ${pct(a.accuracyFromAudio)} (from host features ${pct(a.accuracyFromFeatures)}) on ${a.clips} clips, ${a.predictionsDiffering} predictions and ${a.featureValuesDiffering} of ${a.featureValues} feature values differ, ${a.mismatches} mismatching outputs; frontend ${mean(a.frontendInstructions)} + model = ${mean(a.endToEndInstructions)} instructions per clip, frontend scratch ${a.frontendScratchBytes} B + audio ${a.audioBufferBytes} B`,
      );
    }
    if (!ok)
      ctx.log(`verify: ${runtime} differs from the integer reference${a && a.featureValuesDiffering > 0 ? ' or the host frontend' : ''}`);
    const audioJson = a
      ? {
          accuracyFromAudio: a.accuracyFromAudio,
          predictionsDiffering: a.predictionsDiffering,
          featureValuesDiffering: a.featureValuesDiffering,
          endToEndInstructions: a.endToEndInstructions?.mean ?? null,
        }
      : {};
    if (ctx.json)
      printJson({ ...r, ...audioJson, ok, instructionsPerInference: ipi ? ipi.mean : null, instructionsPerInferenceStats: ipi });
    return ok ? EXIT.OK : EXIT.ERROR;
  },
};
