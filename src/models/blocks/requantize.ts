// requantize: an int8 tensor moved onto a quantization of its own (TFLite's QUANTIZE, int8 -> int8), the identity
// in float: how a tensor whose quantization is fixed (a sigmoid's 1/256, -128) joins a concatenation.
import * as tf from '@tensorflow/tfjs-core';
import type { Flavor } from '../../int/common.js';
import { requantize as requantizeInt8 } from '../../int/quantize-op.js';
import { actParams } from '../../compress/quant/emit.js';
import type { QParams } from '../../compress/quant/fake-quant.js';
import { fixedPointScale, flavorOf, requantizeOutput, tableLookup, type IntTensor, type QatState } from '../../compress/quant/qat-core.js';
import type { BlockDescriptor } from './descriptor.js';
import { oneInput } from './descriptor.js';

// The integer reference's Requantize of every int8 value: tables [0, 256) round ties away from zero, [256, 512)
// upward (a NEON group: all 256 values are 16 groups of 16). On arm64 a sample's leading multiple of 16 values
// read the second.
function requantizeLookup(name: string, x: IntTensor, q: QParams, flavor: Flavor, st: QatState): tf.Tensor | undefined {
  const neonGroups = (): tf.Tensor => {
    const per = x.v.shape.slice(1).reduce((a, d) => a * d, 1);
    const neon = per - (per % 16);
    return tf.reshape(tf.mul(tf.cast(tf.less(tf.range(0, per), neon), 'float32'), 256), x.v.shape.slice(1));
  };
  return tableLookup(
    name,
    x,
    [x.q.scale, x.q.zeroPoint, q.scale, q.zeroPoint],
    ([si, zi, so, zo]) => {
      const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);
      const [inQ, outQ] = [
        { scale: si![0]!, zeroPoint: zi![0]! },
        { scale: so![0]!, zeroPoint: zo![0]! },
      ];
      return Int32Array.from([...requantizeInt8(all, inQ, outQ, 'x86-64'), ...requantizeInt8(all, inQ, outQ, 'arm64')]);
    },
    st,
    flavor === 'arm64' ? neonGroups : undefined,
  );
}

export const requantize: BlockDescriptor<'requantize'> = {
  kinds: ['requantize'],
  inputs: oneInput,
  shape: (_n, [x]) => x!,
  keepsQuantization: false,
  passesChannels: true,
  float: (_n, [x]) => x!,
  // Onto the node's own range (shared with the concatenation it feeds): x * s_in / s_out rounded (straight through)
  // in training; at evaluation the runtime's Requantize of every int8 value, chosen per position on arm64.
  qat(model, n, [x], st) {
    return requantizeOutput(
      model,
      n.name,
      st,
      () => tf.mul(x!.v, x!.q.scale),
      (q) => {
        const exact = requantizeLookup(n.name, x!, q, flavorOf(st), st);
        return exact ? tf.sub(exact, q.zeroPoint) : fixedPointScale(x!.v, tf.div(x!.q.scale, q.scale), 'away');
      },
      'none',
    );
  },
  async emit(b, model, n, [x]) {
    const q = await actParams(model, n.name);
    const o = b.activation(n.name, x!.shape, q);
    b.ops.push({ op: 'QUANTIZE', inputs: [x!.index], outputs: [o], options: {} });
    return { index: o, ...q, shape: x!.shape };
  },
};
