// Prints the runtimes' figures on a DS-CNN-sized model: wall time per batch, instructions per inference on two
// emulated arm64 cores, and output mismatches against the integer reference and the x86-64 TFLite library.
//   node --import tsx bench/runtimes.ts [samples]
import { runBatch } from '../src/ops/interpreter.js';
import { writeTflite } from '../src/tflite/writer.js';
import { getRuntime } from '../src/runtimes/index.js';
import type { RunResult } from '../src/runtimes/types.js';
import { buildNative } from '../test/runtimes/build.js';
import { dsCnnLike, randomInputs } from '../test/runtimes/models.js';

function differing(a: Int8Array[], b: Int8Array[]): string {
  let n = 0,
    total = 0,
    worst = 0;
  a.forEach((y, i) =>
    y.forEach((v, k) => {
      const d = Math.abs(v - b[i][k]);
      total++;
      if (d > 0) n++;
      worst = Math.max(worst, d);
    }),
  );
  return `${n}/${total} (max ${worst} LSB)`;
}

await buildNative();
const count = Number(process.argv[2] ?? 200);
const model = dsCnnLike(1);
const bytes = writeTflite(model);
const inputs = randomInputs(count, 490, 2);
const reference = runBatch(model, inputs);
const results: Record<string, RunResult> = {};
console.log(`DS-CNN-like model, ${bytes.length} bytes, ${count} samples`);
for (const name of ['tflite', 'arm64:cortex-a53', 'arm64:cortex-a76', 'litert']) {
  const t0 = performance.now();
  const r = (results[name] = await getRuntime(name).run(bytes, inputs));
  const ms = performance.now() - t0;
  const insns = r.instructionsPerInference ? `, ${r.instructionsPerInference[0]} instructions/inference` : '';
  const vsTflite = name === 'tflite' ? '' : `, vs tflite ${differing(r.outputs, results.tflite.outputs)}`;
  console.log(
    `${name.padEnd(17)} ${(ms / 1000).toFixed(2)} s${insns}, vs reference ${differing(r.outputs, reference)}${vsTflite} [${r.version}]`,
  );
}
