// Verification: run a .tflite file in a runtime over the test split and compare every int8 output value with the
// integer reference.
import type { Dataset } from '../data/types.js';
import type { Flavor } from '../int/common.js';
import { runBatch } from '../int/interpreter.js';
import { quantizeValue } from '../int/quantize.js';
import { elementCount } from '../int/graph.js';
import { verificationFromRun } from '../report/index.js';
import type { RuntimeVerification } from '../report/types.js';
import { getRuntime } from '../runtimes/index.js';
import type { Runtime } from '../runtimes/types.js';
import { readTflite } from '../tflite/reader.js';
import { DataError, ModelError } from '../errors.js';

// memory: the target part's flash and RAM, which a firmware image must fit (the board's own memory when absent).
export async function runtimeFor(name: string, memory?: { flashBytes: number; ramBytes: number }): Promise<Runtime> {
  if (name.startsWith('qemu:')) {
    const { QemuRuntime } = await import('../runtimes/qemu.js');
    return QemuRuntime.fromName(name, { memory });
  }
  return getRuntime(name);
}

// Test features quantized with the model's input parameters, as TFLite's QUANTIZE does it (src/int's quantizeValue).
export function quantizeFeatures(data: Dataset, scale: number, zeroPoint: number, limit?: number): Int8Array[] {
  const per = elementCount(data.inputShape);
  const n = Math.min(data.test.n, limit ?? Infinity);
  return Array.from({ length: n }, (_, i) => Int8Array.from(data.test.x.subarray(i * per, (i + 1) * per), (x) => quantizeValue(x, scale, zeroPoint)));
}

// Each runtime is compared with the integer reference in its own kernels' rounding: TFLite 2.9 on x86-64, TFLite 2.9
// on arm64, LiteRT's, or TFLite Micro's (pqk's firmware on the emulated Cortex-M boards).
export function flavorOf(runtimeName: string): Flavor {
  if (runtimeName.startsWith('arm64')) return 'arm64';
  if (runtimeName.startsWith('qemu:')) return 'tflm';
  return runtimeName === 'litert' ? 'litert' : 'x86-64';
}

export interface VerifyResult extends RuntimeVerification {
  runtime: string;
  seconds: number;
}

export async function verifyModel(bytes: Uint8Array, data: Dataset, runtimeName: string, opts: { limit?: number; optimized?: boolean; memory?: { flashBytes: number; ramBytes: number }; file?: string } = {}): Promise<VerifyResult> {
  const where = opts.file ?? 'model';
  // The reader's and the integer reference's model errors, named by the file they come from.
  const named = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ModelError) throw new ModelError(`${where}: ${e.message.replace(/^tflite: /, '')}`);
      throw e;
    }
  };
  const qm = named(() => readTflite(bytes));
  if (qm.inputs.length !== 1 || qm.outputs.length !== 1) throw new ModelError(`${where}: ${qm.inputs.length} inputs and ${qm.outputs.length} outputs; verify runs single-input, single-output classifiers`);
  const inT = qm.tensors[qm.inputs[0]!]!;
  const outT = qm.tensors[qm.outputs[0]!]!;
  if (inT.dtype !== 'int8') throw new ModelError(`${where}: the model's input is ${inT.dtype}; export it with int8 I/O (the default) to verify`);
  if (outT.dtype !== 'int8') throw new ModelError(`${where}: the model's output is ${outT.dtype}; verify compares int8 outputs`);
  if (inT.scale.length !== 1 || inT.zeroPoint.length !== 1) throw new ModelError(`${where}: input '${inT.name}' has ${inT.scale.length} scales; verify needs one (per-tensor) to quantize the data`);
  const want = elementCount(inT.shape.slice(1));
  if (want !== elementCount(data.inputShape)) throw new ModelError(`${where}: the model expects ${inT.shape.slice(1).join('x')} inputs, the data has ${data.inputShape.join('x')}`);
  const classes = elementCount(outT.shape.slice(1));
  if (classes !== data.labels.length) throw new ModelError(`${where}: the model has ${classes} outputs, the data has ${data.labels.length} labels`);
  if (data.test.n === 0) throw new DataError(data.name, 'the test split is empty: nothing to verify');
  const inputs = quantizeFeatures(data, inT.scale[0], inT.zeroPoint[0], opts.limit);
  const reference = named(() => runBatch(qm, inputs, flavorOf(runtimeName)));
  const t0 = Date.now();
  const runtime = await runtimeFor(runtimeName, opts.memory);
  const result = await runtime.run(bytes, inputs, { optimized: opts.optimized });
  const labels = data.test.y.subarray(0, inputs.length);
  return { runtime: runtimeName, seconds: (Date.now() - t0) / 1000, ...verificationFromRun(result, labels, reference), reference: flavorOf(runtimeName) };
}
