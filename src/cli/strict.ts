// --strict / --no-strict: whether a budget that cannot be measured fails. On by default where CI=true.
import { UsageError } from '../errors.js';
import type { CommandContext, FlagSpec } from './command.js';

export const STRICT_FLAGS: Record<string, FlagSpec> = {
  strict: { type: 'boolean', help: 'a budget that cannot be measured fails', default: 'on when CI=true' },
  'no-strict': { type: 'boolean', help: 'a budget that cannot be measured is skipped, even in CI' },
};

export function strictBudgets(ctx: CommandContext): boolean {
  const on = ctx.values.strict === true;
  const off = ctx.values['no-strict'] === true;
  if (on && off) throw new UsageError('--strict and --no-strict contradict each other');
  if (on || off) return on;
  return process.env.CI === 'true';
}
