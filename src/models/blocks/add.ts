// add: the elementwise sum of two tensors of one shape, then a fused activation; TFLite's ADD.
import * as tf from '@tensorflow/tfjs-core';
import { addExact, addParams } from '../../backend/exact-rescale.js';
import { quantAddRaw } from '../../backend/quant-add.js';
import { addRescale } from '../../int/add.js';
import { actParams } from '../../compress/quant/emit.js';
import type { QParams } from '../../compress/quant/fake-quant.js';
import { exactParams, fixedPointScale, requantizeOutput, type IntTensor, type QatState } from '../../compress/quant/qat-core.js';
import type { BlockDescriptor } from './descriptor.js';
import { ACT, activate } from './descriptor.js';

// The exact ADD of an evaluation on a backend without the quantAddRaw op (its multipliers from prepareExact).
function exactAdd(name: string, a: IntTensor, b: IntTensor, q: QParams, st: QatState): tf.Tensor | undefined {
  const params = exactParams(
    name,
    [a.q.scale, b.q.scale, q.scale],
    ([s1, s2, so]) =>
      addParams(
        addRescale(s1![0]!, s2![0]!, so![0]!, (why) => {
          throw new Error(`quantized ADD '${name}': ${why}`);
        }),
      ),
    st,
  );
  return params && addExact(a.v, b.v, params);
}

export const add: BlockDescriptor<'add'> = {
  kinds: ['add'],
  inputs: (n) => [...n.inputs],
  shape(_n, [a, b], where) {
    if (a!.join() !== b!.join()) throw new Error(`${where} joins ${a} and ${b}`);
    return a!;
  },
  keepsQuantization: false,
  passesChannels: false,
  float: (n, [a, b]) => activate(tf.add(a!, b!), n.activation),
  teacherQuantizes: () => true,
  qat(model, n, [a, b], st) {
    // TFLite's ADD: inputs rescaled to a common 2^20-finer grid (2 * max scale), summed, then requantized: exactly
    // on the CPU backends (quantAddRaw); elsewhere through a float32 grid, which can differ by an LSB.
    const [x, y] = [a!, b!];
    const real = tf.add(tf.mul(x.v, x.q.scale), tf.mul(y.v, y.q.scale));
    const onGrid = (q: QParams): tf.Tensor => {
      const twiceMax = tf.mul(tf.maximum(x.q.scale, y.q.scale), 2);
      const grid = tf.add(
        tf.mul(x.v, tf.div(tf.mul(x.q.scale, 1 << 20), twiceMax)),
        tf.mul(y.v, tf.div(tf.mul(y.q.scale, 1 << 20), twiceMax)),
      );
      return fixedPointScale(grid, tf.div(twiceMax, tf.mul(q.scale, 1 << 20)), 'away');
    };
    return requantizeOutput(
      model,
      n.name,
      st,
      () => real,
      (q) => quantAddRaw(x.v, y.v, x.q.scale, y.q.scale, q.scale) ?? exactAdd(n.name, x, y, q, st) ?? onGrid(q),
      n.activation,
    );
  },
  async emit(b, model, n, [x, y]) {
    const out = await actParams(model, n.name);
    const o = b.activation(n.name, x!.shape, out);
    b.ops.push({ op: 'ADD', inputs: [x!.index, y!.index], outputs: [o], options: { activation: ACT[n.activation] } });
    return { index: o, ...out, shape: x!.shape };
  },
};
