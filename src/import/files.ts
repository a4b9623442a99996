// Reading a tfjs model folder from disk (model.json + weight shards) without tfjs-node: a file IOHandler for
// tf.loadLayersModel / loadGraphModel, and the decoded weights by name for the graph parser.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { checkSchema, type JsonSchema } from '../util/schema.js';

export interface ModelFiles {
  path: string; // model.json
  json: tf.io.ModelJSON;
  format: 'layers' | 'graph';
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer; // all shards, concatenated in manifest order
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${what} not found: ${path}` : `${path}: cannot read: ${(e as Error).message}`);
  }
}

// What pqk reads of a model.json, checked before any parser walks it (other fields pass unread): a malformed file
// is refused naming the field, not met as a TypeError deep in a parser.
const STRINGS = { type: 'array', items: { type: 'string' } };
const MODEL_JSON_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['modelTopology'],
  properties: {
    format: { type: 'string' },
    modelTopology: { type: 'object' },
    weightsManifest: {
      type: 'array',
      items: {
        type: 'object',
        required: ['paths', 'weights'],
        properties: {
          paths: STRINGS,
          weights: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'shape', 'dtype'],
              properties: {
                name: { type: 'string' },
                shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
                dtype: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
};
const GRAPH_TOPOLOGY_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    modelTopology: {
      type: 'object',
      properties: {
        node: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'op'],
            properties: { name: { type: 'string' }, op: { type: 'string' }, input: STRINGS, attr: { type: 'object' } },
          },
        },
      },
    },
  },
};

function detectFormat(path: string, json: tf.io.ModelJSON): 'layers' | 'graph' {
  const topo = json.modelTopology as Record<string, unknown> | undefined;
  if (json.format === 'graph-model' || (topo && Array.isArray(topo.node))) return 'graph';
  if (json.format === 'layers-model' || (topo && ('model_config' in topo || 'class_name' in topo))) return 'layers';
  throw new UserError(`${path}: neither a tfjs layers model nor a graph model (format '${json.format ?? 'unset'}')`);
}

// content: the model file's bytes when the caller has read them already (read once, not twice).
export function readModelFiles(path: string, content?: Uint8Array): ModelFiles {
  let json: tf.io.ModelJSON;
  try {
    const bytes = content ? Buffer.from(content.buffer, content.byteOffset, content.byteLength) : readBytes(path, 'model file');
    json = JSON.parse(bytes.toString('utf8')) as tf.io.ModelJSON;
  } catch (e) {
    if (e instanceof UserError) throw e;
    // Neither a .tflite (its identifier) nor an .onnx file (its name) led here: say what was looked for.
    const kinds = path.endsWith('.json') ? '' : 'not a .tflite (no TFL3 identifier), not an .onnx file, and as a tfjs model.json ';
    throw new UserError(`${path}: ${kinds}not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) throw new UserError(`${path}: no modelTopology; not a tfjs model.json`);
  checkSchema(MODEL_JSON_SCHEMA, json, path);
  const format = detectFormat(path, json);
  if (format === 'graph') checkSchema(GRAPH_TOPOLOGY_SCHEMA, json, path);
  const manifest = json.weightsManifest ?? [];
  const shards: Uint8Array[] = [];
  for (const group of manifest) for (const p of group.paths) shards.push(new Uint8Array(readBytes(join(dirname(path), p), 'weight shard')));
  const total = shards.reduce((a, s) => a + s.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const s of shards) {
    all.set(s, o);
    o += s.length;
  }
  return { path, json, format, weightSpecs: tf.io.getWeightSpecs(manifest), weightData: all.buffer };
}

// The IOHandler that tf.loadLayersModel and loadGraphModel take in place of a URL.
export function fileHandler(files: ModelFiles): tf.io.IOHandler {
  return {
    load: async () => tf.io.getModelArtifactsForJSONSync(files.json, files.weightSpecs, files.weightData),
  };
}

// Every weight of the manifest as a host Float32 / Int32 array by name (quantized weights are dequantized).
export function namedWeights(files: ModelFiles): Map<string, { data: Float32Array | Int32Array; shape: number[] }> {
  const out = new Map<string, { data: Float32Array | Int32Array; shape: number[] }>();
  let decoded: tf.NamedTensorMap;
  try {
    decoded = tf.io.decodeWeights(files.weightData, files.weightSpecs);
  } catch (e) {
    throw new UserError(`${files.path}: weights do not match the manifest: ${(e as Error).message}`);
  }
  for (const [name, t] of Object.entries(decoded)) {
    if (t.dtype === 'float32' || t.dtype === 'int32') out.set(name, { data: t.dataSync() as Float32Array | Int32Array, shape: t.shape });
    t.dispose();
  }
  return out;
}
