// What the conversion to the integer model (./convert.ts) hands each block (models/blocks/) to write its ops with:
// the tensor and op lists being built, the tensors already written, and a requantized tensor's parameters.
import type { QOp, QTensor } from '../../int/graph.js';
import type { Model } from '../../models/params.js';
import { qparamsOf } from './fake-quant.js';

export interface TensorRef {
  index: number;
  scale: number;
  zeroPoint: number;
  shape: number[]; // NHWC or [1, units], channels already pruned
}

export class Emitter {
  tensors: QTensor[] = [];
  ops: QOp[] = [];
  add(t: QTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }
  // An int8 activation tensor with one scale and zero point.
  activation(name: string, shape: number[], q: { scale: number; zeroPoint: number }): number {
    return this.add({ name, shape, dtype: 'int8', scale: [q.scale], zeroPoint: [q.zeroPoint] });
  }
}

// The scale and zero point a requantized tensor ends training with.
export async function actParams(model: Model, name: string): Promise<{ scale: number; zeroPoint: number }> {
  const q = qparamsOf(model, name);
  const [scale, zeroPoint] = [(await q.scale.data())[0]!, (await q.zeroPoint.data())[0]!];
  q.scale.dispose();
  q.zeroPoint.dispose();
  return { scale, zeroPoint };
}
