// Errors of the data layer: the message names the file or folder and what is wrong with it.
import { UserError } from '../cli/command.js';

// A UserError so the CLI prints it as is, without a stack trace.
export class DataError extends UserError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'DataError';
  }
}
