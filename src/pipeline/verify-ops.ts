// Op-by-op verification: each op of a model runs alone in the runtime, fed the integer reference's own inputs for
// that op, so a rounding difference shows where it arises instead of as the sum of every upstream difference.
// This is how a runtime whose kernels round differently (LiteRT's XNNPACK) is held to "at most 1 LSB".
import type { Flavor } from '../int/common.js';
import type { QModel } from '../int/graph.js';
import { prepareModel } from '../ops/interpreter.js';
import type { Runtime } from '../runtimes/types.js';
import { writeTflite } from '../tflite/writer.js';

export interface OpCheck {
  node: number;
  op: string;
  values: number; // compared int8 output values
  mismatches: number;
  maxDiff: number;
}

// A model of op `k` alone: its activation inputs become the model's inputs, constants keep their data.
function oneOpModel(m: QModel, k: number): { model: QModel; inputs: number[] } {
  const op = m.ops[k];
  const used = [...op.inputs.filter((i) => i >= 0), ...op.outputs];
  const index = new Map(used.map((t, i) => [t, i]));
  const tensors = used.map((t) => m.tensors[t]);
  const actInputs = op.inputs.filter((i) => i >= 0 && !m.tensors[i].data);
  const model: QModel = {
    tensors,
    ops: [
      {
        ...op,
        inputs: op.inputs.map((i) => (i < 0 ? -1 : index.get(i)!)),
        outputs: op.outputs.map((o) => index.get(o)!),
      } as QModel['ops'][number],
    ],
    inputs: actInputs.map((i) => index.get(i)!),
    outputs: op.outputs.map((o) => index.get(o)!),
    metadata: {},
  };
  return { model, inputs: actInputs };
}

export async function verifyOps(m: QModel, samples: Int8Array[], runtime: Runtime, flavor: Flavor = 'x86-64'): Promise<OpCheck[]> {
  const ref = prepareModel(m, flavor);
  const runs = samples.map((x) => ref.run(x, { keepIntermediates: true }));
  const valueOf = (run: (typeof runs)[number], t: number): Int8Array => {
    if (t === m.inputs[0]) return samples[runs.indexOf(run)];
    const hit = run.intermediates!.find((i) => i.tensor === t);
    if (!hit || !(hit.data instanceof Int8Array)) throw new Error(`verify ops: tensor ${t} has no int8 reference value`);
    return hit.data;
  };
  const out: OpCheck[] = [];
  for (let k = 0; k < m.ops.length; k++) {
    if (['RESHAPE', 'SQUEEZE', 'EXPAND_DIMS'].includes(m.ops[k].op)) continue; // moves no value
    const { model, inputs } = oneOpModel(m, k);
    const feeds = runs.map((run) => {
      const parts = inputs.map((t) => valueOf(run, t));
      const all = new Int8Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      return all;
    });
    const got = (await runtime.run(writeTflite(model), feeds)).outputs;
    const check: OpCheck = { node: k, op: m.ops[k].op, values: 0, mismatches: 0, maxDiff: 0 };
    got.forEach((g, s) => {
      const want = runs[s].intermediates!.find((i) => i.node === k)!.data;
      for (let j = 0; j < g.length; j++) {
        const d = Math.abs(g[j] - (want[j] as number));
        check.values++;
        if (d > 0) check.mismatches++;
        check.maxDiff = Math.max(check.maxDiff, d);
      }
    });
    out.push(check);
  }
  return out;
}
