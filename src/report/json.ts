// report.json: written atomically (a reader never sees half a file), read back with validation that names the field.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { REPORT_SCHEMA } from './schema.js';
import type { RunReport } from './types.js';

// Writes beside the destination, then renames: rename within one folder is atomic on POSIX.
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeReportJson(path: string, report: RunReport): void {
  writeFileAtomic(path, JSON.stringify(report, null, 2) + '\n');
}

let validator: ValidateFunction | undefined;

// Parses and validates a report; every error names the file (and the field, as a JSON pointer).
export function parseReport(text: string, file: string): RunReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  validator ??= new Ajv2020({ allErrors: true, strict: false }).compile(REPORT_SCHEMA);
  if (!validator(value)) {
    const lines = (validator.errors ?? []).slice(0, 8).map((e) => `${file}: ${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? 'is invalid'}`);
    throw new Error(`${file} is not a pqk report:\n${lines.join('\n')}`);
  }
  return value as RunReport;
}

export function readReport(file: string): RunReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file}: no such file` : `${file}: ${(e as Error).message}`);
  }
  return parseReport(text, file);
}
