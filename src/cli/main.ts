// pqk's entry point: finds the command, parses its flags, maps errors to exit codes.
import { parseArgs } from 'node:util';
import { COMMANDS } from './commands/index.js';
import { EXIT, UserError, type Command, type CommandContext } from './command.js';

function help(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`);
  return ['usage: pqk <command> [flags]', '', 'commands:', ...rows, '', "'pqk <command> --help' shows a command's flags."].join('\n');
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

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(help() + '\n');
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  if (argv[0] === '--version') {
    process.stdout.write(`${(await import('../version.js')).PQK_VERSION}\n`);
    return EXIT.OK;
  }
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`pqk: unknown command '${argv.join(' ')}'\n\n${help()}\n`);
    return EXIT.USAGE;
  }
  const { cmd, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: pqk ${cmd.usage}\n\n${cmd.summary}\n`);
    return EXIT.OK;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`pqk ${cmd.name}: ${(e as Error).message}\nusage: pqk ${cmd.usage}\n`);
    return EXIT.USAGE;
  }
  const json = parsed.values.json === true;
  const ctx: CommandContext = {
    values: parsed.values,
    positionals: parsed.positionals,
    json,
    log: (line) => (json ? process.stderr : process.stdout).write(line + '\n'),
  };
  try {
    return await cmd.run(ctx);
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`pqk ${cmd.name}: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`pqk ${cmd.name}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.ERROR;
  }
}
