// File helpers that never leave a half-written file behind: write to a temporary name, then rename; and errors that
// name the file and say what is wrong in words.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, UserError } from '../errors.js';

// The file system's refusals in words (node's error codes).
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ENOENT: 'no such file or folder',
};

// The words for a file-system error, or undefined when it is not one.
export function systemReason(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code ? REASONS[code] : undefined;
}

export function reasonOf(e: unknown): string {
  return systemReason(e) ?? (e as Error).message;
}

// A file the user named: its bytes, or a UserError (`cls` picks the kind) saying in words why it cannot be read.
export function readUserFile(path: string, cls: new (message: string) => UserError = UserError): Buffer {
  try {
    if (statSync(path).isDirectory()) throw new cls(`${path}: is a folder, expected a file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new cls(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read: ${reasonOf(e)}`);
  }
}

export function atomicWrite(path: string, data: string | Uint8Array): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${path}: is a folder; give the name of a file to write`);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new UserError(`${dirname(path)}: cannot make the folder: ${reasonOf(e)}`);
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`${path}: cannot write: ${reasonOf(e)}`);
  }
}

// The same for asynchronous writers (many clips at once): on any failure the temporary file is removed.
export async function atomicWriteAsync(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${++tmpSeq}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new UserError(`${path}: cannot write: ${reasonOf(e)}`);
  }
}
let tmpSeq = 0;

export function atomicWriteJson(path: string, obj: unknown): void {
  atomicWrite(path, JSON.stringify(obj, null, 2) + '\n');
}

export function readJson<T>(path: string, what = 'file'): T {
  if (!existsSync(path)) throw new ConfigError(`${what} not found: ${path}`);
  const text = readUserFile(path, ConfigError).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}
