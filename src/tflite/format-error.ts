// The error every check of a .tflite file's bytes throws (the flatbuffer verifier, the reader, an op's options
// decoder): `tflite: <where>: <what>`.
import { ModelError } from '../errors.js';

export class TfliteFormatError extends ModelError {
  constructor(message: string) {
    super(message);
    this.name = 'TfliteFormatError';
  }
}

export function formatError(where: string, what: string): TfliteFormatError {
  return new TfliteFormatError(`tflite: ${where}: ${what}`);
}
