// The TFLite file-format layer: QModel <-> .tflite bytes, and what a file holds.
export { writeTflite, type WriteOptions } from './writer.js';
export { parseTflite, readTflite, type ParsedTflite } from './reader.js';
export { inspectTflite, type InspectOp, type InspectReport, type InspectTensor } from './inspect.js';
export { renderInspect } from './inspect-text.js';
export { TfliteFormatError, verifyTflite } from './verify.js';
export { packInt4, unpackInt4 } from './tensor-data.js';
