// Target profiles: built-in names from targets/*.json, or a user's file, validated against targets/target.schema.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { TargetProfile } from './types.js';
import { targetsDir } from './root.js';

const SCHEMA_FILE = 'target.schema.json';
let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (validator) return validator;
  const schemaPath = join(targetsDir(), SCHEMA_FILE);
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  validator = new Ajv2020({ allErrors: true, strict: true, discriminator: true }).compile(schema);
  return validator;
}

// Names of the built-in profiles, sorted.
export function listTargets(): string[] {
  return readdirSync(targetsDir())
    .filter((f) => f.endsWith('.json') && f !== SCHEMA_FILE)
    .map((f) => basename(f, '.json'))
    .sort();
}

// A path-like argument is a user's file; anything else must be a built-in name.
function resolveTargetFile(nameOrPath: string): string {
  const looksLikePath = nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes('\\');
  if (looksLikePath) {
    if (!existsSync(nameOrPath)) throw new Error(`target file ${nameOrPath} does not exist`);
    return nameOrPath;
  }
  const known = listTargets();
  if (!known.includes(nameOrPath)) {
    throw new Error(`unknown target '${nameOrPath}'; known targets: ${known.join(', ')} (or pass a path to a profile .json)`);
  }
  return join(targetsDir(), `${nameOrPath}.json`);
}

// One line per schema error, each naming the file and the field as a JSON pointer.
function describeErrors(file: string, errors: ErrorObject[]): string {
  // Summary keywords (oneOf, discriminator) repeat what the errors beside them already say.
  const summary = new Set(['oneOf', 'discriminator']);
  const useful = errors.filter((e) => !summary.has(e.keyword) || errors.every((o) => summary.has(o.keyword)));
  const lines = useful.map((e) => {
    const at = e.instancePath === '' ? '/' : e.instancePath;
    if (e.keyword === 'additionalProperties') return `${file}: ${at} has unknown field '${String(e.params.additionalProperty)}'`;
    if (e.keyword === 'required') return `${file}: ${at} is missing required field '${String(e.params.missingProperty)}'`;
    if (e.keyword === 'enum') return `${file}: ${at} must be one of ${JSON.stringify(e.params.allowedValues)}`;
    if (e.keyword === 'const') return `${file}: ${at} must be ${JSON.stringify(e.params.allowedValue)}`;
    return `${file}: ${at} ${e.message ?? 'is invalid'}`;
  });
  return [...new Set(lines)].join('\n');
}

// Validates a parsed profile; `file` only names the source in error messages.
export function parseTarget(value: unknown, file: string): TargetProfile {
  const check = validate();
  if (!check(value)) throw new Error(describeErrors(file, check.errors ?? []));
  const { $schema: _schema, ...profile } = value as TargetProfile & { $schema?: string };
  const problems = crossCheck(profile).map((p) => `${file}: ${p}`);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return profile;
}

// Rules that span fields, which the schema does not express.
function crossCheck(t: TargetProfile): string[] {
  const out: string[] = [];
  const wantEmulator = t.kind === 'mcu' ? 'qemu-system' : 'qemu-user';
  if (t.emulator.type !== wantEmulator) out.push(`/emulator/type must be '${wantEmulator}' for kind '${t.kind}'`);
  // TFLite 2.9 refuses INT4 tensors, so an int4 profile must be verified elsewhere.
  if (t.quantization.weightBits === 4 && t.runtimes.includes('tflite')) out.push(`/runtimes must not include 'tflite' when /quantization/weightBits is 4`);
  const { modelFlashBytes, arenaBytes } = t.budgets;
  if (modelFlashBytes !== undefined && modelFlashBytes > t.memory.flashBytes) out.push(`/budgets/modelFlashBytes exceeds /memory/flashBytes`);
  if (arenaBytes !== undefined && arenaBytes > t.memory.ramBytes) out.push(`/budgets/arenaBytes exceeds /memory/ramBytes`);
  return out;
}

export function loadTarget(nameOrPath: string): TargetProfile {
  const file = resolveTargetFile(nameOrPath);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  return parseTarget(parsed, file);
}
