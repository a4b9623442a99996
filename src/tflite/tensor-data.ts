// Tensor element types and constant data as bytes: the mapping between pqk dtypes and TFLite TensorType, and the
// little-endian encoding of constant buffers, INT4 included.
import type { DType, QTensor } from '../int/graph.js';
import { elementCount } from '../int/graph.js';
import { TensorType } from './generated/index.js';

const TO_TFLITE: Record<DType, TensorType> = {
  int8: TensorType.INT8,
  int4: TensorType.INT4,
  int32: TensorType.INT32,
  float32: TensorType.FLOAT32,
};

export function toTensorType(dtype: DType): TensorType {
  return TO_TFLITE[dtype];
}

export function fromTensorType(t: number): DType | undefined {
  for (const [k, v] of Object.entries(TO_TFLITE)) if (v === t) return k as DType;
  return undefined;
}

// Bytes a dense tensor of this dtype occupies in a TFLite buffer (INT4: two values per byte, rounded up).
export function dataBytes(dtype: DType, count: number): number {
  switch (dtype) {
    case 'int4':
      return Math.ceil(count / 2);
    case 'int8':
      return count;
    case 'int32':
    case 'float32':
      return 4 * count;
  }
}

// TFLite packs INT4 low nibble first: element 2i in bits 0-3, element 2i+1 in bits 4-7; an odd tail leaves the
// high nibble 0 (tensorflow/lite/kernels/internal/portable_tensor_utils.cc, UnpackDenseInt4IntoInt8).
export function packInt4(values: Int8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const nibble = values[i]! & 0x0f;
    out[i >> 1]! |= i & 1 ? nibble << 4 : nibble;
  }
  return out;
}

export function unpackInt4(packed: Uint8Array, count: number): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const byte = packed[i >> 1]!;
    const nibble = i & 1 ? byte >> 4 : byte & 0x0f;
    out[i] = (nibble << 28) >> 28; // sign-extend 4 bits
  }
  return out;
}

// The bytes TFLite stores for a constant tensor.
export function encodeData(t: QTensor & { data: NonNullable<QTensor['data']> }): Uint8Array {
  const d = t.data;
  if (t.dtype === 'int4') return packInt4(d as Int8Array);
  if (t.dtype === 'int8') return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  const out = new Uint8Array(4 * d.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < d.length; i++) {
    if (t.dtype === 'int32') view.setInt32(4 * i, d[i]!, true);
    else view.setFloat32(4 * i, d[i]!, true);
  }
  return out;
}

// The typed array pqk holds for a constant tensor's bytes; `bytes` has already been checked to be dataBytes() long.
export function decodeData(dtype: DType, shape: readonly number[], bytes: Uint8Array): Int8Array | Int32Array | Float32Array {
  const n = elementCount(shape);
  if (dtype === 'int4') return unpackInt4(bytes, n);
  if (dtype === 'int8') return new Int8Array(bytes.slice().buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dtype === 'int32' ? view.getInt32(4 * i, true) : view.getFloat32(4 * i, true);
  return out;
}
