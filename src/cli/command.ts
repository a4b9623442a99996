// One CLI command: its flags (with their help), its examples, and the function that runs it. The registry in
// commands/index.ts lists them; main.ts parses, prints help and maps errors to exit codes.
import { nearest, UsageError } from '../errors.js';

export { EXIT, UsageError, UserError } from '../errors.js';

export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  values: ParsedValues;
  positionals: string[];
  json: boolean; // --json: one JSON object on stdout, human text on stderr
  log: (line: string) => void; // human-readable progress (stderr when --json, stdout otherwise)
}

// One flag: how it parses and what its help line says.
export interface FlagSpec {
  type: 'string' | 'boolean';
  value?: string; // the placeholder in help, e.g. 'N' or 'DIR'
  help: string;
  default?: string; // as help shows it
}

export interface Command {
  name: string; // 'train', 'data synth-kws', ...
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  examples: string[];
  exitCodes?: string; // when the command has more than the shared 0 / 1 / 2
  run(ctx: CommandContext): Promise<number>; // exit code
}

export function parseOptions(cmd: Command): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries([...Object.entries(cmd.flags).map(([k, f]) => [k, { type: f.type }]), ['json', { type: 'boolean' }]]);
}

// node:util parseArgs's refusals, said in the command's terms: which flag, what it wants, and the nearest known flag
// for a misspelt one ("--epoch" -> "--epochs", errors.ts's `nearest`).
export function flagError(cmd: Command, e: Error & { code?: string }): string {
  const names = Object.keys(parseOptions(cmd)).map((k) => `--${k}`);
  const quoted = /'(-[^' ]*)/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) {
    const near = nearest(quoted.startsWith('--') ? quoted : `-${quoted}`, names);
    return `unknown flag ${quoted}${near ? ` (did you mean ${near}?)` : ''}; pqk ${cmd.name} takes ${names.join(', ')}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) {
    const flag = cmd.flags[quoted.replace(/^--/, '')];
    if (flag?.type === 'boolean' || quoted === '--json') return `${quoted} takes no value`;
    const what = flag?.value ?? 'VALUE';
    if (/ambiguous/.test(e.message)) return `${quoted} needs a value (${what}); a value that starts with '-' is written ${quoted}=-...`;
    return `${quoted} needs a value (${what})`;
  }
  return e.message;
}

export function str(ctx: CommandContext, name: string, fallback?: string): string {
  const v = ctx.values[name];
  if (typeof v === 'string') {
    if (v === '') throw new UsageError(`--${name} must not be empty`);
    return v;
  }
  if (fallback !== undefined) return fallback;
  throw new UsageError(`missing required flag --${name}`);
}

export function optStr(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  if (v === '') throw new UsageError(`--${name} must not be empty`);
  return typeof v === 'string' ? v : undefined;
}

export interface Range {
  min?: number; // inclusive
  max?: number; // inclusive
  above?: number; // exclusive lower bound
  below?: number; // exclusive upper bound
}

function rangeText(r: Range): string {
  const parts: string[] = [];
  if (r.min !== undefined) parts.push(`>= ${r.min}`);
  if (r.above !== undefined) parts.push(`> ${r.above}`);
  if (r.max !== undefined) parts.push(`<= ${r.max}`);
  if (r.below !== undefined) parts.push(`< ${r.below}`);
  return parts.join(' and ');
}

function inRange(n: number, r: Range): boolean {
  return (
    (r.min === undefined || n >= r.min) &&
    (r.max === undefined || n <= r.max) &&
    (r.above === undefined || n > r.above) &&
    (r.below === undefined || n < r.below)
  );
}

// A number flag parsed strictly: the whole text must be a finite decimal number inside `range`.
export function parseNumber(text: string, what: string, range: Range = {}, integer = false): number {
  const n = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(text) ? Number(text) : NaN;
  const kind = integer ? 'an integer' : 'a number';
  const bounds = rangeText(range);
  if (!Number.isFinite(n) || (integer && !Number.isSafeInteger(n)) || !inRange(n, range))
    throw new UsageError(`${what} must be ${kind}${bounds ? ` ${bounds}` : ''}, got '${text}'`);
  return n;
}

function numeric(ctx: CommandContext, name: string, fallback: number | undefined, range: Range, integer: boolean): number {
  const v = ctx.values[name];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`missing required flag --${name}`);
  }
  return parseNumber(String(v), `--${name}`, range, integer);
}

export function num(ctx: CommandContext, name: string, fallback?: number, range: Range = {}): number {
  return numeric(ctx, name, fallback, range, false);
}

export function int(ctx: CommandContext, name: string, fallback?: number, range: Range = {}): number {
  return numeric(ctx, name, fallback, range, true);
}

export function optInt(ctx: CommandContext, name: string, range: Range = {}): number | undefined {
  return ctx.values[name] === undefined ? undefined : int(ctx, name, undefined, range);
}

// A flag that takes one of a fixed list of words.
export function choice<T extends string>(ctx: CommandContext, name: string, choices: readonly T[], fallback?: T): T {
  const v = str(ctx, name, fallback);
  if (!(choices as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${v}'`);
  return v as T;
}

// Where the CLI writes: the process's streams, or a caller's sinks (tests run the CLI in process).
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const PROCESS_IO: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };
let io: Io = PROCESS_IO;

export function setIo(next: Io): Io {
  const prev = io;
  io = next;
  return prev;
}

export function currentIo(): Io {
  return io;
}

export function printJson(obj: unknown): void {
  io.out(JSON.stringify(obj, null, 2) + '\n');
}

const SHARED_EXITS = '0 success; 1 error (one line naming the file, field or flag); 2 usage (bad or missing flag)';

export function commandHelp(cmd: Command): string {
  const rows: [string, string][] = Object.entries(cmd.flags).map(([k, f]) => [
    `--${k}${f.value ? ` ${f.value}` : ''}`,
    f.help + (f.default !== undefined ? ` (default: ${f.default})` : ''),
  ]);
  rows.push(['--json', 'print one JSON object on stdout (errors as {"error": ...}); progress goes to stderr']);
  rows.push(['--help', 'this help']);
  const w = Math.max(...rows.map(([a]) => a.length)) + 2;
  return [
    `usage: pqk ${cmd.usage}`,
    '',
    cmd.summary,
    '',
    'flags:',
    ...rows.map(([a, b]) => `  ${a.padEnd(w)}${b}`),
    '',
    `exit codes: ${SHARED_EXITS}${cmd.exitCodes ? `; ${cmd.exitCodes}` : ''}`,
    '',
    'examples:',
    ...cmd.examples.map((e) => `  ${e}`),
  ].join('\n');
}
