// The model's tables as the verifier needs them: per table, the field ids it reads and what each holds. Ids mirror
// src/tflite/schema/tflite.fbs; a test parses the schema and checks every entry here, and every op descriptor's
// options table, against it.
import { OP_LIST } from '../ops/table.js';
import { BuiltinOptions, QuantizationDetails } from './generated/index.js';
import { i32, str, tables, u8, vec, type TableSpec } from './table-spec.js';

// The options table each op may carry, by BuiltinOptions type (from the op descriptors; LOGISTIC carries none).
export const OPTION_SPECS: Record<number, TableSpec> = Object.fromEntries(
  OP_LIST.filter((d) => d.optionsType !== BuiltinOptions.NONE).map((d) => [d.optionsType, d.optionsTable]),
);

const CUSTOM_QUANT: TableSpec = { name: 'CustomQuantization', fields: { 0: ['custom', vec(1)] } };
const QUANT: TableSpec = {
  name: 'QuantizationParameters',
  fields: {
    0: ['min', vec(4)],
    1: ['max', vec(4)],
    2: ['scale', vec(4)],
    3: ['zero_point', vec(8)],
    4: ['details_type', u8],
    5: ['details', { kind: 'union', typeId: 4, members: { [QuantizationDetails.CustomQuantization]: CUSTOM_QUANT } }],
    6: ['quantized_dimension', i32],
  },
};
const TENSOR: TableSpec = {
  name: 'Tensor',
  fields: {
    0: ['shape', vec(4)],
    1: ['type', u8],
    2: ['buffer', i32],
    3: ['name', str],
    4: ['quantization', { kind: 'table', spec: QUANT }],
    5: ['is_variable', u8],
  },
};
const OPERATOR: TableSpec = {
  name: 'Operator',
  fields: {
    0: ['opcode_index', i32],
    1: ['inputs', vec(4)],
    2: ['outputs', vec(4)],
    3: ['builtin_options_type', u8],
    4: ['builtin_options', { kind: 'union', typeId: 3, members: OPTION_SPECS }],
  },
};
const SUBGRAPH: TableSpec = {
  name: 'SubGraph',
  fields: {
    0: ['tensors', tables(TENSOR)],
    1: ['inputs', vec(4)],
    2: ['outputs', vec(4)],
    3: ['operators', tables(OPERATOR)],
    4: ['name', str],
  },
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
    0: ['version', i32],
    1: ['operator_codes', tables(OPCODE)],
    2: ['subgraphs', tables(SUBGRAPH)],
    3: ['description', str],
    4: ['buffers', tables(BUFFER)],
    5: ['metadata_buffer', vec(4)],
    6: ['metadata', tables(METADATA)],
  },
};
export type { FieldSpec, TableSpec } from './table-spec.js';
