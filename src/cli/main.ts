// pqk's entry point: finds the command, parses its flags, maps errors to exit codes.
import { parseArgs } from 'node:util';
import { EXIT, UserError } from '../errors.js';
import { systemReason } from '../util/fs.js';
import { COMMANDS } from './commands/index.js';
import {
  commandHelp,
  currentIo,
  flagError,
  parseOptions,
  PROCESS_IO,
  setIo,
  type Command,
  type CommandContext,
  type Io,
} from './command.js';

const REPORT_BUGS = 'this is a bug in pqk, not in your input: please report it with the command line and the trace above';

function help(commands: Command[] = COMMANDS, prefix = ''): string {
  const rows = commands.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`);
  return [
    `usage: pqk ${prefix ? `${prefix} ` : ''}<command> [flags]`,
    '',
    'commands:',
    ...rows,
    '',
    "'pqk <command> --help' (or 'pqk help <command>') shows a command's flags, defaults, exit codes and examples.",
    'Every command takes --json: one JSON object on stdout, {"error": ...} on failure.',
  ].join('\n');
}

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  // Longest match first, so 'data synth-kws' wins over a hypothetical 'data'.
  const sorted = [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const cmd of sorted) {
    const words = cmd.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { cmd, rest: argv.slice(words.length) };
  }
  return undefined;
}

// Commands under a group word ('data', 'bench'), for `pqk data --help`.
function group(word: string | undefined): Command[] {
  return word === undefined ? [] : COMMANDS.filter((c) => c.name.split(' ').length > 1 && c.name.split(' ')[0] === word);
}

function out(text: string): void {
  currentIo().out(text + '\n');
}

function err(text: string): void {
  currentIo().err(text);
}

function helpFor(argv: string[]): number {
  if (argv.length === 0) return (out(help()), EXIT.OK);
  const found = findCommand(argv);
  if (found) return (out(commandHelp(found.cmd)), EXIT.OK);
  const g = group(argv[0]);
  if (g.length > 0) return (out(help(g, argv[0])), EXIT.OK);
  err(`pqk help: unknown command '${argv.join(' ')}'\n\n${help()}\n`);
  return EXIT.USAGE;
}

function fail(name: string, json: boolean, e: UserError): number {
  if (json) out(JSON.stringify({ error: { message: e.message, kind: e.kind, exitCode: e.exitCode } }));
  err(`pqk ${name}: ${e.message}\n`);
  return e.exitCode;
}

export async function main(argv: string[], io: Io = PROCESS_IO): Promise<number> {
  const prev = setIo(io);
  try {
    return await dispatch(argv);
  } finally {
    setIo(prev);
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  if (argv.length === 0) {
    err(help() + '\n');
    return EXIT.USAGE;
  }
  if (argv[0] === '--help' || argv[0] === '-h') return helpFor([]);
  if (argv[0] === 'help') return helpFor(argv.slice(1).filter((a) => a !== '--json'));
  if (argv[0] === '--version') {
    out((await import('../version.js')).PQK_VERSION);
    return EXIT.OK;
  }
  const found = findCommand(argv);
  if (!found) {
    const g = group(argv[0]);
    if (g.length > 0 && (argv[1] === undefined || argv[1] === '--help' || argv[1] === '-h')) {
      if (argv[1] === undefined) {
        err(help(g, argv[0]) + '\n');
        return EXIT.USAGE;
      }
      return (out(help(g, argv[0])), EXIT.OK);
    }
    const words = argv
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ');
    return fail(
      words || argv[0]!,
      json,
      new UserError(`unknown command '${words || argv[0]}'; 'pqk --help' lists the commands`, EXIT.USAGE),
    );
  }
  const { cmd, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) return (out(commandHelp(cmd)), EXIT.OK);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: parseOptions(cmd), allowPositionals: true, strict: true });
  } catch (e) {
    return fail(cmd.name, json, new UserError(`${flagError(cmd, e as Error)}\nusage: pqk ${cmd.usage}`, EXIT.USAGE));
  }
  const ctx: CommandContext = {
    values: parsed.values,
    positionals: parsed.positionals,
    json,
    log: (line) => (json ? err(line + '\n') : out(line)),
  };
  try {
    return await cmd.run(ctx);
  } catch (e) {
    if (e instanceof UserError) return fail(cmd.name, json, e);
    const bug = e instanceof Error ? e : new Error(String(e));
    // The file system's own refusals (permissions, a folder where a file should be, a full disk) name their path.
    const sys = systemError(bug);
    if (sys) return fail(cmd.name, json, sys);
    if (json) out(JSON.stringify({ error: { message: bug.message, kind: 'internal', exitCode: EXIT.ERROR } }));
    err(`pqk ${cmd.name}: internal error: ${bug.stack ?? bug.message}\n${REPORT_BUGS}\n`);
    return EXIT.ERROR;
  }
}

function systemError(e: Error & { path?: string; syscall?: string }): UserError | undefined {
  const what = systemReason(e);
  if (!what || typeof e.path !== 'string') return undefined;
  return new UserError(`${e.path}: ${what} (${e.syscall ?? 'file system'})`);
}
