// Computed datasets on disk, keyed by what they were computed from; written atomically (tmp + rename).
import { atomicWriteAsync } from '../util/fs.js';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset, Split } from './types.js';

const MAGIC = 'PQKF0001';

export interface CacheExtra {
  skipped: string[]; // clips skipped as unreadable when the features were computed
}

export function cacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

export function cachePath(cacheDir: string, key: string): string {
  return join(cacheDir, `features-${key}.bin`);
}

type Header = Omit<Dataset, 'train' | 'val' | 'test'> & { counts: [number, number, number]; extra: CacheExtra };

// Layout: MAGIC, u32 header length, header JSON, then per split (train, val, test) x as float32 and y as int32.
export async function writeCache(path: string, ds: Dataset, extra: CacheExtra): Promise<void> {
  const { train, val, test, ...meta } = ds;
  const header: Header = { ...meta, counts: [train.n, val.n, test.n], extra };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1'), len, json];
  for (const s of [train, val, test]) parts.push(Buffer.from(s.x.buffer, s.x.byteOffset, s.x.byteLength), Buffer.from(s.y.buffer, s.y.byteOffset, s.y.byteLength));
  await mkdir(join(path, '..'), { recursive: true });
  await atomicWriteAsync(path, Buffer.concat(parts));
}

// undefined when absent or unreadable (a damaged cache is recomputed, never trusted).
export async function readCache(path: string): Promise<{ ds: Dataset; extra: CacheExtra } | undefined> {
  if (!existsSync(path)) return undefined;
  const buf = await readFile(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return undefined;
  const hlen = buf.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
  } catch {
    return undefined;
  }
  const per = header.inputShape.reduce((a, b) => a * b, 1);
  let at = 12 + hlen;
  const splits: Split[] = [];
  for (const n of header.counts) {
    const need = n * per * 4 + n * 4;
    if (at + need > buf.length) return undefined;
    const x = new Float32Array(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + n * per * 4));
    at += n * per * 4;
    const y = new Int32Array(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + n * 4));
    at += n * 4;
    splits.push({ x, y, n });
  }
  if (at !== buf.length) return undefined;
  const { counts: _counts, extra, ...meta } = header;
  return { ds: { ...meta, train: splits[0], val: splits[1], test: splits[2] }, extra };
}

