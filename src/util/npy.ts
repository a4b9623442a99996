// NumPy's .npy format (versions 1-3): a magic string, a Python-literal header naming dtype, order and shape, then the
// array's bytes in C order. Reads the dtypes inputs come in (int8, uint8, float32, float64) and writes int8 and
// float32 arrays, which is what `pqk check --inputs` and its tests need.
import { DataError } from '../errors.js';

export interface NpyArray {
  dtype: 'int8' | 'uint8' | 'float32' | 'float64';
  shape: number[];
  data: Int8Array | Uint8Array | Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<string, NpyArray['dtype']> = {
  '|i1': 'int8',
  '<i1': 'int8',
  i1: 'int8',
  '|u1': 'uint8',
  '<u1': 'uint8',
  u1: 'uint8',
  '<f4': 'float32',
  '<f8': 'float64',
};

// `file` names the array in errors.
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const bad = (why: string): never => {
    throw new DataError(file, `not a .npy array pqk reads: ${why}`);
  };
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) bad('no \\x93NUMPY magic at the start');
  const major = bytes[6]!;
  if (major < 1 || major > 3) bad(`format version ${major}.${bytes[7]} (known: 1, 2, 3)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) bad(`the header says ${headerLen} bytes, the file has ${bytes.length - start} after its start`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    bad(`header without descr, fortran_order or shape: ${header.trim()}`);
  const dtype = DESCR[descr!] ?? bad(`dtype '${descr}' (pqk reads int8, uint8, little-endian float32 and float64)`);
  if (fortran === 'True') bad('Fortran order (save it with np.ascontiguousarray)');
  const shape = shapeText!
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .map((d) => (/^\d+$/.test(d) ? Number(d) : bad(`shape entry '${d}'`)));
  const count = shape.reduce((a, b) => a * b, 1);
  const size = { int8: 1, uint8: 1, float32: 4, float64: 8 }[dtype];
  const body = start + headerLen;
  if (bytes.length - body !== count * size)
    bad(`shape (${shape.join(', ')}) of ${dtype} needs ${count * size} bytes of data, the file has ${bytes.length - body}`);
  const raw = bytes.slice(body); // a copy, aligned for typed arrays
  const data =
    dtype === 'int8'
      ? new Int8Array(raw.buffer)
      : dtype === 'uint8'
        ? new Uint8Array(raw.buffer)
        : dtype === 'float32'
          ? new Float32Array(raw.buffer)
          : new Float64Array(raw.buffer);
  return { dtype, shape, data };
}

export function writeNpy(data: Int8Array | Float32Array, shape: number[]): Uint8Array {
  const descr = data instanceof Int8Array ? '|i1' : '<f4';
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
