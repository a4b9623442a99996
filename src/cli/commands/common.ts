// Pieces several commands share: backend start-up and the flag for it.
import { backendLabel, initBackend } from '../../backend/select.js';
import { optStr, type CommandContext, type FlagSpec } from '../command.js';

export const BACKEND_FLAG: Record<string, FlagSpec> = {
  backend: {
    type: 'string',
    value: 'NAME',
    help: 'tfjs backend: native, cpu, wasm, webgpu, tfjs-node or tfjs-node-gpu',
    default: 'the best one that starts',
  },
};

// The backend's label: its name, with the adapter for webgpu (what --json and the report's versions show).
export async function startBackend(ctx: CommandContext): Promise<string> {
  const choice = await initBackend(optStr(ctx, 'backend'));
  ctx.log(`backend: ${choice.name} (${choice.reason.split('; skipped')[0]})`);
  return backendLabel(choice);
}
