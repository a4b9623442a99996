// Runs a QModel with the integer kernels, op by op in model order: the golden model every runtime is compared to.

import { elementCount, type QModel } from '../int/graph.js';
import type { Evaluate, Flavor, TensorData } from '../int/common.js';
import { kernelFor } from './table.js';

export type { Flavor } from '../int/common.js';

export interface Intermediate {
  node: number;
  tensor: number;
  name: string;
  data: TensorData;
}

export interface RunOutput {
  outputs: (Int8Array | Float32Array)[]; // one per model output, flattened
  intermediates?: Intermediate[]; // every op output in execution order, when asked for
}

export interface RunOptions {
  keepIntermediates?: boolean;
  flavor?: Flavor; // which TFLite 2.9 build to reproduce, default 'x86-64'
}

export interface PreparedModel {
  run(input: Int8Array | Float32Array, opts?: { keepIntermediates?: boolean }): RunOutput;
}

function checkInput(model: QModel, input: Int8Array | Float32Array): void {
  if (model.inputs.length !== 1) throw new Error(`int reference: models with ${model.inputs.length} inputs are not supported`);
  const t = model.tensors[model.inputs[0]];
  const n = elementCount(t.shape);
  const want = t.dtype === 'float32' ? Float32Array : Int8Array;
  if (!(input instanceof want)) throw new Error(`int reference: input '${t.name}' is ${t.dtype}, got ${input.constructor.name}`);
  if (input.length !== n) throw new Error(`int reference: input '${t.name}' needs ${n} values, got ${input.length}`);
}

// Prepares every op once (multipliers, tables, geometry), then runs any number of inputs.
export function prepareModel(model: QModel, flavor: Flavor = 'x86-64'): PreparedModel {
  const steps: Evaluate[] = model.ops.map((op, node) => {
    const ctx = { model, op, node, flavor };
    return kernelFor(ctx).prepare(ctx);
  });
  return {
    run(input, opts = {}) {
      checkInput(model, input);
      const values: (TensorData | undefined)[] = model.tensors.map((t) => t.data);
      values[model.inputs[0]] = input;
      const intermediates: Intermediate[] = [];
      model.ops.forEach((op, node) => {
        const inputs = op.inputs
          .filter((i) => i >= 0)
          .map((i) => {
            const v = values[i];
            if (!v) {
              throw new Error(`int reference: node ${node} (${op.op}) reads tensor ${i} '${model.tensors[i]?.name}' before it is computed`);
            }
            return v;
          });
        const out = steps[node](inputs);
        values[op.outputs[0]] = out;
        if (opts.keepIntermediates) intermediates.push({ node, tensor: op.outputs[0], name: model.tensors[op.outputs[0]].name, data: out });
      });
      const outputs = model.outputs.map((i) => {
        const v = values[i];
        if (!(v instanceof Int8Array || v instanceof Float32Array)) {
          throw new Error(`int reference: output tensor ${i} is not int8 or float32`);
        }
        return v;
      });
      return opts.keepIntermediates ? { outputs, intermediates } : { outputs };
    },
  };
}

export function runModel(model: QModel, input: Int8Array | Float32Array, opts: RunOptions = {}): RunOutput {
  return prepareModel(model, opts.flavor).run(input, opts);
}

// The first model output of every sample, as the runtimes report it.
export function runBatch(model: QModel, inputs: (Int8Array | Float32Array)[], flavor: Flavor = 'x86-64'): Int8Array[] {
  const prepared = prepareModel(model, flavor);
  return inputs.map((x, i) => {
    const out = prepared.run(x).outputs[0];
    if (!(out instanceof Int8Array)) throw new Error(`int reference: sample ${i}: first output is not int8`);
    return out;
  });
}
