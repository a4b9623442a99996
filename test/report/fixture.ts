// A small but complete run report built through the real metric functions, for the report tests.
import type { QModel, QTensor } from '../../src/int/graph.js';
import { finalizeReport } from '../../src/report/budgets.js';
import { modelFigures, verificationFromRun } from '../../src/report/metrics.js';
import type { RunReport, RuntimeVerification } from '../../src/report/types.js';
import type { RunResult } from '../../src/runtimes/types.js';
import { loadTarget } from '../../src/targets/load.js';
import type { TargetProfile } from '../../src/targets/types.js';

function tensor(name: string, shape: number[], data?: Int8Array | Int32Array): QTensor {
  return { name, shape, dtype: data instanceof Int32Array ? 'int32' : 'int8', scale: [0.1], zeroPoint: [0], data };
}

// conv 3x3 (1 -> 4 ch) on 8x8, depthwise 3x3 on 4 ch, FC 256 -> 3. Half of the conv weights are zero.
export function tinyModel(): QModel {
  const convW = new Int8Array(4 * 3 * 3 * 1).map((_, i) => (i % 2 === 0 ? 0 : 3));
  const dwW = new Int8Array(1 * 3 * 3 * 4).fill(1);
  const fcW = new Int8Array(3 * 256).map((_, i) => (i < 192 ? 0 : 1));
  const tensors = [
    tensor('input', [1, 8, 8, 1]),
    tensor('conv/w', [4, 3, 3, 1], convW),
    tensor('conv/b', [4], new Int32Array(4)),
    tensor('conv/out', [1, 8, 8, 4]),
    tensor('dw/w', [1, 3, 3, 4], dwW),
    tensor('dw/b', [4], new Int32Array(4)),
    tensor('dw/out', [1, 8, 8, 4]),
    tensor('fc/w', [3, 256], fcW),
    tensor('fc/b', [3], new Int32Array(3)),
    tensor('fc/out', [1, 3]),
  ];
  const conv = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU' } as const;
  return {
    tensors,
    ops: [
      { op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], options: conv },
      { op: 'DEPTHWISE_CONV_2D', inputs: [3, 4, 5], outputs: [6], options: { ...conv, depthMultiplier: 1 } },
      { op: 'FULLY_CONNECTED', inputs: [6, 7, 8], outputs: [9], options: { activation: 'NONE', keepNumDims: false } },
    ],
    inputs: [0],
    outputs: [9],
    metadata: {},
  };
}

// 10 samples over 3 classes; the reference outputs put the maximum on class i % 3, labels are right for 9 of 10.
export function referenceOutputs(): { labels: Int32Array; reference: Int8Array[] } {
  const reference = Array.from({ length: 10 }, (_, i) => Int8Array.from([0, 1, 2].map((c) => (c === i % 3 ? 100 : -50 + c))));
  const labels = Int32Array.from({ length: 10 }, (_, i) => (i === 9 ? 2 : i % 3));
  return { labels, reference };
}

export function deviceRun(runtime: string, instructions: number[], arenaBytes: number): RunResult {
  const { reference } = referenceOutputs();
  const perOp = [
    { op: 'CONV_2D', node: 0, instructions: 40_000, arenaLiveBytes: 1_024 },
    { op: 'DEPTHWISE_CONV_2D', node: 1, instructions: 30_000, arenaLiveBytes: 1_536 },
    { op: 'FULLY_CONNECTED', node: 2, instructions: 20_000, arenaLiveBytes: 512 },
  ];
  return {
    runtime,
    outputs: reference.map((r) => r.slice()),
    instructionsPerInference: instructions,
    instructionsPerOp: perOp,
    arenaBytes,
    flashBytes: 120_000,
    ramBytes: 40_000,
    stackBytes: 8_192,
    version: 'QEMU 7.2',
  };
}

// The device run's clips from audio: the board's frontend agrees with the host's, 3 M instructions per clip.
export function audioRun(): NonNullable<RuntimeVerification['audio']> {
  const fe = { min: 3_000_000, mean: 3_050_000, max: 3_100_000 };
  return {
    clips: 10,
    accuracyFromAudio: 0.9,
    accuracyFromFeatures: 0.9,
    predictionsDiffering: 0,
    featureValuesDiffering: 0,
    featureValues: 4900,
    mismatches: 0,
    frontendInstructions: fe,
    endToEndInstructions: { min: 12_000_000, mean: 12_300_000, max: 12_600_000 },
    frontendScratchBytes: 4296,
    audioBufferBytes: 32000,
  };
}

export function sampleReport(target: TargetProfile = loadTarget('cortex-m4'), fileBytes = 24_000): RunReport {
  const { labels, reference } = referenceOutputs();
  const tflite: RunResult = { runtime: 'tflite', outputs: reference.map((r) => r.slice()), arenaBytes: 50_000, version: '2.9.0' };
  const dev = deviceRun(`qemu:${target.cpu}`, [9_000_000, 9_500_000, 9_200_000], 28_000);
  return finalizeReport(
    {
      reportVersion: 1,
      pqkVersion: '0.1.0',
      createdAt: '2026-01-02T03:04:05.000Z',
      target: target.name,
      seed: 7,
      dataset: { name: 'speech-commands:synthetic', task: 'kws', classes: 3, train: 100, val: 20, test: 10, labels: ['yes', 'no', 'up'] },
      versions: { pqk: '0.1.0', tfjsBackend: 'cpu', tflite: '2.9.0', qemu: '7.2.22' },
      stages: [
        { name: 'float', accuracy: 0.91, seconds: 12.5, epochs: 5, sparsity: 0, loss: 0.3 },
        { name: 'phase1', accuracy: 0.89, seconds: 30, epochs: 8, sparsity: 0.5, loss: 0.35 },
        { name: 'phase2', accuracy: 0.9, seconds: 20, epochs: 4, sparsity: 0.5, loss: 0.32 },
      ],
      verification: {
        tflite: verificationFromRun(tflite, labels, reference),
        [dev.runtime]: { ...verificationFromRun(dev, labels, reference), audio: audioRun() },
      },
      model: modelFigures(tinyModel(), { name: 'ds-cnn', file: 'model.tflite', fileBytes }),
    },
    target,
  );
}
