// Runs pqk's CLI in this process (no start-up cost per call) and captures what it prints.
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    set(saved);
  }
}

// A user's mistake: the given exit code, one line on stderr that matches `pattern`, no stack trace, and with --json
// an {"error": ...} object on stdout carrying the same message.
export function assertUserError(
  r: CliResult,
  code: number,
  pattern: RegExp,
  label: string,
  assert: typeof import('node:assert/strict'),
): void {
  const ctx = `${label}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.code, code, ctx);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, ctx);
  const last = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('pqk '));
  assert.equal(last.length, 1, ctx);
  assert.match(r.stderr, pattern, ctx);
}
