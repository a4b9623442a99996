// How the flatbuffer verifier sees a table of the schema: per field id, the schema's field name and what it holds.
// The model's own tables are in verify-spec.ts, each op's options table in its descriptor (src/ops/); a test parses
// src/tflite/schema/tflite.fbs and checks every entry against it.

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

export const u8 = { kind: 'scalar', size: 1 } as const;
export const i32 = { kind: 'scalar', size: 4 } as const;
export const str = { kind: 'string' } as const;
export const vec = (elem: 1 | 4 | 8): FieldSpec => ({ kind: 'vector', elem });
export const tables = (spec: TableSpec): FieldSpec => ({ kind: 'tables', spec });
export const emptyTable = (name: string): TableSpec => ({ name, fields: {} });
