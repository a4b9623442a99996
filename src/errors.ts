// The errors a user can cause, by type. Every layer may import this module; it imports nothing. The CLI prints a
// UserError as one line (its message names the file, field or flag) and exits with its code; any other error is a bug
// in pqk and is printed with its stack and a request for a report.

// Exit codes every command shares (pqk run / pqk budget add BUDGET_VIOLATION).
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2, BUDGET_VIOLATION: 3 } as const;

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.ERROR,
    readonly kind: string = 'user', // for --json consumers: 'usage', 'config', 'data', 'model', ...
  ) {
    super(message);
    this.name = new.target.name;
  }
}

// A bad flag or argument: exit 2.
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, EXIT.USAGE, 'usage');
  }
}

// A file the user gave (config, target, run.json, report) that does not say what pqk needs.
export class ConfigError extends UserError {
  constructor(message: string) {
    super(message, EXIT.ERROR, 'config');
  }
}

// A dataset file or folder: the message starts with its path.
export class DataError extends UserError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`, EXIT.ERROR, 'data');
  }
}

// A model file pqk cannot read (bounds, schema, quantization parameters) or cannot run (unsupported op or option).
export class ModelError extends UserError {
  constructor(message: string) {
    super(message, EXIT.ERROR, 'model');
  }
}

// A run folder's state: a stage not run yet, a corrupt checkpoint, another process using it.
export class RunStateError extends UserError {
  constructor(message: string) {
    super(message, EXIT.ERROR, 'run-state');
  }
}

// A tool or library pqk needs is missing or failed (setup's job).
export class EnvironmentError extends UserError {
  constructor(message: string) {
    super(message, EXIT.ERROR, 'environment');
  }
}

// The closest of `known` to `word` by edit distance, when it is close enough to be a likely typo.
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function didYouMean(word: string, known: readonly string[]): string {
  const n = nearest(word, known);
  return n === undefined ? `; valid: ${known.join(', ')}` : `; did you mean '${n}'?`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, sub);
    }
    prev = cur;
  }
  // Two neighbours swapped ("tua" for "tau") count as one edit.
  return Math.min(prev[b.length]!, a.length === b.length && isTransposition(a, b) ? 1 : Infinity);
}

function isTransposition(a: string, b: string): boolean {
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}
