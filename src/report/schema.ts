// JSON schema of report.json (mirrors types.ts); reading a report validates against it so errors name the field.
const num = { type: 'number' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const nullable = <T extends object>(s: T) => ({ anyOf: [s, { type: 'null' }] });
const fraction = { type: 'number', minimum: 0, maximum: 1 } as const;

const stats = { type: 'object', required: ['min', 'mean', 'max'], properties: { min: num, mean: num, max: num } } as const;

const runtime = {
  type: 'object',
  required: [
    'accuracy',
    'samples',
    'mismatches',
    'maxDiff',
    'instructionsPerInference',
    'instructionsPerOp',
    'arenaBytes',
    'flashBytes',
    'ramBytes',
    'version',
  ],
  properties: {
    accuracy: nullable(fraction),
    samples: int,
    mismatches: int,
    maxDiff: int,
    instructionsPerInference: nullable(stats),
    instructionsPerOp: nullable({
      type: 'array',
      items: {
        type: 'object',
        required: ['op', 'node', 'instructions'],
        properties: { op: { type: 'string' }, node: int, instructions: num, arenaLiveBytes: int },
      },
    }),
    arenaBytes: nullable(int),
    flashBytes: nullable(int),
    ramBytes: nullable(int),
    version: nullable({ type: 'string' }),
    reference: { enum: ['x86-64', 'arm64', 'litert', 'tflm'] },
    bundleSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    confusion: { type: 'array', items: { type: 'array', items: int } },
    stackBytes: int,
    audio: {
      type: 'object',
      required: [
        'clips',
        'accuracyFromAudio',
        'accuracyFromFeatures',
        'predictionsDiffering',
        'featureValuesDiffering',
        'featureValues',
        'mismatches',
        'frontendInstructions',
        'endToEndInstructions',
        'frontendScratchBytes',
        'audioBufferBytes',
      ],
      properties: {
        clips: int,
        accuracyFromAudio: fraction,
        accuracyFromFeatures: fraction,
        predictionsDiffering: int,
        featureValuesDiffering: int,
        featureValues: int,
        mismatches: int,
        frontendInstructions: nullable(stats),
        endToEndInstructions: nullable(stats),
        frontendScratchBytes: int,
        audioBufferBytes: int,
      },
    },
  },
} as const;

const budget = {
  type: 'object',
  required: ['name', 'limit', 'value', 'unit', 'verdict', 'message'],
  properties: {
    name: { type: 'string' },
    limit: nullable(num),
    value: nullable(num),
    unit: { enum: ['bytes', 'instructions', 'ms', 'accuracy', 'values', 'lsb', 'ops'] },
    verdict: { enum: ['pass', 'fail', 'skip'] },
    message: { type: 'string' },
  },
} as const;

export const REPORT_SCHEMA = {
  type: 'object',
  required: [
    'reportVersion',
    'pqkVersion',
    'createdAt',
    'target',
    'seed',
    'dataset',
    'versions',
    'stages',
    'verification',
    'model',
    'budgets',
    'ok',
  ],
  properties: {
    reportVersion: { type: 'integer', minimum: 1 },
    pqkVersion: { type: 'string' },
    createdAt: { type: 'string' },
    target: { type: 'string', minLength: 1 },
    seed: nullable({ type: 'integer' }),
    dataset: {
      type: 'object',
      required: ['name', 'task', 'classes', 'train', 'val', 'test'],
      properties: {
        name: { type: 'string' },
        task: { enum: ['kws', 'image', 'none'] },
        classes: int,
        train: int,
        val: int,
        test: int,
        labels: { type: 'array', items: { type: 'string' } },
      },
    },
    versions: {
      type: 'object',
      required: ['pqk', 'tfjsBackend', 'tflite', 'qemu'],
      properties: {
        pqk: { type: 'string' },
        tfjsBackend: nullable({ type: 'string' }),
        tflite: nullable({ type: 'string' }),
        qemu: nullable({ type: 'string' }),
      },
    },
    stages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'accuracy', 'seconds', 'epochs', 'sparsity', 'loss'],
        properties: {
          name: { enum: ['float', 'phase1', 'phase2', 'phase2-ce'] },
          accuracy: fraction,
          seconds: num,
          epochs: nullable(int),
          sparsity: nullable(fraction),
          loss: nullable(num),
          valAccuracy: nullable(fraction),
        },
      },
    },
    verification: { type: 'object', additionalProperties: runtime },
    model: {
      type: 'object',
      required: ['name', 'file', 'fileBytes', 'payloadBytes', 'macs', 'params', 'sparsity', 'sparsityPerLayer'],
      properties: {
        name: { type: 'string' },
        file: { type: 'string' },
        fileBytes: int,
        deviceBytes: int,
        payloadBytes: int,
        macs: int,
        params: int,
        sparsity: fraction,
        operators: { type: 'array', items: { type: 'string' } },
        layers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['node', 'op', 'output', 'macs', 'params', 'bytes'],
            properties: {
              node: int,
              op: { type: 'string' },
              output: { type: 'array', items: int },
              macs: int,
              params: int,
              bytes: int,
              channels: { type: 'object', required: ['kept'], properties: { kept: int, of: int } },
            },
          },
        },
        sparsityPerLayer: {
          type: 'array',
          items: {
            type: 'object',
            required: ['layer', 'op', 'weights', 'zeros', 'sparsity'],
            properties: { layer: { type: 'string' }, op: { type: 'string' }, weights: int, zeros: int, sparsity: fraction },
          },
        },
      },
    },
    budgets: { type: 'array', items: budget },
    ok: { type: 'boolean' },
    shipped: {
      type: 'object',
      required: ['stage', 'reason'],
      properties: { stage: { enum: ['phase1', 'phase2', 'phase2-ce'] }, reason: { type: 'string' } },
    },
    deploy: {
      type: 'object',
      required: ['dir', 'files', 'sha256'],
      properties: { dir: { type: 'string' }, files: int, sha256: { type: 'string' } },
    },
    check: {
      type: 'object',
      required: ['inputs', 'labelled', 'file'],
      properties: { inputs: { enum: ['data', 'npy', 'random'] }, labelled: { type: 'boolean' }, file: { type: 'string' } },
    },
    accuracyDrop: {
      type: 'object',
      required: ['samples', 'floatOnly', 'integerOnly', 'standardError'],
      properties: { samples: int, floatOnly: int, integerOnly: int, standardError: fraction },
    },
    baseline: {
      type: 'object',
      required: ['file', 'tolerance'],
      properties: {
        file: { type: 'string' },
        tolerance: {
          type: 'object',
          required: ['bytes', 'instructions', 'accuracy'],
          properties: { bytes: num, instructions: num, accuracy: num },
        },
      },
    },
  },
} as const;
