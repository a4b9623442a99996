// Target profiles: built-in names from targets/*.json, or a user's file, validated against targets/target.schema.json.
import { ConfigError, didYouMean } from '../errors.js';
import { isRuntimeName, runtimeNames } from '../runtimes/names.js';
import { boardForMachine, boards } from '../runtimes/qemu-boards.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { OP_LIST } from '../ops/table.js';
import { checkSchema, type JsonSchema } from '../util/schema.js';
import type { TargetProfile } from './types.js';
import { targetsDir } from './root.js';

const SCHEMA_FILE = 'target.schema.json';
let schema: JsonSchema | undefined;

// The schema file, with the ops pqk knows (one per descriptor in src/ops) as the allowed operator names.
function schemaJson(): JsonSchema {
  if (schema === undefined) {
    const s = JSON.parse(readFileSync(join(targetsDir(), SCHEMA_FILE), 'utf8')) as {
      properties: { operators: { items: Record<string, unknown> } };
    };
    s.properties.operators.items.enum = OP_LIST.map((d) => d.name);
    schema = s as unknown as JsonSchema;
  }
  return schema;
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
    if (!existsSync(nameOrPath)) throw new ConfigError(`target file ${nameOrPath} does not exist`);
    return nameOrPath;
  }
  const known = listTargets();
  if (!known.includes(nameOrPath)) {
    throw new ConfigError(`unknown target '${nameOrPath}'; known targets: ${known.join(', ')} (or pass a path to a profile .json)`);
  }
  return join(targetsDir(), `${nameOrPath}.json`);
}

// Validates a parsed profile; `file` only names the source in error messages.
export function parseTarget(value: unknown, file: string): TargetProfile {
  checkSchema(schemaJson(), value, file);
  const { $schema: _schema, ...profile } = value as TargetProfile & { $schema?: string };
  const problems = crossCheck(profile).map((p) => `${file}: ${p}`);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return profile;
}

// Rules that span fields, which the schema does not express.
function crossCheck(t: TargetProfile): string[] {
  const out: string[] = [];
  const wantEmulator = t.kind === 'mcu' ? 'qemu-system' : 'qemu-user';
  if (t.emulator.type !== wantEmulator) out.push(`/emulator/type must be '${wantEmulator}' for kind '${t.kind}'`);
  // A microcontroller's board is named by /emulator/machine and described by firmware-harness/boards/<machine>.json.
  if (t.emulator.type === 'qemu-system') {
    const board = boardForMachine(t.emulator.machine);
    if (board === undefined) {
      const known = boards().map((b) => `${b.machine} (${b.cpu})`);
      out.push(`/emulator/machine '${t.emulator.machine}' is no board in firmware-harness/boards/ (${known.join(', ')})`);
    } else if (board.cpu !== t.emulator.cpu) {
      out.push(`/emulator/cpu '${t.emulator.cpu}' is not the CPU of board ${board.machine} (${board.cpu})`);
    }
  }
  // TFLite 2.9 refuses INT4 tensors, so an int4 profile must be verified elsewhere.
  if (t.quantization.weightBits === 4 && t.runtimes.includes('tflite'))
    out.push(`/runtimes must not include 'tflite' when /quantization/weightBits is 4`);
  const { modelFlashBytes, arenaBytes } = t.budgets;
  if (modelFlashBytes !== undefined && modelFlashBytes > t.memory.flashBytes)
    out.push(`/budgets/modelFlashBytes exceeds /memory/flashBytes`);
  if (arenaBytes !== undefined && arenaBytes > t.memory.ramBytes) out.push(`/budgets/arenaBytes exceeds /memory/ramBytes`);
  t.runtimes.forEach((r, i) => {
    if (!isRuntimeName(r)) out.push(`/runtimes/${i} '${r}' is not a runtime pqk knows${didYouMean(r, runtimeNames())}`);
  });
  return out;
}

export function loadTarget(nameOrPath: string): TargetProfile {
  const file = resolveTargetFile(nameOrPath);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
  return parseTarget(parsed, file);
}
