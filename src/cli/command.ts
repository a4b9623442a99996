// One CLI command: its flags, its help, and the function that runs it. The registry in commands/index.ts lists them.
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  values: ParsedValues;
  positionals: string[];
  json: boolean; // --json: one JSON object on stdout, human text on stderr
  log: (line: string) => void; // human-readable progress (stderr when --json, stdout otherwise)
}

export interface Command {
  name: string; // 'train', 'data synth-kws', ...
  summary: string;
  usage: string;
  options: OptionSpec;
  run(ctx: CommandContext): Promise<number>; // exit code
}

// Exit codes every command shares (pqk run / pqk budget add BUDGET_VIOLATION).
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2, BUDGET_VIOLATION: 3 } as const;

// An error whose message is meant for the user as is (names the file or flag); no stack trace is printed.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.ERROR,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function str(ctx: CommandContext, name: string, fallback?: string): string {
  const v = ctx.values[name];
  if (typeof v === 'string') return v;
  if (fallback !== undefined) return fallback;
  throw new UserError(`missing required flag --${name}`, EXIT.USAGE);
}

export function optStr(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function num(ctx: CommandContext, name: string, fallback?: number): number {
  const v = ctx.values[name];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UserError(`missing required flag --${name}`, EXIT.USAGE);
  }
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new UserError(`--${name} must be a number, got '${String(v)}'`, EXIT.USAGE);
  return n;
}

export function printJson(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj, null, 2) + '\n');
}
