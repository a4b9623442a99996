// Running espeak-ng and sox: binary stdout, and failures that show the command and its stderr.
import { execa, ExecaError } from 'execa';

function text(x: unknown): string {
  if (x instanceof Uint8Array) return Buffer.from(x).toString('utf8');
  return typeof x === 'string' ? x : '';
}

// `okExits`: exit codes that mean success (flite --version exits 1).
export async function runTool(file: string, args: readonly string[], input?: Uint8Array, okExits: readonly number[] = [0]): Promise<Buffer> {
  // With reject: false a failure comes back as the result (an ExecaError) instead of being thrown.
  const r = await execa(file, args, { encoding: 'buffer', input, stripFinalNewline: false, reject: false });
  if (r.exitCode !== undefined && okExits.includes(r.exitCode)) return Buffer.from(r.stdout);
  const command = [file, ...args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`))].join(' ');
  const e = (r as unknown) instanceof ExecaError ? (r as unknown as ExecaError) : undefined;
  if (e?.code === 'ENOENT') throw new Error(`${file} not found (needed for: ${command}); install it (scripts/setup.sh installs espeak-ng, sox and flite)`);
  throw new Error(`${command} failed (exit ${r.exitCode ?? r.signal ?? '?'}): ${text(r.stderr).trim() || e?.shortMessage || 'not an allowed exit code'}`);
}

// The line of `<tool> --version` that names a version (the first with a dotted number: flite's starts with its
// copyright), recorded in the synthetic set's stamp.
export async function toolVersion(file: string, okExits: readonly number[] = [0]): Promise<string> {
  const lines = (await runTool(file, ['--version'], undefined, okExits)).toString('utf8').split('\n').map((l) => l.trim());
  return lines.find((l) => /\d+\.\d+/.test(l)) ?? lines[0]!;
}
