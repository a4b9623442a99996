// The file identifier a TFLite flatbuffer carries at bytes 4-7, 'TFL3': the one check every reader of a model file
// (the verifier, the importer, the TFLite runtime's error text) makes before anything else.
export const TFLITE_IDENTIFIER = 'TFL3';

export function isTflite(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === TFLITE_IDENTIFIER;
}

// What is wrong with the identifier, or undefined when it is 'TFL3' (unprintable bytes shown as '?').
export function identifierProblem(bytes: Uint8Array): string | undefined {
  if (isTflite(bytes)) return undefined;
  const id = String.fromCharCode(...bytes.subarray(4, 8)).replace(/[^\x20-\x7e]/g, '?');
  return `file identifier is '${id}', expected '${TFLITE_IDENTIFIER}'`;
}
