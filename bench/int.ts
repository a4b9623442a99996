// Prints the integer reference's speed on a DS-CNN-sized model: `node --import tsx bench/int.ts [samples]`.

import { prepareModel } from '../src/ops/interpreter.js';
import { opCosts } from '../src/ops/table.js';
import { syntheticDsCnn } from '../src/ops/synthetic.js';

function main(samples: number): void {
  const model = syntheticDsCnn({ seed: 1 });
  const counted = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);
  const macs = opCosts(model).reduce((a, c) => a + (counted.has(c.op) ? c.macs : 0), 0);
  const prepared = prepareModel(model);
  const inputs = Array.from({ length: samples }, (_, k) => Int8Array.from({ length: 490 }, (_, i) => ((i * 31 + k * 17) % 256) - 128));
  for (let i = 0; i < Math.min(20, samples); i++) prepared.run(inputs[i]); // warm the JIT
  // CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours.
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (const x of inputs) prepared.run(x);
  const cpu = process.cpuUsage(c0);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6 / samples;
  const cpuMs = (cpu.user + cpu.system) / 1e3 / samples;
  console.log(
    `int reference, synthetic DS-CNN (${(macs / 1e6).toFixed(2)} M MACs), ${samples} samples: ` +
      `${cpuMs.toFixed(2)} ms CPU / ${wallMs.toFixed(2)} ms wall per inference, ${(macs / cpuMs / 1e3).toFixed(0)} M MAC/s (CPU)`,
  );
}

main(Number(process.argv[2] ?? 200));
