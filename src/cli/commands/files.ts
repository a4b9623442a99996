// Reading a model file the user named: one line saying what is wrong when it cannot be read.
import { readUserFile } from '../../util/fs.js';

export function readModelFile(file: string): Uint8Array {
  return new Uint8Array(readUserFile(file));
}
