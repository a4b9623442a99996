// Running espeak-ng and sox: binary stdout, and failures that show the command and its stderr.
import { execa, ExecaError } from 'execa';

function text(x: unknown): string {
  if (x instanceof Uint8Array) return Buffer.from(x).toString('utf8');
  return typeof x === 'string' ? x : '';
}

export async function runTool(file: string, args: readonly string[], input?: Uint8Array): Promise<Buffer> {
  try {
    const r = await execa(file, args, { encoding: 'buffer', input, stripFinalNewline: false });
    return Buffer.from(r.stdout);
  } catch (e) {
    if (!(e instanceof ExecaError)) throw e;
    const command = [file, ...args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`))].join(' ');
    if (e.code === 'ENOENT') throw new Error(`${file} not found (needed for: ${command}); install it (scripts/setup.sh installs espeak-ng and sox)`);
    throw new Error(`${command} failed (exit ${e.exitCode ?? e.signal ?? '?'}): ${text(e.stderr).trim() || e.shortMessage}`);
  }
}

// First line of `<tool> --version`, recorded in the synthetic set's stamp.
export async function toolVersion(file: string): Promise<string> {
  const out = await runTool(file, ['--version']);
  return out.toString('utf8').split('\n')[0].trim();
}
