// The data layer's entry point: a dataset spec (a folder or a set name) becomes a Dataset with features computed.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataError } from './errors.js';
import { IMAGE_SETS, isIdxDir, loadIdxDir, loadImages, type ImageOptions, type ImageSetName } from './images.js';
import { isImageFolder, loadImageFolder } from './image-folder.js';
import { loadSpeechCommands, type SpeechCommandsOptions } from './speech-commands.js';
import type { Dataset } from './types.js';

// The data a run records: a dataset name as it is, a folder as an absolute path, so that every later command on the
// run folder (export, compress, verify) finds it from any working directory instead of looking, or synthesizing a
// new keyword-spotting set, beside wherever it is started. Run folders written with a relative path keep it.
export function dataLocation(spec: string): string {
  return (IMAGE_SETS as readonly string[]).includes(spec) ? spec : resolve(spec);
}

export type LoadOptions = SpeechCommandsOptions & ImageOptions & { imageShape?: number[] };

// 'mnist' | 'fashion-mnist' | a folder of MNIST-family IDX files | a folder of class folders of PNG or JPEG images |
// a folder in Speech Commands layout.
export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<Dataset> {
  return nonEmpty(spec, await load(spec, opts));
}

async function load(spec: string, opts: LoadOptions): Promise<Dataset> {
  if ((IMAGE_SETS as readonly string[]).includes(spec)) return loadImages(spec as ImageSetName, opts);
  if (!existsSync(spec)) throw new DataError(spec, `no such directory, and not a dataset name (${IMAGE_SETS.join(', ')})`);
  if (!statSync(spec).isDirectory()) throw new DataError(spec, 'is a file; expected a folder in Speech Commands layout, a folder of IDX files, a folder of class folders of images, or a dataset name');
  if (isIdxDir(spec)) return loadIdxDir(spec, opts);
  if (isImageFolder(spec)) return loadImageFolder(spec, opts);
  return loadSpeechCommands(spec, opts);
}

// Training, model selection and the reported accuracy each need samples: an empty split is an error before any
// training starts, never a NaN accuracy after it.
function nonEmpty(spec: string, ds: Dataset): Dataset {
  for (const s of ['train', 'val', 'test'] as const) if (ds[s].n === 0) throw new DataError(spec, `the ${s} split is empty (every clip of it was unreadable or missing)`);
  return ds;
}

export { DataError } from './errors.js';
export { DEFAULT_AUGMENT, type AugmentConfig } from './augment.js';
export { createMfcc, KWS_MFCC, type Mfcc } from './mfcc.js';
export { loadImages, loadIdxDir, type ImageSetName } from './images.js';
export { decodeImage, isImageFolder, loadImageFolder, reshapeImage } from './image-folder.js';
export { parseIdx, readIdx, encodeIdx, type Idx } from './idx.js';
export { KWS_KEYWORDS, SILENCE, UNKNOWN, loadSpeechCommands, type SpeechCommandsOptions } from './speech-commands.js';
export { DEFAULT_CLIPS_PER_WORD, SYNTH_SIZES, synthKws, type SynthSize, type SynthKwsOptions, type SynthKwsResult } from './synth-kws.js';
export { decodeWav, encodeWav, readWav, writeWav, type Wav } from './wav.js';
export type { Dataset, MfccParams, Split } from './types.js';
