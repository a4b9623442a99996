// The shape of the schema subset as the verifier needs it: per table, the field ids it reads and what each holds.
// Ids mirror src/tflite/schema/tflite.fbs; a test parses the schema and checks every entry here against it.
import { BuiltinOptions, QuantizationDetails } from './generated/index.js';

export type FieldSpec =
  | { kind: 'scalar'; size: 1 | 2 | 4 | 8 }
  | { kind: 'string' }
  | { kind: 'vector'; elem: 1 | 2 | 4 | 8 }
  | { kind: 'table'; spec: TableSpec }
  | { kind: 'tables'; spec: TableSpec }
  | { kind: 'union'; typeId: number; members: Record<number, TableSpec> };

export interface TableSpec {
  name: string;
  fields: Record<number, [string, FieldSpec]>; // field id -> [schema name, content]
}

const u8 = { kind: 'scalar', size: 1 } as const;
const i32 = { kind: 'scalar', size: 4 } as const;
const str = { kind: 'string' } as const;
const vec = (elem: 1 | 4 | 8): FieldSpec => ({ kind: 'vector', elem });
const tables = (spec: TableSpec): FieldSpec => ({ kind: 'tables', spec });
const empty = (name: string): TableSpec => ({ name, fields: {} });

const CONV: TableSpec = {
  name: 'Conv2DOptions',
  fields: { 0: ['padding', u8], 1: ['stride_w', i32], 2: ['stride_h', i32], 3: ['fused_activation_function', u8], 4: ['dilation_w_factor', i32], 5: ['dilation_h_factor', i32] },
};
const DEPTHWISE: TableSpec = {
  name: 'DepthwiseConv2DOptions',
  fields: {
    0: ['padding', u8], 1: ['stride_w', i32], 2: ['stride_h', i32], 3: ['depth_multiplier', i32],
    4: ['fused_activation_function', u8], 5: ['dilation_w_factor', i32], 6: ['dilation_h_factor', i32],
  },
};
const POOL: TableSpec = {
  name: 'Pool2DOptions',
  fields: { 0: ['padding', u8], 1: ['stride_w', i32], 2: ['stride_h', i32], 3: ['filter_width', i32], 4: ['filter_height', i32], 5: ['fused_activation_function', u8] },
};
const FC: TableSpec = {
  name: 'FullyConnectedOptions',
  fields: { 0: ['fused_activation_function', u8], 1: ['weights_format', u8], 2: ['keep_num_dims', u8], 3: ['asymmetric_quantize_inputs', u8] },
};
const SOFTMAX: TableSpec = { name: 'SoftmaxOptions', fields: { 0: ['beta', i32] } };
const ADD: TableSpec = { name: 'AddOptions', fields: { 0: ['fused_activation_function', u8], 1: ['pot_scale_int16', u8] } };
const RESHAPE: TableSpec = { name: 'ReshapeOptions', fields: { 0: ['new_shape', vec(4)] } };
const REDUCER: TableSpec = { name: 'ReducerOptions', fields: { 0: ['keep_dims', u8] } };

export const OPTION_SPECS: Record<number, TableSpec> = {
  [BuiltinOptions.Conv2DOptions]: CONV,
  [BuiltinOptions.DepthwiseConv2DOptions]: DEPTHWISE,
  [BuiltinOptions.Pool2DOptions]: POOL,
  [BuiltinOptions.FullyConnectedOptions]: FC,
  [BuiltinOptions.SoftmaxOptions]: SOFTMAX,
  [BuiltinOptions.AddOptions]: ADD,
  [BuiltinOptions.ReshapeOptions]: RESHAPE,
  [BuiltinOptions.ReducerOptions]: REDUCER,
  [BuiltinOptions.DequantizeOptions]: empty('DequantizeOptions'),
  [BuiltinOptions.QuantizeOptions]: empty('QuantizeOptions'),
};

const CUSTOM_QUANT: TableSpec = { name: 'CustomQuantization', fields: { 0: ['custom', vec(1)] } };
const QUANT: TableSpec = {
  name: 'QuantizationParameters',
  fields: {
    0: ['min', vec(4)], 1: ['max', vec(4)], 2: ['scale', vec(4)], 3: ['zero_point', vec(8)],
    4: ['details_type', u8], 5: ['details', { kind: 'union', typeId: 4, members: { [QuantizationDetails.CustomQuantization]: CUSTOM_QUANT } }],
    6: ['quantized_dimension', i32],
  },
};
const TENSOR: TableSpec = {
  name: 'Tensor',
  fields: { 0: ['shape', vec(4)], 1: ['type', u8], 2: ['buffer', i32], 3: ['name', str], 4: ['quantization', { kind: 'table', spec: QUANT }], 5: ['is_variable', u8] },
};
const OPERATOR: TableSpec = {
  name: 'Operator',
  fields: {
    0: ['opcode_index', i32], 1: ['inputs', vec(4)], 2: ['outputs', vec(4)],
    3: ['builtin_options_type', u8], 4: ['builtin_options', { kind: 'union', typeId: 3, members: OPTION_SPECS }],
  },
};
const SUBGRAPH: TableSpec = {
  name: 'SubGraph',
  fields: { 0: ['tensors', tables(TENSOR)], 1: ['inputs', vec(4)], 2: ['outputs', vec(4)], 3: ['operators', tables(OPERATOR)], 4: ['name', str] },
};
const OPCODE: TableSpec = {
  name: 'OperatorCode',
  fields: { 0: ['deprecated_builtin_code', u8], 1: ['custom_code', str], 2: ['version', i32], 3: ['builtin_code', i32] },
};
const BUFFER: TableSpec = { name: 'Buffer', fields: { 0: ['data', vec(1)] } };
const METADATA: TableSpec = { name: 'Metadata', fields: { 0: ['name', str], 1: ['buffer', i32] } };

export const MODEL_SPEC: TableSpec = {
  name: 'Model',
  fields: {
    0: ['version', i32], 1: ['operator_codes', tables(OPCODE)], 2: ['subgraphs', tables(SUBGRAPH)], 3: ['description', str],
    4: ['buffers', tables(BUFFER)], 5: ['metadata_buffer', vec(4)], 6: ['metadata', tables(METADATA)],
  },
};
