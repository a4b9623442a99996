// activation: a nonlinearity TFLite runs as an op of its own: 'sigmoid' (LOGISTIC, onto the fixed int8 quantization
// 1/256, -128) or 'hard_swish' (HARD_SWISH, onto its own range).
import * as tf from '@tensorflow/tfjs-core';
import { hardSwishValues } from '../../ops/hard-swish.js';
import { LOGISTIC_OUTPUT, logisticValues } from '../../ops/logistic.js';
import { actParams } from '../../compress/quant/emit.js';
import { clampTensor, steRound, type QParams } from '../../compress/quant/fake-quant.js';
import { flavorOf, requantizeOutput, tableLookup, type IntTensor, type QatState } from '../../compress/quant/qat-core.js';
import type { Model } from '../params.js';
import type { BlockDescriptor } from './descriptor.js';
import { hardSwish, oneInput } from './descriptor.js';

// LOGISTIC onto its fixed quantization: sigmoid of the real input, rounded (straight through) in training; at
// evaluation the runtime's own table (TFLite's float one, or TFLite Micro's fixed point).
function qatSigmoid(name: string, x: IntTensor, st: QatState): IntTensor {
  const q: QParams = { scale: tf.scalar(LOGISTIC_OUTPUT.scale), zeroPoint: tf.scalar(LOGISTIC_OUTPUT.zeroPoint) };
  const flavor = flavorOf(st);
  const exact = tableLookup(name, x, [x.q.scale, x.q.zeroPoint], ([s, z]) => Int32Array.from(logisticValues(s![0]!, z![0]!, flavor)), st);
  if (exact) return { v: tf.sub(exact, LOGISTIC_OUTPUT.zeroPoint), q };
  const y = tf.sigmoid(tf.mul(x.v, x.q.scale));
  return { v: clampTensor(steRound(tf.mul(y, 256)), tf.scalar(0), tf.scalar(255)), q };
}

// HARD_SWISH onto its own observed range: x * relu6(x + 3) / 6 of the real input, rounded (straight through) in
// training; at evaluation reference_ops::HardSwish's table for the input and output quantization.
function qatHardSwish(model: Model, name: string, x: IntTensor, st: QatState): IntTensor {
  const real = hardSwish(tf.mul(x.v, x.q.scale));
  return requantizeOutput(
    model,
    name,
    st,
    () => real,
    (q) => {
      const exact = tableLookup(
        name,
        x,
        [x.q.scale, x.q.zeroPoint, q.scale, q.zeroPoint],
        ([si, zi, so, zo]) =>
          Int32Array.from(hardSwishValues({ scale: si![0]!, zeroPoint: zi![0]! }, { scale: so![0]!, zeroPoint: zo![0]! })),
        st,
      );
      return exact ? tf.sub(exact, q.zeroPoint) : steRound(tf.div(real, q.scale));
    },
    'none',
  );
}

export const activation: BlockDescriptor<'activation'> = {
  kinds: ['activation'],
  inputs: oneInput,
  shape: (_n, [x]) => x!,
  keepsQuantization: false,
  passesChannels: true,
  float: (n, [x]) => (n.fn === 'sigmoid' ? tf.sigmoid(x!) : hardSwish(x!)),
  teacherQuantizes: (n) => n.fn === 'hard_swish', // a sigmoid's output quantization is fixed
  qat: (model, n, [x], st) => (n.fn === 'sigmoid' ? qatSigmoid(n.name, x!, st) : qatHardSwish(model, n.name, x!, st)),
  async emit(b, model, n, [x]) {
    const out = n.fn === 'sigmoid' ? LOGISTIC_OUTPUT : await actParams(model, n.name);
    const o = b.activation(n.name, x!.shape, out);
    b.ops.push({ op: n.fn === 'sigmoid' ? 'LOGISTIC' : 'HARD_SWISH', inputs: [x!.index], outputs: [o], options: {} });
    return { index: o, scale: out.scale, zeroPoint: out.zeroPoint, shape: x!.shape };
  },
};
