// pad: zeros around height and width ([top, left, bottom, right]); TFLite's PAD, whose int8 border is the zero point.
import type { BlockDescriptor } from './descriptor.js';
import { oneInput, padHw } from './descriptor.js';

export const pad: BlockDescriptor<'pad'> = {
  kinds: ['pad'],
  inputs: oneInput,
  shape: (n, [x]) => [x![0]! + n.pads[0] + n.pads[2], x![1]! + n.pads[1] + n.pads[3], x![2]!],
  keepsQuantization: true,
  passesChannels: true,
  float: (n, [x]) => padHw(x!, n.pads, 0),
  // The border is the zero point, a real 0: 0 in the zero-centred integers QAT holds.
  qat: (_m, n, [x]) => ({ v: padHw(x!.v, n.pads, 0), q: x!.q }),
  async emit(b, _m, n, [x]) {
    const [t, l, bo, r] = n.pads;
    const shape = [1, x!.shape[1]! + t + bo, x!.shape[2]! + l + r, x!.shape[3]!];
    const paddings = b.add({
      name: `${n.name}/paddings`,
      shape: [4, 2],
      dtype: 'int32',
      scale: [],
      zeroPoint: [],
      data: Int32Array.of(0, 0, t, bo, l, r, 0, 0),
    });
    const o = b.activation(n.name, shape, x!);
    b.ops.push({ op: 'PAD', inputs: [x!.index, paddings], outputs: [o], options: {} });
    return { ...x!, index: o, shape };
  },
};
