// The model as a microcontroller image holds it: where the .tflite carries the packed form of 2:4 weights (metadata
// "pqk_2of4"), their dense copy is left out, since pqk micro reads only the packed one (plain kernels included).
// TFLite and TFLite Micro cannot run this form; the run's model.tflite stays the standard file, and the bundle and
// every verification image hold this one, so the emulated boards run exactly what is flashed.
import * as flatbuffers from 'flatbuffers';
import { Model } from '../tflite/generated/index.js';
import { hasPacked2of4, packed2of4Tensors } from '../tflite/packed-2of4.js';
import type { TargetProfile } from '../targets/types.js';
import { readTflite } from '../tflite/reader.js';
import { writeTflite } from '../tflite/writer.js';

// The same bytes when there is nothing to leave out, or when the dense copies are out already (the device form of
// the device form is itself).
export function deviceForm(model: Uint8Array): Uint8Array {
  if (!hasPacked2of4(model)) return model;
  const m = Model.getRootAsModel(new flatbuffers.ByteBuffer(model));
  const sg = m.subgraphs(0);
  const dense = [...packed2of4Tensors(model).keys()].some((t) => (m.buffers(sg?.tensors(t)?.buffer() ?? 0)?.dataLength() ?? 0) > 0);
  return dense ? writeTflite(readTflite(model), { packTwoOfFour: true, packedOnly: true }) : model;
}

// The bytes a microcontroller target flashes where they are not the file's (packed 2:4 weights without their dense
// copy: the device form), for the report's model figures and the flash budget; nothing where they are the file's.
export function deviceBytes(model: Uint8Array, target: TargetProfile): { deviceBytes?: number } {
  if (target.emulator.type !== 'qemu-system') return {};
  const device = deviceForm(model);
  return device === model ? {} : { deviceBytes: device.length };
}
