// Pieces several commands share: backend start-up and the flag for it.
import { initBackend } from '../../backend/select.js';
import { optStr, type CommandContext, type FlagSpec } from '../command.js';

export const BACKEND_FLAG: Record<string, FlagSpec> = {
  backend: {
    type: 'string',
    value: 'NAME',
    help: 'tfjs backend: native, cpu, wasm, webgpu, tfjs-node or tfjs-node-gpu',
    default: 'the best one that starts',
  },
};

export async function startBackend(ctx: CommandContext): Promise<string> {
  const choice = await initBackend(optStr(ctx, 'backend'));
  ctx.log(`backend: ${choice.name} (${choice.reason.split(';')[0]})`);
  return choice.name;
}
