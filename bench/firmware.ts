// Figures for a DS-CNN-shaped model (49x10x1 MFCC input, conv 10x4/2 to 64 channels, 4 depthwise-separable blocks,
// average pool, FC 12, softmax) on every emulated board: instructions per inference and per MAC, plain C and
// optimized kernels (per op for the optimized ones), flash / arena / RAM bytes, and the wall time of a 1000-sample
// batch on the M4; int8, int4, and int8 and int4 with 2:4 sparsity (with its packed form for the DSP cores, whose 1x1
// convolutions read it and whose images hold only it, without for Helium, which runs it dense: as pqk run exports
// and flashes it for each board), then a table of the optimized kernels' figures per board. Then the same figures
// for the MLPerf Tiny reference DS-CNN (a TFLite-converter file, int8) where ../shared/fixtures has it. "code" is
// flash minus the model as the image holds it: start-up, runtime and kernels.
//   node --import tsx bench/firmware.ts [--samples 1000]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runBatch } from '../src/ops/interpreter.js';
import { opCosts } from '../src/ops/table.js';
import type { QModel } from '../src/int/graph.js';
import { boardForCpu, qemuCpus } from '../src/runtimes/qemu-boards.js';
import { QemuRuntime } from '../src/runtimes/qemu.js';
import { deviceForm } from '../src/deploy/device-form.js';
import { readTflite } from '../src/tflite/reader.js';
import { writeTflite } from '../src/tflite/writer.js';
import { randomInputs } from '../test/firmware/harness.js';
import { dscnnModel, twoOfFour } from '../test/firmware/models.js';

function macs(model: QModel): number {
  return opCosts(model)
    .filter((c) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(c.op))
    .reduce((a, c) => a + c.macs, 0);
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

interface Figures {
  instructions: number;
  conv: number; // CONV_2D instructions
  flash: number;
  arena: number;
  code: number;
}

async function main(): Promise<void> {
  const samplesArg = process.argv.indexOf('--samples');
  const bigBatch = samplesArg > 0 ? Number(process.argv[samplesArg + 1]) : 1000;
  const table = new Map<string, Figures>(); // "weights cpu" -> the optimized figures
  for (const weights of ['int8', 'int4', '2:4 int8', '2:4 int4'] as const) {
    const bits = weights.endsWith('int4') ? 'int4' : 'int8';
    const sparse = weights.startsWith('2:4');
    const model = sparse ? twoOfFour(dscnnModel(1, { weights: bits })) : dscnnModel(1, { weights: bits });
    const dense = writeTflite(model);
    const packed = sparse ? writeTflite(model, { packTwoOfFour: true }) : dense;
    const inputs = randomInputs(model, 10, 2);
    const want = runBatch(model, inputs, 'tflm');
    const device = deviceForm(packed); // what the DSP cores' images hold: the 2:4 weights only in packed form
    console.log(
      `DS-CNN ${weights}: ${macs(model)} MACs, model ${dense.length} bytes${packed === dense ? '' : ` (${packed.length} with the packed form, ${device.length} in the device form)`}`,
    );
    for (const cpu of qemuCpus()) {
      const bytes = boardForCpu(cpu).mve ? dense : packed; // as pqk run exports it for the board
      const held = boardForCpu(cpu).mve ? dense : device; // and as the board's image holds it
      for (const optimized of [false, true]) {
        const r = await new QemuRuntime(cpu).run(bytes, inputs, { optimized });
        const bad = r.outputs.reduce((n, o, i) => n + o.filter((v, j) => v !== want[i][j]).length, 0);
        const ins = mean(r.instructionsPerInference ?? []);
        console.log(
          `  qemu:${cpu.padEnd(10)} ${optimized ? 'optimized' : 'plain    '} ${Math.round(ins).toString().padStart(9)} instr/inference  ${(ins / macs(model)).toFixed(2)} instr/MAC  flash ${r.flashBytes} (code ${(r.flashBytes ?? 0) - held.length})  arena ${r.arenaBytes}  RAM ${r.ramBytes}  mismatches ${bad}`,
        );
        if (optimized) {
          table.set(`${weights} ${cpu}`, {
            instructions: ins,
            conv: (r.instructionsPerOp ?? []).filter((o) => o.op === 'CONV_2D').reduce((a, o) => a + o.instructions, 0),
            flash: r.flashBytes ?? 0,
            arena: r.arenaBytes ?? 0,
            code: (r.flashBytes ?? 0) - held.length,
          });
          console.log(
            `    per op (M instr): ${(r.instructionsPerOp ?? []).map((o) => `${o.op} ${(o.instructions / 1e6).toFixed(3)}`).join(', ')}`,
          );
        }
      }
    }
  }
  // The kernel goals side by side: optimized kernels, the DS-CNN above (2,656,768 MACs).
  const dense = (cpu: string): Figures => table.get(`int8 ${cpu}`)!;
  const modelBytes = (x: Figures): number => x.flash - x.code; // the model as the image holds it
  const f = (v: number, d = 2): string => v.toFixed(d);
  const row = (name: string, cell: (cpu: string) => string): void =>
    console.log(
      `  ${name.padEnd(52)}${qemuCpus()
        .map((c) => cell(c).padStart(12))
        .join('')}`,
    );
  console.log('\nOptimized kernels, the DS-CNN above');
  row('', (c) => c);
  row('int8 dense: instructions per MAC', (c) => f(dense(c).instructions / 2656768));
  row('int8 dense: arena bytes', (c) => String(dense(c).arena));
  row('int4 dense: instructions per MAC', (c) => f(table.get(`int4 ${c}`)!.instructions / 2656768));
  for (const bits of ['int8', 'int4'] as const) {
    const base = (cpu: string): Figures => table.get(`${bits} ${cpu}`)!;
    const sparse = (cpu: string): Figures => table.get(`2:4 ${bits} ${cpu}`)!;
    row(`2:4 ${bits}: instructions per inference / dense ${bits}`, (c) => f(sparse(c).instructions / base(c).instructions));
    row(`2:4 ${bits}: CONV_2D instructions / dense ${bits}`, (c) => f(sparse(c).conv / base(c).conv));
    row(`2:4 ${bits}: model flash / dense ${bits}`, (c) => f(modelBytes(sparse(c)) / modelBytes(base(c))));
  }
  row('2:4 int4: instructions per inference / dense int8', (c) => f(table.get(`2:4 int4 ${c}`)!.instructions / dense(c).instructions));
  row('2:4 int4: model flash / dense int8', (c) => f(modelBytes(table.get(`2:4 int4 ${c}`)!) / modelBytes(dense(c))));
  row('runtime code bytes (optimized image less the model)', (c) => String(dense(c).code));
  row('the same, int4 image', (c) => String(table.get(`int4 ${c}`)!.code));
  row('the same, 2:4 int8 image (its packed path in)', (c) => String(table.get(`2:4 int8 ${c}`)!.code));
  row('the same, 2:4 int4 image (its packed path in)', (c) => String(table.get(`2:4 int4 ${c}`)!.code));
  const fixture = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'mlperf-tiny-kws', 'kws_ref_model.tflite');
  if (existsSync(fixture)) {
    const bytes = new Uint8Array(readFileSync(fixture));
    const ref = readTflite(bytes);
    const inputs = randomInputs(ref, 10, 2);
    const want = runBatch(ref, inputs, 'tflm');
    console.log(`MLPerf Tiny DS-CNN (converter-made, int8): ${macs(ref)} MACs, model ${bytes.length} bytes`);
    for (const cpu of ['cortex-m4', 'cortex-m55'] as const) {
      for (const optimized of [false, true]) {
        const r = await new QemuRuntime(cpu).run(bytes, inputs, { optimized });
        const bad = r.outputs.reduce((n, o, i) => n + o.filter((v, j) => v !== want[i][j]).length, 0);
        const ins = mean(r.instructionsPerInference ?? []);
        console.log(
          `  qemu:${cpu.padEnd(10)} ${optimized ? 'optimized' : 'plain    '} ${Math.round(ins).toString().padStart(9)} instr/inference  ${(ins / macs(ref)).toFixed(2)} instr/MAC  flash ${r.flashBytes} (code ${(r.flashBytes ?? 0) - bytes.length})  arena ${r.arenaBytes}  mismatches ${bad}`,
        );
      }
    }
  } else {
    console.log(`MLPerf Tiny DS-CNN: ${fixture} not found, skipped`);
  }
  const model = dscnnModel(1);
  const inputs = randomInputs(model, bigBatch, 3);
  for (const optimized of [false, true]) {
    for (const countInstructions of [true, false]) {
      const t0 = performance.now();
      await new QemuRuntime('cortex-m4', { countInstructions }).run(writeTflite(model), inputs, { optimized });
      console.log(
        `qemu:cortex-m4 ${optimized ? 'optimized' : 'plain'}, ${bigBatch} samples${countInstructions ? ', counting instructions' : ''}: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  }
}

await main();
