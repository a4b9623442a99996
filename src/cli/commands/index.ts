// The command registry: every `pqk` subcommand, in help order.
import type { Command } from '../command.js';

export const COMMANDS: Command[] = [];
