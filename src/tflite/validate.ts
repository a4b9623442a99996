// Checks that a QModel is self-consistent before it is written, and after one has been read: indices in range,
// constant data matching shape and dtype, quantization vectors matching, op arities as the op table allows.
import type { QModel, QTensor } from '../int/graph.js';
import { descriptorOf } from '../ops/table.js';

// Largest element count accepted for any tensor: keeps later arithmetic exact and runtimes' allocations sane.
export const MAX_ELEMENTS = 2 ** 31 - 1;

const ARRAY_FOR: Record<QTensor['dtype'], string> = {
  int8: 'Int8Array',
  int4: 'Int8Array',
  int32: 'Int32Array',
  float32: 'Float32Array',
};

function checkShape(t: QTensor, where: string): number {
  let n = 1;
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new Error(`${where}: shape [${t.shape.join(', ')}] has a dimension that is not a non-negative integer`);
    n *= d;
    if (n > MAX_ELEMENTS) throw new Error(`${where}: shape [${t.shape.join(', ')}] has more than ${MAX_ELEMENTS} elements`);
  }
  return n;
}

// Zero points each element type can hold (TFLite's and the firmware's rule: the zero point is a value of the type).
const ZERO_POINT_RANGE: Record<QTensor['dtype'], [number, number]> = {
  int8: [-128, 127],
  int4: [-8, 7],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  float32: [0, 0],
};

function checkQuantization(t: QTensor, where: string): void {
  if (t.scale.length !== t.zeroPoint.length) throw new Error(`${where}: ${t.scale.length} scales but ${t.zeroPoint.length} zero points`);
  t.scale.forEach((s, i) => {
    // The largest float32 below infinity bounds it as the firmware does; zero, negative, NaN or infinite is no scale.
    if (!(s > 0 && s < 3e38)) throw new Error(`${where}: scale[${i}] is ${s}; a scale must be positive and finite`);
  });
  const [lo, hi] = ZERO_POINT_RANGE[t.dtype];
  t.zeroPoint.forEach((z, i) => {
    if (!Number.isInteger(z) || z < lo || z > hi)
      throw new Error(`${where}: zero_point[${i}] is ${z}, outside the ${t.dtype} range [${lo}, ${hi}]`);
  });
  if (t.quantizedDim !== undefined) {
    if (!Number.isInteger(t.quantizedDim) || t.quantizedDim < 0 || t.quantizedDim >= t.shape.length)
      throw new Error(`${where}: quantized dimension ${t.quantizedDim} is outside its rank ${t.shape.length}`);
    if (t.scale.length > 1 && t.scale.length !== t.shape[t.quantizedDim])
      throw new Error(`${where}: ${t.scale.length} per-channel scales for dimension ${t.quantizedDim} of size ${t.shape[t.quantizedDim]}`);
  } else if (t.scale.length > 1) {
    throw new Error(`${where}: ${t.scale.length} scales but no quantized dimension`);
  }
}

function checkData(t: QTensor, n: number, where: string): void {
  if (t.data === undefined) return;
  if (t.data.constructor.name !== ARRAY_FOR[t.dtype])
    throw new Error(`${where}: ${t.dtype} data must be an ${ARRAY_FOR[t.dtype]}, got ${t.data.constructor.name}`);
  if (t.data.length !== n) throw new Error(`${where}: data has ${t.data.length} elements, shape [${t.shape.join(', ')}] needs ${n}`);
  if (t.dtype === 'int4') {
    const bad = (t.data as Int8Array).findIndex((v) => v < -8 || v > 7);
    if (bad >= 0) throw new Error(`${where}: int4 value ${t.data[bad]} at element ${bad} is outside [-8, 7]`);
  }
}

function checkIndex(model: QModel, i: number, where: string, optional: boolean): void {
  if (i === -1 && optional) return;
  if (!Number.isInteger(i) || i < 0 || i >= model.tensors.length)
    throw new Error(`${where}: tensor index ${i} is outside 0..${model.tensors.length - 1}`);
}

// Throws an Error naming the tensor or op at fault; `prefix` says where the model came from.
export function validateModel(model: QModel, prefix = 'model'): void {
  model.tensors.forEach((t, i) => {
    const where = `${prefix}: tensors[${i}] '${t.name}'`;
    const n = checkShape(t, where);
    checkQuantization(t, where);
    checkData(t, n, where);
  });
  model.ops.forEach((op, k) => {
    const where = `${prefix}: ops[${k}] ${op.op}`;
    const spec = descriptorOf(op.op);
    if (!spec) throw new Error(`${where}: unknown op`);
    const [lo, hi] = spec.inputs;
    if (op.inputs.length < lo || op.inputs.length > hi) throw new Error(`${where}: ${op.inputs.length} inputs, expected ${lo}..${hi}`);
    if (op.outputs.length !== 1) throw new Error(`${where}: ${op.outputs.length} outputs, expected 1`);
    op.inputs.forEach((i, j) => checkIndex(model, i, `${where} input ${j}`, spec.optionalInputs.includes(j)));
    op.outputs.forEach((i, j) => checkIndex(model, i, `${where} output ${j}`, false));
  });
  if (model.inputs.length === 0) throw new Error(`${prefix}: subgraphs[0].inputs: the subgraph has no inputs`);
  if (model.outputs.length === 0) throw new Error(`${prefix}: subgraphs[0].outputs: the subgraph has no outputs`);
  model.inputs.forEach((i, j) => checkIndex(model, i, `${prefix}: inputs[${j}]`, false));
  model.outputs.forEach((i, j) => checkIndex(model, i, `${prefix}: outputs[${j}]`, false));
}
