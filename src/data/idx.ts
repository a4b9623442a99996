// IDX files (the MNIST family's format), plain or gzipped: big-endian dims, then big-endian data.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface Idx {
  dims: number[]; // e.g. [60000, 28, 28]
  data: IdxData; // row-major, native endianness
}

const TYPES: Record<number, { size: number; make: (n: number) => IdxData; read: (b: Buffer, at: number) => number }> = {
  0x08: { size: 1, make: (n) => new Uint8Array(n), read: (b, at) => b.readUInt8(at) },
  0x09: { size: 1, make: (n) => new Int8Array(n), read: (b, at) => b.readInt8(at) },
  0x0b: { size: 2, make: (n) => new Int16Array(n), read: (b, at) => b.readInt16BE(at) },
  0x0c: { size: 4, make: (n) => new Int32Array(n), read: (b, at) => b.readInt32BE(at) },
  0x0d: { size: 4, make: (n) => new Float32Array(n), read: (b, at) => b.readFloatBE(at) },
  0x0e: { size: 8, make: (n) => new Float64Array(n), read: (b, at) => b.readDoubleBE(at) },
};

export function parseIdx(bytes: Uint8Array, name: string): Idx {
  let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataError(name, `bad gzip data: ${(e as Error).message}`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DataError(name, 'not an IDX file (magic must start with two zero bytes)');
  const type = TYPES[buf[2]];
  if (!type) throw new DataError(name, `unknown IDX data type 0x${buf[2].toString(16)}`);
  const ndims = buf[3];
  const start = 4 + 4 * ndims;
  if (buf.length < start) throw new DataError(name, `truncated: header declares ${ndims} dimensions`);
  const dims = Array.from({ length: ndims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = start + count * type.size;
  if (buf.length < need) throw new DataError(name, `truncated: dims ${dims.join('x')} need ${need} bytes, file has ${buf.length}`);
  if (buf.length > need) throw new DataError(name, `${buf.length - need} bytes after the data that dims ${dims.join('x')} declare`);
  const data = type.make(count);
  if (type.size === 1) data.set(type === TYPES[0x08] ? buf.subarray(start, need) : new Int8Array(buf.buffer, buf.byteOffset + start, count));
  else for (let i = 0; i < count; i++) data[i] = type.read(buf, start + i * type.size);
  return { dims, data };
}

export async function readIdx(path: string): Promise<Idx> {
  if (!existsSync(path)) throw new DataError(path, 'no such file');
  return parseIdx(await readFile(path), path);
}

// Encodes an IDX file; used to write small fixtures and exported sets.
export function encodeIdx(type: 0x08 | 0x0c | 0x0d, dims: number[], values: ArrayLike<number>): Buffer {
  const size = type === 0x08 ? 1 : 4;
  const buf = Buffer.alloc(4 + 4 * dims.length + values.length * size);
  buf[2] = type;
  buf[3] = dims.length;
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  const start = 4 + 4 * dims.length;
  for (let i = 0; i < values.length; i++) {
    if (type === 0x08) buf.writeUInt8(values[i], start + i);
    else if (type === 0x0c) buf.writeInt32BE(values[i], start + 4 * i);
    else buf.writeFloatBE(values[i], start + 4 * i);
  }
  return buf;
}
