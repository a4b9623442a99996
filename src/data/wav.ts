// 16-bit PCM WAV: strict decoding (each problem named with its file) and byte-stable encoding.
import { atomicWriteAsync } from '../util/fs.js';
import { readFile } from 'node:fs/promises';
import { DataError } from './errors.js';

export interface Wav {
  sampleRate: number;
  samples: Int16Array; // (n) mono
}

export interface WavExpect {
  sampleRate?: number; // reject any other rate when set
}

interface Fmt {
  format: number;
  channels: number;
  sampleRate: number;
  bits: number;
}

const PCM = 1;
const EXTENSIBLE = 0xfffe;

function tag(buf: Buffer, at: number): string {
  return buf.toString('latin1', at, at + 4);
}

function parseFmt(buf: Buffer, at: number, size: number, name: string): Fmt {
  if (size < 16 || at + 16 > buf.length) throw new DataError(name, `truncated fmt chunk (${size} bytes, need 16)`);
  let format = buf.readUInt16LE(at);
  // WAVE_FORMAT_EXTENSIBLE keeps the real format tag in the first two bytes of its sub-format GUID.
  if (format === EXTENSIBLE && size >= 26 && at + 26 <= buf.length) format = buf.readUInt16LE(at + 24);
  return { format, channels: buf.readUInt16LE(at + 2), sampleRate: buf.readUInt32LE(at + 4), bits: buf.readUInt16LE(at + 14) };
}

function checkFmt(fmt: Fmt, name: string, expect: WavExpect): void {
  if (fmt.format !== PCM) throw new DataError(name, `not PCM (format tag ${fmt.format}), expected 16-bit PCM`);
  if (fmt.bits !== 16) throw new DataError(name, `${fmt.bits}-bit samples, expected 16-bit PCM`);
  if (fmt.channels !== 1) {
    const what = fmt.channels === 2 ? 'stereo (2 channels)' : `${fmt.channels} channels`;
    throw new DataError(name, `${what}, expected mono`);
  }
  if (expect.sampleRate !== undefined && fmt.sampleRate !== expect.sampleRate) {
    throw new DataError(name, `sample rate ${fmt.sampleRate} Hz, expected ${expect.sampleRate} Hz`);
  }
}

// Decodes a whole WAV held in memory; `name` is what error messages call it (usually its path).
export function decodeWav(bytes: Uint8Array, name: string, expect: WavExpect = {}): Wav {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12) {
    const prefix = buf.toString('latin1', 0, Math.min(4, buf.length));
    if (buf.length > 0 && 'RIFF'.startsWith(prefix)) throw new DataError(name, `truncated: ${buf.length} bytes, shorter than a WAV header`);
    throw new DataError(name, `not a RIFF/WAVE file (${buf.length} bytes)`);
  }
  if (tag(buf, 0) !== 'RIFF' || tag(buf, 8) !== 'WAVE') throw new DataError(name, `not a RIFF/WAVE file (starts with '${tag(buf, 0)}')`);
  let fmt: Fmt | undefined;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = tag(buf, at);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      fmt = parseFmt(buf, body, size, name);
      checkFmt(fmt, name, expect);
    } else if (id === 'data') {
      if (!fmt) throw new DataError(name, 'data chunk comes before the fmt chunk');
      if (body + size > buf.length) throw new DataError(name, `truncated: data chunk declares ${size} bytes but only ${buf.length - body} are present`);
      if (size % 2 !== 0) throw new DataError(name, `data chunk of ${size} bytes is not a whole number of 16-bit samples`);
      const samples = new Int16Array(size / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { sampleRate: fmt.sampleRate, samples };
    }
    at = body + size + (size & 1); // chunks are word-aligned
  }
  throw new DataError(name, fmt ? 'truncated: no data chunk' : 'truncated: no fmt chunk');
}

export async function readWav(path: string, expect: WavExpect = {}): Promise<Wav> {
  return decodeWav(await readFile(path), path, expect);
}

// The canonical 44-byte header, so the same samples always give the same bytes.
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const dataBytes = samples.length * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'latin1');
  buf.write('fmt ', 12, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(PCM, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i], 44 + 2 * i);
  return buf;
}

// Atomic (tmp + rename): a reader never sees half a file, and an interrupted run leaves none behind.
export async function writeWav(path: string, samples: Int16Array, sampleRate: number): Promise<void> {
  await atomicWriteAsync(path, encodeWav(samples, sampleRate));
}

// int16 -> float in [-1, 1): the scale every consumer of samples uses (x / 32768).
export function toFloat(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 32768;
  return out;
}

// float -> int16 with rounding to nearest and clipping, no dither.
export function toInt16(x: Float32Array | Float64Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(x[i] * 32768)));
  return out;
}
