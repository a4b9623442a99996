// The command registry: every `pqk` subcommand, in help order.
import type { Command } from '../command.js';
import { benchTrainCommand } from './bench.js';
import { budgetCommand } from './budget.js';
import { checkCommand } from './check.js';
import { compressCommand } from './compress.js';
import { dataInfoCommand, dataSynthKwsCommand } from './data.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { inspectCommand } from './inspect.js';
import { runCommand } from './run.js';
import { trainCommand } from './train.js';
import { verifyCommand } from './verify.js';

export const COMMANDS: Command[] = [
  runCommand,
  dataSynthKwsCommand,
  dataInfoCommand,
  trainCommand,
  importCommand,
  compressCommand,
  exportCommand,
  inspectCommand,
  verifyCommand,
  checkCommand,
  budgetCommand,
  benchTrainCommand,
];
