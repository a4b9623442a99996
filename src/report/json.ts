// report.json: written atomically (a reader never sees half a file), read back with validation that names the field.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { ConfigError } from '../errors.js';
import { atomicWrite, readUserFile } from '../util/fs.js';
import { REPORT_SCHEMA } from './schema.js';
import type { RunReport } from './types.js';

export function writeReportJson(path: string, report: RunReport): void {
  atomicWrite(path, JSON.stringify(report, null, 2) + '\n');
}

let validator: ValidateFunction | undefined;

// Parses and validates a report; every error names the file (and the field, as a JSON pointer).
export function parseReport(text: string, file: string): RunReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  validator ??= new Ajv2020({ allErrors: true, strict: false }).compile(REPORT_SCHEMA);
  if (!validator(value)) {
    const lines = (validator.errors ?? [])
      .slice(0, 8)
      .map((e) => `${file}: ${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? 'is invalid'}`);
    throw new ConfigError(`${file} is not a pqk report:\n${lines.join('\n')}`);
  }
  return value as RunReport;
}

export function readReport(file: string): RunReport {
  return parseReport(readUserFile(file, ConfigError).toString('utf8'), file);
}
