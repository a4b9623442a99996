// AVERAGE_POOL_2D and MAX_POOL_2D: int8, one Pool2DOptions table, input and output sharing scale and zero point.
import { averagePoolKernel, maxPoolKernel } from '../int/pool.js';
import type { OpKernel } from '../int/common.js';
import { BuiltinOperator, BuiltinOptions, Padding, Pool2DOptions } from '../tflite/generated/index.js';
import { i32, u8 } from '../tflite/table-spec.js';
import { ACT, activation, int8IsVersion2, optionsTable, padding, type OpDescriptor } from './descriptor.js';
import type { PrimBody } from '../import/prims.js';

function pool<K extends 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'>(
  name: K,
  code: BuiltinOperator,
  kernel: OpKernel,
  micro: string,
): OpDescriptor<K> {
  return {
    name,
    code,
    optionsType: BuiltinOptions.Pool2DOptions,
    optionsTable: {
      name: 'Pool2DOptions',
      fields: {
        0: ['padding', u8],
        1: ['stride_w', i32],
        2: ['stride_h', i32],
        3: ['filter_width', i32],
        4: ['filter_height', i32],
        5: ['fused_activation_function', u8],
      },
    },
    encode: (b, o) =>
      Pool2DOptions.createPool2DOptions(b, Padding[o.padding], o.strideW, o.strideH, o.filterW, o.filterH, ACT[o.activation]),
    decode(op, where) {
      const o = optionsTable(op, () => new Pool2DOptions());
      return {
        padding: padding(o?.padding() ?? Padding.SAME, where),
        strideH: o?.strideH() ?? 0,
        strideW: o?.strideW() ?? 0,
        filterH: o?.filterHeight() ?? 0,
        filterW: o?.filterWidth() ?? 0,
        activation: activation(o?.fusedActivationFunction() ?? 0, where),
      };
    },
    inputs: [1, 1],
    optionalInputs: [],
    version: int8IsVersion2,
    runtimeVersions: ['1.5.0', '1.14.0', '2.3.0'],
    macs: () => 0,
    kernel,
    micro,
    importFloat(l, op) {
      const o = op.options;
      const [, h, w] = l.shape(op.inputs[0]!);
      const kind = name === 'AVERAGE_POOL_2D' ? 'avgpool' : 'maxpool';
      // A window over the whole map is a global pool.
      const pool: PrimBody =
        o.padding === 'VALID' && o.filterH === h && o.filterW === w
          ? { op: 'gpool', input: '', kind, keepDims: true }
          : {
              op: 'pool',
              input: '',
              kind,
              size: [o.filterH, o.filterW],
              stride: [o.strideH, o.strideW],
              padding: o.padding === 'SAME' ? 'same' : 'valid',
            };
      l.emit(l.activation(), [pool, ...l.tail(o.activation)]);
    },
  };
}

export const averagePool2d = pool('AVERAGE_POOL_2D', BuiltinOperator.AVERAGE_POOL_2D, averagePoolKernel, 'pqk_kernel_avg_pool_s8');
export const maxPool2d = pool('MAX_POOL_2D', BuiltinOperator.MAX_POOL_2D, maxPoolKernel, 'pqk_kernel_max_pool_s8');
