// Keras-style models built with tfjs-layers, given random weights and batch-norm statistics, saved as model.json +
// weights.bin the way tfjs writes them.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32, normal } from '../../src/util/rng.js';

const created: string[] = [];

// Removes the folders the fixtures wrote (layers and graph models, run folders the tests register).
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

// Random weights everywhere; variances positive and spread over small and large values.
export function randomize(model: tfl.LayersModel, seed: number): void {
  const rng = mulberry32(seed);
  for (const layer of model.layers) {
    const ws = layer.weights.map((w) => {
      const key = w.originalName.split('/').pop()!;
      const shape = w.shape as number[]; // weights have no unknown dimensions
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, () => {
        const z = normal(rng);
        if (key === 'moving_variance') return 0.02 + Math.exp(2 * z) * 0.05;
        if (key === 'gamma') return 1 + 0.3 * z;
        return 0.4 * z;
      });
      return tf.tensor(data, shape);
    });
    if (ws.length > 0) layer.setWeights(ws);
  }
}

export async function saveLayers(model: tfl.LayersModel): Promise<string> {
  const dir = tempDir('pqk-import-');
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weightData = a.weightData as ArrayBuffer;
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weightData));
      const json = {
        format: 'layers-model',
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(dir, 'model.json');
}

// Conv + BN (Keras epsilon 1e-5) + ReLU, depthwise + BN + ReLU6, separable conv, a residual add, max and average
// pooling, global average pooling, dense, dropout, softmax.
export function convNet(): tfl.LayersModel {
  const L = tfl.layers;
  const x = L.input({ shape: [12, 10, 3] });
  let y = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'conv1' }).apply(x) as tfl.SymbolicTensor;
  y = L.batchNormalization({ epsilon: 1e-5, name: 'bn1' }).apply(y) as tfl.SymbolicTensor;
  y = L.reLU({ name: 'relu1' }).apply(y) as tfl.SymbolicTensor;
  let z = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 1, name: 'dw' }).apply(y) as tfl.SymbolicTensor;
  z = L.batchNormalization({ name: 'bn2' }).apply(z) as tfl.SymbolicTensor;
  z = L.reLU({ maxValue: 6, name: 'relu6' }).apply(z) as tfl.SymbolicTensor;
  z = L.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'sep' }).apply(z) as tfl.SymbolicTensor;
  let s = L.add({ name: 'res' }).apply([y, z]) as tfl.SymbolicTensor;
  s = L.maxPooling2d({ poolSize: 2, name: 'mp' }).apply(s) as tfl.SymbolicTensor;
  s = L.conv2d({ filters: 6, kernelSize: 1, strides: 1, activation: 'relu6', name: 'pw' }).apply(s) as tfl.SymbolicTensor;
  s = L.averagePooling2d({ poolSize: [2, 2], strides: [1, 1], padding: 'valid', name: 'ap' }).apply(s) as tfl.SymbolicTensor;
  s = L.globalAveragePooling2d({ name: 'gap' }).apply(s) as tfl.SymbolicTensor;
  s = L.dense({ units: 10, activation: 'relu', name: 'fc1' }).apply(s) as tfl.SymbolicTensor;
  s = L.dropout({ rate: 0.3, name: 'drop' }).apply(s) as tfl.SymbolicTensor;
  s = L.dense({ units: 4, activation: 'softmax', name: 'fc2' }).apply(s) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: s });
}

// A sequential MLP-ish model: strided conv with a depth multiplier, flatten, dense + BN (folded into the dense), ReLU.
export function denseNet(): tfl.LayersModel {
  const L = tfl.layers;
  return tfl.sequential({
    layers: [
      L.depthwiseConv2d({ inputShape: [6, 6, 2], kernelSize: [3, 2], strides: [2, 1], depthMultiplier: 2, padding: 'valid' }),
      L.flatten(),
      L.dense({ units: 7, useBias: true }),
      L.batchNormalization({ epsilon: 1e-4 }),
      L.activation({ activation: 'relu' }),
      L.dense({ units: 3 }),
    ],
  });
}

// MobileNetV2's stride-2 stem: ZeroPadding2D ([[0, 1], [0, 1]]) then a VALID conv; a symmetric pad before a pool.
export function paddedNet(): tfl.LayersModel {
  const L = tfl.layers;
  return tfl.sequential({
    layers: [
      L.zeroPadding2d({
        inputShape: [9, 8, 2],
        padding: [
          [0, 1],
          [0, 1],
        ],
      }),
      L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu6' }),
      L.zeroPadding2d({ padding: 1 }),
      L.averagePooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 3 }),
    ],
  });
}

// Inception-style branches: a 1x1 conv (ReLU), a 3x3 conv (linear) and a max pool of the same map joined by
// Concatenate, a 1x1 conv over the join, global pooling and a dense layer.
export function branchNet(): tfl.LayersModel {
  const L = tfl.layers;
  const x = tfl.input({ shape: [8, 8, 3], name: 'x' });
  const stem = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(x) as tfl.SymbolicTensor;
  const a = L.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'a' }).apply(stem) as tfl.SymbolicTensor;
  const b = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'b' }).apply(stem) as tfl.SymbolicTensor;
  const m = L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'm' }).apply(stem) as tfl.SymbolicTensor;
  const j = L.concatenate({ name: 'join' }).apply([a, b, m]) as tfl.SymbolicTensor;
  const c = L.conv2d({ filters: 5, kernelSize: 1, activation: 'relu', name: 'c' }).apply(j) as tfl.SymbolicTensor;
  const g = L.globalAveragePooling2d({ name: 'gap' }).apply(c) as tfl.SymbolicTensor;
  const y = L.dense({ units: 3, name: 'fc' }).apply(g) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

// A squeeze-and-excitation gate: channel means reshaped back to a 1x1 map, a 1x1 conv (ReLU), a 1x1 conv with a hard sigmoid,
// multiplied into the map (Multiply); a sigmoid dense layer at the end.
export function gatedNet(): tfl.LayersModel {
  const L = tfl.layers;
  const x = tfl.input({ shape: [8, 8, 3], name: 'x' });
  const c = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c' }).apply(x) as tfl.SymbolicTensor;
  const m = L.globalAveragePooling2d({ name: 'squeeze' }).apply(c) as tfl.SymbolicTensor;
  const u = L.reshape({ targetShape: [1, 1, 6], name: 'unsqueeze' }).apply(m) as tfl.SymbolicTensor;
  const e1 = L.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'e1' }).apply(u) as tfl.SymbolicTensor;
  const e2 = L.conv2d({ filters: 6, kernelSize: 1, activation: 'hardSigmoid', name: 'e2' }).apply(e1) as tfl.SymbolicTensor;
  const se = L.multiply({ name: 'excite' }).apply([c, e2]) as tfl.SymbolicTensor;
  const g = L.globalAveragePooling2d({ name: 'gap' }).apply(se) as tfl.SymbolicTensor;
  const y = L.dense({ units: 3, activation: 'sigmoid', name: 'fc' }).apply(g) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

// Swish (x * sigmoid(x)) as a layer activation: on a conv, a depthwise conv and a dense layer.
export function swishNet(): tfl.LayersModel {
  const L = tfl.layers;
  const x = tfl.input({ shape: [6, 6, 3], name: 'x' });
  const c = L.conv2d({ filters: 4, kernelSize: 3, activation: 'swish', name: 'c' }).apply(x) as tfl.SymbolicTensor;
  const d = L.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'swish', name: 'd' }).apply(c) as tfl.SymbolicTensor;
  const g = L.globalAveragePooling2d({ name: 'gap' }).apply(d) as tfl.SymbolicTensor;
  const h = L.dense({ units: 5, activation: 'swish', name: 'h' }).apply(g) as tfl.SymbolicTensor;
  const y = L.dense({ units: 3, name: 'fc' }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

export function lstmNet(): tfl.LayersModel {
  const L = tfl.layers;
  return tfl.sequential({
    layers: [L.lstm({ inputShape: [5, 4], units: 3, recurrentInitializer: 'glorotUniform', name: 'rnn' }), L.dense({ units: 2 })],
  });
}

// Ops with no kernel to fuse into: input rescaling and a batch norm after it, a ReLU after a pool, a batch norm on
// a flat vector.
export function standaloneNet(): tfl.LayersModel {
  const L = tfl.layers;
  return tfl.sequential({
    layers: [
      L.rescaling({ inputShape: [8, 8, 3], scale: 1 / 8, offset: -0.5, name: 'rescale' }),
      L.batchNormalization({ name: 'in_bn' }),
      L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'c' }),
      L.maxPooling2d({ poolSize: 2, name: 'p' }),
      L.reLU({ name: 'r' }),
      L.flatten({ name: 'f' }),
      L.batchNormalization({ name: 'flat_bn' }),
      L.dense({ units: 5, name: 'out' }),
    ],
  });
}
