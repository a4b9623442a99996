// The packed form of 2:4 CONV_2D weights that pqk micro's kernels read instead of the dense tensor, stored in the
// metadata entry "pqk_2of4" (a buffer TFLite and TFLite Micro ignore: the file stays a standard one, its dense weights
// as usual). Layout, as firmware-harness/src/kernels/gemm_s8.c reads it: per weight row (output channel), per 16
// depth elements 12 bytes: four entry offsets, one per group of four depth elements (16 x the group's pair number,
// plus 96 for the second group of each two), then per two groups a word (a0, a1, b0, b1) of their two kept weights.
// int4 weights (depth a multiple of 32), per 32 depth elements 12 bytes: a word of eight entry numbers, one nibble
// per group of four (the group's pair number, plus 6 for the second group of each two; the entry offset is 16 x that),
// then per four groups a word of their eight kept weights, one nibble each: group 0's two weights in the low nibbles
// of bytes 0 and 2, group 1's in those of bytes 1 and 3, groups 2 and 3 likewise in the high nibbles (as the kernels
// widen a dense int4 word): 3/8 of a byte a weight, 3/4 of the dense int4 bytes.
// The entry: words version 1, entry count, then per entry (tensor index, byte offset of its rows, byte count).
import * as flatbuffers from 'flatbuffers';
import type { QModel } from '../int/graph.js';
import { Model, TensorType } from './generated/index.js';

export const PACKED_2OF4_KEY = 'pqk_2of4';

// The six pairs of positions a group of four may keep, in the kernels' numbering.
const PAIRS: readonly (readonly [number, number])[] = [
  [0, 1],
  [0, 2],
  [0, 3],
  [1, 2],
  [1, 3],
  [2, 3],
];

// The pair that holds a group's non-zero positions (at most two), or -1.
function pairOf(g: ArrayLike<number>, at: number): number {
  const nz = [0, 1, 2, 3].filter((k) => g[at + k] !== 0);
  if (nz.length > 2) return -1;
  return PAIRS.findIndex(([i, j]) => nz.every((k) => k === i || k === j));
}

// Weights [rows, depth] walked in blocks of `span` depth elements (12 packed bytes each, at byte o), every group of
// four (k-th in its block) with the pair that holds its weights and their two values; undefined when a depth is not
// a multiple of the span or a group keeps more than two weights. The two layouts differ only in `put`.
function packBlocks(
  w: Int8Array,
  rows: number,
  depth: number,
  span: 16 | 32,
  put: (out: Uint8Array, o: number, k: number, pair: number, a: number, b: number) => void,
): Uint8Array | undefined {
  if (depth % span !== 0 || w.length !== rows * depth) return undefined;
  const out = new Uint8Array((rows * depth * 12) / span);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < depth; d += span, o += 12) {
      for (let k = 0; k < span / 4; k++) {
        const at = r * depth + d + 4 * k;
        const pair = pairOf(w, at);
        if (pair < 0) return undefined;
        const [i, j] = PAIRS[pair]!;
        put(out, o, k, pair, w[at + i]!, w[at + j]!);
      }
    }
  }
  return out;
}

// int8 weights [rows, depth] (depth a multiple of 16) in the packed layout, or undefined when a group of four keeps
// more than two weights.
export function pack2of4(w: Int8Array, rows: number, depth: number): Uint8Array | undefined {
  return packBlocks(w, rows, depth, 16, (out, o, k, pair, a, b) => {
    out[o + k] = 16 * pair + 96 * (k & 1);
    const word = o + 4 + 4 * (k >> 1) + (k & 1);
    out[word] = a & 0xff;
    out[word + 2] = b & 0xff;
  });
}

// int4 weights ([rows, depth] values in [-8, 7], depth a multiple of 32) in the packed int4 layout, or undefined when
// a group of four keeps more than two weights. Group k's pair number is nibble k of the block's first word (little
// endian: byte k / 2, the high nibble for odd k).
export function pack2of4Int4(w: Int8Array, rows: number, depth: number): Uint8Array | undefined {
  return packBlocks(w, rows, depth, 32, (out, o, k, pair, a, b) => {
    out[o + (k >> 1)] |= (pair + 6 * (k & 1)) << (4 * (k & 1));
    const { byte, shift } = int4Slot(o, k);
    out[byte] |= (a & 15) << shift;
    out[byte + 2] |= (b & 15) << shift;
  });
}

// Where group k (0-7) of a 32-element block at byte o keeps its first weight (its second is two bytes on).
function int4Slot(o: number, k: number): { byte: number; shift: number } {
  const g = k & 3;
  return { byte: o + 4 + 4 * (k >> 2) + (g & 1), shift: g < 2 ? 0 : 4 };
}

// The weights back from their packed int4 form: the inverse of pack2of4Int4.
export function unpack2of4Int4(p: Uint8Array, rows: number, depth: number): Int8Array {
  const w = new Int8Array(rows * depth);
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  const nibble = (byte: number, shift: number): number => (((p[byte]! >> shift) & 15) << 28) >> 28;
  let o = 0;
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < depth; d += 32, o += 12) {
      const numbers = v.getUint32(o, true);
      for (let k = 0; k < 8; k++) {
        const [i, j] = PAIRS[((numbers >>> (4 * k)) & 15) - 6 * (k & 1)]!;
        const { byte, shift } = int4Slot(o, k);
        w[r * depth + d + 4 * k + i] = nibble(byte, shift);
        w[r * depth + d + 4 * k + j] = nibble(byte + 2, shift);
      }
    }
  }
  return w;
}

// The weights back from their packed form: the inverse of pack2of4, for tests and checks.
export function unpack2of4(p: Uint8Array, rows: number, depth: number): Int8Array {
  const w = new Int8Array(rows * depth);
  const s = new Int8Array(p.buffer, p.byteOffset, p.length);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < depth; d += 16, o += 12) {
      for (let k = 0; k < 4; k++) {
        const [i, j] = PAIRS[(p[o + k]! - 96 * (k & 1)) / 16]!;
        const word = o + 4 + 4 * (k >> 1) + (k & 1);
        w[r * depth + d + 4 * k + i] = s[word]!;
        w[r * depth + d + 4 * k + j] = s[word + 2]!;
      }
    }
  }
  return w;
}

// The "pqk_2of4" entry for every CONV_2D whose int8 weights are 2:4 along a depth that is a multiple of 16 (int4
// weights: of 32), and the tensors it packs; undefined when there is none.
export function packed2of4(model: QModel): { bytes: Uint8Array; tensors: number[] } | undefined {
  const entries: { tensor: number; packed: Uint8Array }[] = [];
  for (const op of model.ops) {
    if (op.op !== 'CONV_2D') continue;
    const ti = op.inputs[1]!;
    const t = model.tensors[ti]!;
    if ((t.dtype !== 'int8' && t.dtype !== 'int4') || !(t.data instanceof Int8Array) || t.shape.length !== 4) continue;
    if (entries.some((e) => e.tensor === ti)) continue;
    const rows = t.shape[0]!;
    const packed = (t.dtype === 'int4' ? pack2of4Int4 : pack2of4)(t.data, rows, t.data.length / rows);
    if (packed) entries.push({ tensor: ti, packed });
  }
  if (entries.length === 0) return undefined;
  const head = 8 + 12 * entries.length;
  const out = new Uint8Array(head + entries.reduce((n, e) => n + e.packed.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, 1, true);
  v.setUint32(4, entries.length, true);
  let at = head;
  entries.forEach((e, i) => {
    v.setUint32(8 + 12 * i, e.tensor, true);
    v.setUint32(12 + 12 * i, at, true);
    v.setUint32(16 + 12 * i, e.packed.length, true);
    out.set(e.packed, at);
    at += e.packed.length;
  });
  return { bytes: out, tensors: entries.map((e) => e.tensor) };
}

// The entry's bytes in a .tflite (empty when its buffer is), or undefined without the entry.
function entryOf(bytes: Uint8Array): Uint8Array | undefined {
  const m = Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
  for (let i = 0; i < m.metadataLength(); i++) {
    const e = m.metadata(i);
    if (e?.name() === PACKED_2OF4_KEY) return m.buffers(Number(e.buffer()))?.dataArray() ?? new Uint8Array(0);
  }
  return undefined;
}

// The weight tensors a .tflite carries a packed form of, with its bytes (empty without the entry). pqk micro checks
// each against the tensor when it loads the model; this only reads the entry's header.
export function packed2of4Tensors(bytes: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  const data = entryOf(bytes);
  if (!data || data.length < 8) return out;
  const v = new DataView(data.buffer, data.byteOffset, data.length);
  const n = v.getUint32(4, true);
  for (let k = 0; k < n && 20 + 12 * k <= data.length; k++) out.set(v.getUint32(8 + 12 * k, true), v.getUint32(16 + 12 * k, true));
  return out;
}

// Whether a .tflite carries the entry (a bundle builds the packed path only then).
export function hasPacked2of4(bytes: Uint8Array): boolean {
  return entryOf(bytes) !== undefined;
}

// The weight types the entry packs (a bundle builds the packed path of each only): bit 0 int8, bit 1 int4.
export function packed2of4Types(bytes: Uint8Array): number {
  const sg = Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes)).subgraphs(0);
  let types = 0;
  for (const t of packed2of4Tensors(bytes).keys()) types |= sg?.tensors(t)?.type() === TensorType.INT4 ? 2 : 1;
  return types;
}
