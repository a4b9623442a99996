// Pieces several commands share: backend start-up, dataset loading, run-folder and target lookup.
import { initBackend } from '../../backend/select.js';
import { loadTarget } from '../../targets/load.js';
import type { TargetProfile } from '../../targets/types.js';
import { UserError, optStr, type CommandContext } from '../command.js';

export const BACKEND_OPTION = { backend: { type: 'string' } } as const;

export async function startBackend(ctx: CommandContext): Promise<string> {
  const choice = await initBackend(optStr(ctx, 'backend'));
  ctx.log(`backend: ${choice.name} (${choice.reason.split(';')[0]})`);
  return choice.name;
}

export function target(nameOrPath: string): TargetProfile {
  try {
    return loadTarget(nameOrPath);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

// Wraps a step whose failures are the user's to fix (missing files, bad data) into UserError.
export async function userStep<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof UserError) throw e;
    const err = e as Error & { code?: string };
    if (err.name === 'DataError' || err.code === 'ENOENT' || /not found|no such file|not valid JSON|^--|other settings|not a pqk|has not finished|no compressed model/i.test(err.message)) throw new UserError(err.message);
    throw e;
  }
}
